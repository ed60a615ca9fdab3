"""Incremental crawling: fetch only what is new or changed, from the shared seen-record.

Two Scrapy components, both enabled in monitor.settings and both driven by `monitor_kind` in a
request's meta (the spiders set it: listing, feed, sitemap or article):

- `KnownArticles` (spider middleware) drops requests for article pages already recorded, unless the
  source asks for re-checks (`recheck: 7d`) and the page was last seen longer ago than that; a
  re-checked page is fetched with a conditional GET (and the listings of such a source in full).
- `ConditionalGet` (downloader middleware) sends If-None-Match / If-Modified-Since for listing
  pages, feeds and sitemaps fetched before; a 304 ends that request quietly (counted as
  `monitor/incremental/not_modified`), so an unchanged listing is not parsed again. It records the
  validators of what it fetched when the crawl finishes normally (see monitor.crawl.seen for why
  then), except for pages whose articles (or their attachments) could not all be fetched and
  stored: a listing that linked to an article that timed out or answered 5xx is read again next
  time, so the article is retried. The crawl's seen-record (monitor.crawl.record) keeps this.

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
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response

from monitor.crawl.record import SeenRecord
from monitor.crawl.seen import Seen
from monitor.crawl.summary import GONE_STATUSES

logger = logging.getLogger(__name__)

PAGE_KINDS = ("listing", "feed", "sitemap")
MAX_LISTED = 1000  # article links kept with a listing page's record (the drop hint)
BATCH = 500  # article requests looked up together
FETCHED = ("article", "attachment")  # their failure leaves the listing page unrecorded


class NotModified(IgnoreRequest):
    """The server answered 304 to a conditional GET: nothing new at this URL."""


class _SeenUser:
    """What both components share: the crawl's seen-record (monitor.crawl.record)."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.record = SeenRecord.of(crawler)
        self.enabled = self.record.enabled

    @classmethod
    def from_crawler(cls, crawler: Any):
        return cls(crawler)


class KnownArticles(_SeenUser):
    """Spider middleware: article requests for pages already recorded are not sent again.

    If handling a page raises half-way, the requests it had already produced are still sent, and
    the page is left unrecorded, so the next run reads it again; so is a listing page, feed or
    sitemap that gave no link at all.

    For sources that re-check (`recheck:`), a listing page, feed or sitemap records the article
    links it gave (MAX_LISTED); an article it no longer gives, and that no other page of the
    crawl gave, is re-checked before the crawl ends (a conditional GET: a page taken down is
    marked withdrawn, monitor.crawl.withdrawn), whether or not its re-check was due."""

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self.linked: set[str] = set()  # article links any page of this crawl gave
        self.dropped: set[str] = set()  # links a page gave before and not now
        self.hinted: set[str] = set()
        self._rechecking: asyncio.Future | None = None
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    def _rechecks(self) -> bool:
        source = getattr(self.crawler.spider, "source", None)
        return self.enabled and source is not None and source.recheck is not None

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        batch: list[Request] = []
        listed: list[str] = []
        try:
            async for output in result:
                if isinstance(output, Request) and _kind(output) == "article":
                    listed.append(output.url)
                    output.meta.setdefault("monitor_from", response.url)
                    if self.enabled:
                        batch.append(output)
                        if len(batch) >= BATCH:
                            for request in await self._unknown(batch):
                                yield request
                            batch = []
                        continue
                yield output
        except Exception:
            self.record.leave_unrecorded(response.url)
            self.record.count("page_errors")
            for request in await self._unknown(batch):
                yield request
            raise
        for request in await self._unknown(batch):
            yield request
        if _kind(response.request) in PAGE_KINDS and self._rechecks():
            await self._compare_listed(response.request.url, listed)
        if response.meta.get("monitor_links") == 0 and _kind(response.request) in PAGE_KINDS:
            # a listing, feed or sitemap that gave no link (a layout change, an empty feed) is
            # read again next run, not answered 304 as if all were well
            self.record.leave_unrecorded(response.url)

    async def _compare_listed(self, url: str, listed: list[str]) -> None:
        """Keep the page's article links with its record; note the ones it gave before only."""
        self.linked.update(listed)
        fetched = self.record.fetched.get(url)
        if fetched is not None:
            fetched[0]["links"] = listed[:MAX_LISTED]
        before = (await self.record.lookup([url])).get(url)
        if before is not None and before.links:
            self.dropped.update(set(before.links) - set(listed))

    def spider_idle(self, spider: Any) -> None:
        """Before the crawl ends: re-check the articles listing pages dropped (see the class)."""
        if self._rechecking is not None and not self._rechecking.done():
            raise DontCloseSpider
        todo = sorted(self.dropped - self.linked - self.hinted)
        if todo:
            self.hinted.update(todo)
            self._rechecking = asyncio.ensure_future(self._recheck_dropped(spider, todo))
            raise DontCloseSpider

    async def _recheck_dropped(self, spider: Any, urls: list[str]) -> None:
        known = await self.record.lookup(urls)
        for url in urls:
            record = known.get(url)
            if record is None or record.kind != "article" or not record.document_id:
                continue
            if record.withdrawn_at:  # already found gone: its regular re-check sees it back
                continue
            request = spider.article_request(url)
            if request is None:
                continue
            request.meta["monitor_seen"] = record  # a conditional GET with its validators
            self.record.count("dropped_rechecked")
            self.crawler.engine.crawl(request.replace(dont_filter=True))

    async def _unknown(self, batch: list[Request]) -> list[Request]:
        if not batch:
            return []
        known = await self.record.lookup([r.url for r in batch])
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
                self.record.count("rechecked")
                wanted.append(request)
            else:
                self.record.count("known")
        return wanted


class ConditionalGet(_SeenUser):
    """Downloader middleware: conditional GET from the record; 304 ends the request."""

    async def process_request(self, request: Request, spider: Any = None) -> None:
        kind = _kind(request)
        source = getattr(self.crawler.spider, "source", None)
        if source is not None and source.recheck is not None and kind in PAGE_KINDS:
            return  # re-checking articles needs the links: listings are read in full
        if kind in PAGE_KINDS and self.enabled and "monitor_seen" not in request.meta:
            request.meta["monitor_seen"] = (await self.record.lookup([request.url])).get(
                request.url
            )
        record: Seen | None = request.meta.get("monitor_seen")
        if record is not None and record.kind != "sitemapindex":
            for name, value in record.validators().items():
                request.headers.setdefault(name, value)

    async def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        kind = _kind(request)
        if kind is None:
            return response
        source = getattr(self.crawler.spider, "source", None)
        entry = {"url": request.url, "kind": kind, "source_id": source and source.id}
        if response.status == 304 and request.meta.get("monitor_seen") is not None:
            self.record.count("not_modified")
            self.record.confirmed.append(entry | {"kind": request.meta["monitor_seen"].kind})
            raise NotModified(f"not modified since last seen: {request.url}")
        if kind in FETCHED and response.status >= 400 and response.status not in GONE_STATUSES:
            self.record.leave_unrecorded(request.meta.get("monitor_from"))
        if response.status == 200 and kind in PAGE_KINDS:
            entry |= {
                "status": 200,
                "etag": header_value(response, b"ETag"),
                "last_modified": header_value(response, b"Last-Modified"),
                "content_hash": hashlib.sha1(response.body).hexdigest(),
            }
            self.record.fetched[request.url] = (entry, request.meta)  # the spider may mark it
        elif kind in PAGE_KINDS and response.status >= 400:
            self.record.leave_unrecorded(request.url)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        if _kind(request) in FETCHED and not isinstance(exception, IgnoreRequest):
            self.record.leave_unrecorded(request.meta.get("monitor_from"))  # retries exhausted


def _kind(request: Request) -> str | None:
    return request.meta.get("monitor_kind")


def header_value(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
