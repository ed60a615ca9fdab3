"""Incremental crawling: fetch only what is new or changed, from the shared seen-record.

Two Scrapy components, both enabled in monitor.settings and both driven by `monitor_kind` in a
request's meta (the spiders set it: listing, feed, sitemap or article):

- `KnownArticles` (spider middleware) drops requests for article pages already recorded, unless the
  source asks for re-checks (`recheck: 7d`) and the page was last seen longer ago than that; a
  re-checked page is fetched with a conditional GET (and the listings of such a source in full).
- `ConditionalGet` (downloader middleware) sends If-None-Match / If-Modified-Since for listing
  pages, feeds and sitemaps fetched before; a 304 ends that request quietly (counted as
  `monitor/incremental/not_modified`), so an unchanged listing is not parsed again. It records the
  validators of what it fetched when the crawl finishes normally (see monitor.seen for why then),
  except for pages whose articles (or their attachments) could not all be fetched and stored: a
  listing that linked to an article that timed out or answered 5xx is read again next time, so the
  article is retried.

`MONITOR_INCREMENTAL = False` (`monitor crawl --full`) fetches everything again; the record is still
updated.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from monitor.config import EsConfig
from monitor.es.client import describe, make_client
from monitor.seen import Seen, SeenStore

logger = logging.getLogger(__name__)

PAGE_KINDS = ("listing", "feed", "sitemap")
BATCH = 500  # article requests looked up together
GONE = (404, 410)  # an article link that answers these is not retried
FETCHED = ("article", "attachment")  # their failure leaves the listing page unrecorded
STAGES = ("extract", "index")


class NotModified(IgnoreRequest):
    """The server answered 304 to a conditional GET: nothing new at this URL."""


class _SeenUser:
    """What both components share: the switch, the stats and a lazily opened store."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.stats = crawler.stats
        self.enabled = crawler.settings.getbool("MONITOR_INCREMENTAL")
        self.config = EsConfig.from_env(crawler.settings)
        self._store: SeenStore | None = None
        self._opening = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler: Any):
        return cls(crawler)

    async def store(self) -> SeenStore:
        async with self._opening:
            if self._store is None:
                self._store = await asyncio.to_thread(
                    SeenStore, make_client(self.config), self.config
                )
        return self._store

    async def lookup(self, urls: list[str]) -> dict[str, Seen]:
        store = await self.store()
        return await asyncio.to_thread(store.lookup, urls)

    def count(self, outcome: str, n: int = 1) -> None:
        self.stats.inc_value(f"monitor/incremental/{outcome}", n)


class KnownArticles(_SeenUser):
    """Spider middleware: article requests for pages already recorded are not sent again."""

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        batch: list[Request] = []
        async for output in result:
            if isinstance(output, Request) and _kind(output) == "article":
                output.meta.setdefault("monitor_from", response.url)
            if self.enabled and isinstance(output, Request) and _kind(output) == "article":
                batch.append(output)
                if len(batch) >= BATCH:
                    for request in await self._unknown(batch):
                        yield request
                    batch = []
            else:
                yield output
        for request in await self._unknown(batch):
            yield request

    async def _unknown(self, batch: list[Request]) -> list[Request]:
        if not batch:
            return []
        known = await self.lookup([r.url for r in batch])
        source = getattr(self.crawler.spider, "source", None)
        recheck = source.recheck.total_seconds() if source and source.recheck is not None else None
        now = datetime.now(timezone.utc)
        wanted = []
        for request in batch:
            record = known.get(request.url)
            if record is None:
                wanted.append(request)
            elif recheck is not None and record.older_than(recheck, now):
                request.meta["monitor_seen"] = record
                self.count("rechecked")
                wanted.append(request)
            else:
                self.count("known")
        return wanted


class ConditionalGet(_SeenUser):
    """Downloader middleware: conditional GET from the record; 304 ends the request."""

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self.fetched: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}  # url → (entry, meta)
        self.confirmed: list[dict[str, Any]] = []  # 304s: still as recorded
        self.incomplete: set[str] = set()  # pages that linked to an article that failed
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    async def process_request(self, request: Request) -> None:
        kind = _kind(request)
        source = getattr(self.crawler.spider, "source", None)
        if source is not None and source.recheck is not None and kind in PAGE_KINDS:
            return  # re-checking articles needs the links: listings are read in full
        if kind in PAGE_KINDS and self.enabled and "monitor_seen" not in request.meta:
            try:
                request.meta["monitor_seen"] = (await self.lookup([request.url])).get(request.url)
            except Exception as exc:  # the record is an optimisation: fetch in full without it
                self.count("lookup_errors")
                logger.warning("seen-record lookup failed for %s: %s", request.url, exc)
                request.meta["monitor_seen"] = None
        record: Seen | None = request.meta.get("monitor_seen")
        if record is not None and record.kind != "sitemapindex":
            for name, value in record.validators().items():
                request.headers.setdefault(name, value)

    async def process_response(self, request: Request, response: Response) -> Response:
        kind = _kind(request)
        if kind is None:
            return response
        source = getattr(self.crawler.spider, "source", None)
        entry = {"url": request.url, "kind": kind, "source_id": source and source.id}
        if response.status == 304 and request.meta.get("monitor_seen") is not None:
            self.count("not_modified")
            self.confirmed.append(entry | {"kind": request.meta["monitor_seen"].kind})
            raise NotModified(f"not modified since last seen: {request.url}")
        if kind in FETCHED and response.status >= 400 and response.status not in GONE:
            self.incomplete.add(request.meta.get("monitor_from", ""))
        if response.status == 200 and kind in PAGE_KINDS:
            self.fetched[request.url] = (
                entry
                | {
                    "status": 200,
                    "etag": header_value(response, b"ETag"),
                    "last_modified": header_value(response, b"Last-Modified"),
                    "content_hash": hashlib.sha1(response.body).hexdigest(),
                },
                request.meta,
            )
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if _kind(request) in FETCHED and not isinstance(exception, IgnoreRequest):
            self.incomplete.add(request.meta.get("monitor_from", ""))  # retries were exhausted

    async def spider_closed(self, spider: Any, reason: str) -> None:
        entries = list(self.confirmed)
        stage_errors = sum(self.stats.get_value(f"monitor/{s}/errors", 0) for s in STAGES)
        if reason == "finished" and not stage_errors:  # else not every link may have been followed
            for url, (entry, meta) in self.fetched.items():
                if url not in self.incomplete:
                    index = {"kind": "sitemapindex"} if meta.get("monitor_index") else {}
                    entries.append(entry | index)
        elif self.fetched:
            logger.info(
                "crawl ended early (%s) or with errors: %d listing pages left unrecorded, to be "
                "read again next run",
                reason,
                len(self.fetched),
            )
        if not entries:
            return
        try:
            store = await self.store()
            errors = await asyncio.to_thread(store.remember, entries)
        except Exception as exc:
            errors = [describe(exc, self.config)]
        if errors:
            self.count("record_errors", len(errors))
            logger.warning("seen-record: %d pages not recorded: %s", len(errors), errors[0])


def _kind(request: Request) -> str | None:
    return request.meta.get("monitor_kind")


def header_value(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
