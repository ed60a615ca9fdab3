"""Withdrawn pages: ministries take pages down without notice. A re-check of a stored article
(sources with `recheck:`, monitor.crawl.incremental) that gets 404 or 410, or is redirected to the
site's home page, marks its document `withdrawn_at` with the reason; the document is never
deleted, and search hides it unless asked (`monitor search --include-withdrawn`). A later re-check
that finds the page back clears the mark. The seen-record keeps the mark too, so a page that stays
gone keeps the date it was first found gone.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Request, Response

from monitor.crawl.record import SeenRecord
from monitor.crawl.seen import fingerprint
from monitor.crawl.signals import documents_stored
from monitor.crawl.summary import GONE_STATUSES
from monitor.text.dates import utc_now_iso
from monitor.text.urls import HOME_PATHS

logger = logging.getLogger(__name__)


def withdrawal(request: Request, response: Response) -> str | None:
    """Why a re-checked article is gone, or None: 404/410, or a redirect to the home page."""
    if response.status in GONE_STATUSES:
        return f"HTTP {response.status}"
    redirected = request.meta.get("redirect_urls") or []
    if (
        response.status == 200
        and redirected
        and urlsplit(response.url).path in HOME_PATHS
        and urlsplit(redirected[0]).path not in HOME_PATHS
    ):
        return "redirected to the home page"
    return None


class Withdrawals:
    """Downloader middleware (inside the retry middleware: final outcomes only)."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.record = SeenRecord.of(crawler)
        self.articles = self.record.config.index_name("articles")
        self.seen = self.record.config.index_name("seen")

    @classmethod
    def from_crawler(cls, crawler: Any) -> Withdrawals:
        return cls(crawler)

    async def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        seen = request.meta.get("monitor_seen")
        if request.meta.get("monitor_kind") != "article" or seen is None or not seen.document_id:
            return response
        reason = withdrawal(request, response)
        if reason and not seen.withdrawn_at:
            await self._mark(seen.url, seen.document_id, utc_now_iso(), reason)
            self.crawler.stats.inc_value("monitor/withdrawn/marked")
            # watches `on: [withdrawn]` hear of it
            self.crawler.signals.send_catch_log(
                signal=documents_stored, documents=[(seen.document_id, {"withdrawn_at": True})]
            )
            logger.warning("withdrawn: %s (%s); its document stays, marked", seen.url, reason)
        elif reason is None and response.status in (200, 304) and seen.withdrawn_at:
            await self._mark(seen.url, seen.document_id, None, None)
            self.crawler.stats.inc_value("monitor/withdrawn/restored")
            logger.info("back again: %s (withdrawn since %s)", seen.url, seen.withdrawn_at)
        return response

    async def _mark(self, url: str, doc_id: str, when: str | None, reason: str | None) -> None:
        es = self.record.client()

        def mark() -> None:
            quiet = es.options(ignore_status=404)  # deleted meanwhile: nothing to mark
            quiet.update(
                index=self.articles,
                id=doc_id,
                doc={"withdrawn_at": when, "withdrawn_reason": reason},
                refresh=True,  # searchable at once: the watches match it next
            )
            quiet.update(index=self.seen, id=fingerprint(url), doc={"withdrawn_at": when})

        await self.record.patience.call(mark, f"marking {url} withdrawn")
