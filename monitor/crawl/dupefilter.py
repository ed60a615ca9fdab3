"""Scrapy's duplicate-request filter, made to say when it stops a redirect.

A redirect loop (a → b → a) ends when the scheduler's filter drops the request that returns to a
URL already fetched: silently, in Scrapy. Here such a drop is counted and logged: a redirect back
into its own chain as `monitor/fetch/errors/redirect_loop`, a redirect to a page this crawl already
fetched by another link as `monitor/fetch/skipped/redirect_seen` (its content is not lost).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.dupefilters import RFPDupeFilter
from scrapy.http import Request

logger = logging.getLogger(__name__)


class CountsRedirects:
    """The counting, for any duplicate filter class (Scrapy's, or the shared one in Redis of
    monitor.distributed.shared); `stats` is the crawler's."""

    stats: Any = None

    def log(self, request: Request, spider: Any) -> None:
        chain = request.meta.get("redirect_urls")
        if chain and self.stats is not None:
            loop = request.url in chain
            key = "errors/redirect_loop" if loop else "skipped/redirect_seen"
            self.stats.inc_value(f"monitor/fetch/{key}")
            if loop:
                logger.warning(
                    "cannot fetch %s: a redirect loop (%s)", chain[0], " → ".join(chain[:5])
                )
        super().log(request, spider)  # type: ignore[misc]


class RedirectAwareDupeFilter(CountsRedirects, RFPDupeFilter):
    @classmethod
    def from_crawler(cls, crawler: Any) -> RedirectAwareDupeFilter:
        dupefilter = super().from_crawler(crawler)
        dupefilter.stats = crawler.stats
        return dupefilter
