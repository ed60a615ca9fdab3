"""Per-source outcome of a crawl, computed from a crawler's stats (the progress lines and the
closing summary both use it, so they always agree)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

ERROR_KEYS = ("monitor/extract/errors", "monitor/index/errors")


@dataclass
class SourceSummary:
    source: str
    type: str
    pages: int = 0  # responses received (listing, feed and article pages)
    indexed: int = 0  # new or changed documents written
    unchanged: int = 0  # already stored with the same text
    skipped: int = 0  # duplicates, empty pages, no article text, non-HTML, robots.txt
    errors: int = 0  # fetch failures, extraction errors, indexing errors
    known: int = 0  # article links not fetched: already recorded as seen
    not_modified: int = 0  # listing pages, feeds, sitemaps answered 304 (unchanged)
    finish_reason: str | None = None
    failure: str | None = None  # why the crawl could not run at all

    @property
    def failed(self) -> bool:
        nothing = self.pages == 0 and self.not_modified == 0
        return bool(self.failure) or nothing or self.finish_reason not in (None, "finished")

    @property
    def why_failed(self) -> str | None:
        if not self.failed:
            return None
        if self.failure:
            return self.failure
        if self.finish_reason not in (None, "finished"):
            return f"stopped: {self.finish_reason}"
        return "nothing fetched"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "failed": self.failed}


def summarize(source: str, kind: str, stats: Mapping[str, Any]) -> SourceSummary:
    fetch_errors = sum(v for k, v in stats.items() if k.startswith("monitor/fetch/errors/"))
    stage_errors = sum(stats.get(k, 0) for k in ERROR_KEYS)
    dropped = stats.get("item_dropped_count", 0)
    return SourceSummary(
        source=source,
        type=kind,
        pages=stats.get("response_received_count", 0),
        indexed=stats.get("monitor/index/indexed", 0),
        unchanged=stats.get("monitor/index/unchanged", 0),
        skipped=dropped
        - stage_errors
        + stats.get("monitor/fetch/not_html", 0)
        + stats.get("monitor/fetch/ignored", 0),
        errors=fetch_errors + stage_errors,
        known=stats.get("monitor/incremental/known", 0),
        not_modified=stats.get("monitor/incremental/not_modified", 0),
        finish_reason=stats.get("finish_reason"),
    )
