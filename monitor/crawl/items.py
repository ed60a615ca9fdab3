"""The item that spiders yield and the pipelines enrich."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Article:
    """One fetched page. Spiders fill the fetch fields; the extract stage fills `doc`."""

    url: str  # final URL, after redirects
    request_url: str
    source_id: str
    source_type: str
    body: bytes = field(repr=False)
    content_type: str | None = None
    status: int = 200
    fetched_at: str = ""
    language_hint: str | None = None
    encoding: str | None = None  # the source's configured encoding, overriding the page's
    timezone: str | None = None  # the zone of the times the page states without one
    hints: dict[str, Any] = field(default_factory=dict)  # title/published_at from a feed or sitemap
    validators: dict[str, str | None] = field(default_factory=dict)  # ETag, Last-Modified
    # linked document files: {url, name, body, content_type} or {url, name, error}; the extract
    # stage replaces each body by its text (see spiders/attachments.py, monitor/text/documents.py)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    doc: dict[str, Any] = field(default_factory=dict)  # analyse_page() output
    # the response's WARC capture (monitor.crawl.capture): a Future until the index stage
    # settles it into {file, offset, length, record_id, status, date}
    capture: Any = field(default=None, repr=False)
