"""Per-source outcome of a crawl, computed from a crawler's stats (the progress lines and the
closing summary both use it, so they always agree)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

# the stages whose errors make a crawl incomplete: counted as errors, and its listings unrecorded
ERROR_STAGES = ("extract", "index")
ERROR_KEYS = tuple(f"monitor/{stage}/errors" for stage in ERROR_STAGES)
# an article or attachment that answered these is gone for good: not retried, not a failure
GONE_STATUSES = (404, 410)
# stats of links skipped or refused before any request was made
UNREQUESTED = ("monitor/fetch/skipped/", "monitor/fetch/refused/", "offsite/filtered")
# stats whose counts say why pages were skipped or refused, by reason (the summary's `reasons`)
REASON_PREFIXES = {
    "monitor/fetch/skipped/": "skipped/",
    "monitor/fetch/refused/": "refused/",
    # requests a rendered page's scripts made, refused by the guard (monitor.crawl.render)
    "monitor/render/refused/": "browser_refused/",
    "monitor/fetch/errors/": "fetch_errors/",
    "monitor/extract/rejected/": "rejected/",
    # pages that are not articles (soft_404, section_front, empty_article): dropped items
    "monitor/extract/not_article/": "skipped/",
}
REASON_KEYS = {
    "monitor/extract/no_text": "no_text",
    "monitor/extract/unparsable": "unparsable",
    "monitor/extract/quarantined": "quarantined",
    "monitor/extract/errors": "extract_errors",
    "monitor/extract/truncated": "truncated",
    "monitor/index/errors": "index_errors",
    "monitor/fetch/not_html": "not_html",
    "monitor/validate/empty": "empty",
    "offsite/filtered": "skipped/offsite",  # Scrapy's own: links to other sites, not followed
    "monitor/fetch/ignored": "ignored",
    "monitor/attachments/errors": "attachment_errors",
    "monitor/extract/attachment_unreadable": "attachment_unreadable",
    "monitor/extract/attachment_scanned": "attachment_scanned",
    "monitor/extract/unreadable_documents": "unreadable_documents",
    "monitor/dedupe/url_duplicates": "skipped/duplicate_url",
    "monitor/dedupe/canonical_duplicates": "skipped/duplicate_canonical_url",
    "monitor/index/duplicates": "skipped/duplicate_text",  # a reprint: its text is stored
    "monitor/api/invalid": "api_invalid",
    "monitor/render/over_budget": "render_over_budget",
    "monitor/listing/shell_errors": "list_endpoint_invalid",
    "monitor/sitemap/invalid": "sitemap_invalid",
    "monitor/incremental/lookup_errors": "seen_lookup_errors",
}


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
    reasons: dict[str, int] = field(default_factory=dict)  # skipped/refused/errors by reason
    examples: dict[str, list[str]] = field(default_factory=dict)  # reason → its first few URLs
    duration: float | None = None  # seconds, from the spider's opening to its closing
    shared: str | None = None  # a part of this shared crawl (monitor.distributed.shared)
    shared_parts: int = 0  # the parts that joined it, when this one ended
    shared_last: bool = False  # the last part out: the source's health is judged after it
    # this part's requests: enqueued / dequeued (shared), kept (its own: attachment chains),
    # refused (queued entries it may not run: not JSON requests naming its own callbacks)
    shared_requests: dict[str, int] = field(default_factory=dict)
    # lists read where the page's script reads them (spiders/shells.py): {kind: pages}
    lists: dict[str, int] = field(default_factory=dict)
    rendered: int = 0  # pages rendered in the browser (render: true)

    @property
    def interrupted(self) -> bool:
        """Stopped by Ctrl-C or SIGTERM: neither a failure nor a full run."""
        return self.finish_reason == "shutdown" and not self.failure

    @property
    def failed(self) -> bool:
        if self.interrupted:
            return False
        nothing = self.pages == 0 and self.not_modified == 0
        if self.shared and not self.errors:  # a part that found the others had done it all
            nothing = False
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
        return {**asdict(self), "failed": self.failed, "interrupted": self.interrupted}


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
        + stats.get("monitor/fetch/ignored", 0)
        # links skipped or refused before any request (dropped items are counted above)
        + sum(v for k, v in stats.items() if k.startswith(UNREQUESTED)),
        errors=fetch_errors + stage_errors,
        known=stats.get("monitor/incremental/known", 0),
        not_modified=stats.get("monitor/incremental/not_modified", 0),
        finish_reason=stats.get("finish_reason"),
        reasons=reasons(stats),
        examples=examples(stats),
        duration=_seconds(stats),
        shared=stats.get("monitor/shared/run"),
        shared_parts=stats.get("monitor/shared/parts", 0),
        shared_last=bool(stats.get("monitor/shared/last")),
        shared_requests={
            k.removeprefix(SHARED_PREFIX): v
            for k, v in stats.items()
            if k.startswith(SHARED_PREFIX) and k[len(SHARED_PREFIX) :] in SHARED_COUNTS
        },
        lists={
            k.removeprefix(SHELL_PREFIX): v for k, v in stats.items() if k.startswith(SHELL_PREFIX)
        },
        rendered=stats.get("monitor/render/pages", 0),
    )


SHELL_PREFIX = "monitor/listing/shell/"
SHARED_PREFIX = "monitor/shared/"
SHARED_COUNTS = ("enqueued", "dequeued", "kept", "refused")
EXAMPLES = "monitor/examples/"  # stats key prefix: the first URLs counted under another key
KEEP_EXAMPLES = 3


def count(stats: Any, key: str, url: str | None = None) -> None:
    """Count an outcome in the crawler's stats, keeping its first few URLs as examples (the
    summary lists them under the outcome's reason)."""
    stats.inc_value(key)
    if url:
        kept = stats.get_value(EXAMPLES + key) or []
        if len(kept) < KEEP_EXAMPLES and url not in kept:
            stats.set_value(EXAMPLES + key, [*kept, url])


def examples(stats: Mapping[str, Any]) -> dict[str, list[str]]:
    """{reason: [first URLs]}, with the reasons' names of `reasons`."""
    found: dict[str, list[str]] = {}
    for key, urls in stats.items():
        if key.startswith(EXAMPLES) and urls:
            for reason in reasons({key.removeprefix(EXAMPLES): 1}):
                found[reason] = list(urls)
    return dict(sorted(found.items()))


def _seconds(stats: Mapping[str, Any]) -> float | None:
    start, end = stats.get("start_time"), stats.get("finish_time")
    try:
        return round((end - start).total_seconds(), 1)
    except TypeError:  # still running, or never started
        return None


def reasons(stats: Mapping[str, Any]) -> dict[str, int]:
    """{reason: count} of what was skipped, refused or failed, from a crawler's stats."""
    found: dict[str, int] = {}
    for key, value in stats.items():
        for prefix, name in REASON_PREFIXES.items():
            if key.startswith(prefix):
                found[(name + key.removeprefix(prefix)).replace(".", "_")] = value
        if key in REASON_KEYS and value:
            found[REASON_KEYS[key]] = value
    return dict(sorted(found.items()))
