"""The seen-record of one crawl: a Scrapy extension that owns the crawl's seen store (over the
process's client, monitor.crawl.core), and what the crawl learnt about its listing pages.

Both incremental middlewares (monitor.crawl.incremental) and the index pipeline reach it through
`crawler.get_extension(SeenRecord)`: one seen store and one template check per crawl. Every call
waits out an unreachable cluster (monitor.es.patience). When the cluster stays away longer than
MONITOR_ES_WAIT, a lookup answers "unknown" (the page is fetched: an optimisation never costs a
page) and a write is reported, not fatal.

Listing pages, feeds and sitemaps are recorded when the crawl finishes normally and without stage
errors, except those marked incomplete: a page that linked to an article (or attachment) that could
not be fetched and stored, or whose handling raised.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from elasticsearch import Elasticsearch
from scrapy import signals

from monitor.crawl.core import Monitor
from monitor.crawl.options import CrawlSettings
from monitor.crawl.seen import Seen, SeenLookupError, SeenStore
from monitor.crawl.signals import pages_indexed
from monitor.crawl.summary import ERROR_KEYS
from monitor.es.client import describe
from monitor.es.patience import CLIENT_ERRORS, Patience

logger = logging.getLogger(__name__)


class SeenRecord:
    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.stats = crawler.stats
        self.monitor = Monitor.of(crawler)
        self.config = self.monitor.es_config
        self.enabled = crawler.settings.getbool("MONITOR_INCREMENTAL")
        self.patience = Patience(CrawlSettings.of(crawler).es_wait, self.config.display_url)
        # listing URL → (its record entry, its request's meta, where the spider marks indexes)
        self.fetched: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.confirmed: list[dict[str, Any]] = []  # listings answered 304: still as recorded
        self.incomplete: set[str] = set()  # listings not to record this time
        self._store: SeenStore | None = None
        self._opening = asyncio.Lock()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.pages_indexed, signal=pages_indexed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SeenRecord:
        return cls(crawler)

    @classmethod
    def of(cls, crawler: Any) -> SeenRecord:
        record = crawler.get_extension(cls)
        if record is None:
            raise RuntimeError("monitor.crawl.record.SeenRecord is not in EXTENSIONS")
        return record

    def count(self, outcome: str, n: int = 1) -> None:
        self.stats.inc_value(f"monitor/incremental/{outcome}", n)

    def client(self) -> Elasticsearch:
        """The process's one client (its Monitor's)."""
        return self.monitor.client()

    async def store(self) -> SeenStore:
        async with self._opening:
            if self._store is None:
                es = self.client()
                self._store = await self.patience.call(
                    lambda: SeenStore(es, self.config), "opening the seen-record"
                )
        return self._store

    async def lookup(self, urls: list[str]) -> dict[str, Seen]:
        """{url: record} of the URLs recorded before; {} when the cluster cannot answer."""
        if not urls:
            return {}
        try:
            store = await self.store()
            return await self.patience.call(lambda: store.lookup(urls), "seen-record lookup")
        except (*CLIENT_ERRORS, SeenLookupError) as exc:
            self.count("lookup_errors")
            why = str(exc) if isinstance(exc, SeenLookupError) else describe(exc, self.config)
            logger.warning(
                "seen-record lookup of %d URLs failed, fetching them: %s", len(urls), why
            )
            return {}

    async def remember(self, entries: list[dict[str, Any]]) -> list[str]:
        """Record entries as seen; the errors (empty when all were written)."""
        if not entries:
            return []
        try:
            store = await self.store()
            return await self.patience.call(lambda: store.remember(entries), "seen-record write")
        except CLIENT_ERRORS as exc:
            return [describe(exc, self.config)]

    async def pages_indexed(self, items: list[Any]) -> None:
        """Pages whose documents the index stage holds: recorded as seen (under the URL asked
        for and the URL answered), so later runs do not fetch them again."""
        entries = [
            {
                "url": url,
                "kind": "article",
                "source_id": item.source_id,
                "status": item.status,
                "content_hash": item.doc["content_hash"],
                "document_id": item.doc["id"],
                **item.validators,
            }
            for item in items
            for url in dict.fromkeys((item.request_url, item.url))
        ]
        errors = await self.remember(entries)
        if errors:  # the documents are stored: the pages will merely be fetched again next run
            self.stats.inc_value("monitor/index/seen_errors", len(errors))
            logger.warning("%d pages not recorded as seen: %s", len(errors), errors[0])

    def leave_unrecorded(self, url: str | None) -> None:
        """The listing page at `url` is to be read again next run."""
        if url:
            self.incomplete.add(url)

    async def spider_closed(self, spider: Any, reason: str) -> None:
        await self._record_listings(reason)
        if self.patience.waits:
            self.stats.set_value("monitor/es/waits", self.patience.waits)

    def _clean(self, reason: str) -> bool:
        """Whether every link may have been followed: a normal end without stage errors."""
        return reason == "finished" and not sum(self.stats.get_value(k, 0) for k in ERROR_KEYS)

    @staticmethod
    def _entry(entry: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
        return entry | ({"kind": "sitemapindex"} if meta.get("monitor_index") else {})

    def hand_over(self, reason: str) -> tuple[list[dict[str, Any]], list[str], bool]:
        """For a part of a shared crawl (monitor.distributed.shared): its listing pages' entries,
        the listing URLs it found incomplete, and whether it ended cleanly. The last part out
        records every part's (`confirmed`); this part records none itself."""
        entries = [self._entry(entry, meta) for entry, meta in self.fetched.values()]
        handed = (entries, sorted(self.incomplete), self._clean(reason))
        self.fetched.clear()
        return handed

    async def _record_listings(self, reason: str) -> None:
        entries = list(self.confirmed)
        if self._clean(reason):  # else not every link may have been followed
            for url, (entry, meta) in self.fetched.items():
                if url not in self.incomplete:
                    entries.append(self._entry(entry, meta))
        elif self.fetched:
            logger.info(
                "crawl ended early (%s) or with errors: %d listing pages left unrecorded, to be "
                "read again next run",
                reason,
                len(self.fetched),
            )
        errors = await self.remember(entries)
        if errors:
            self.count("record_errors", len(errors))
            logger.warning("seen-record: %d pages not recorded: %s", len(errors), errors[0])
