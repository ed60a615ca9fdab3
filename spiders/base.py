"""What every source spider shares: loading its source, politeness, the article request."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from monitor.crawl.guard import Refused
from monitor.crawl.incremental import NotModified, header_value
from monitor.crawl.items import Article
from monitor.crawl.options import CrawlSettings
from monitor.crawl.summary import count
from monitor.errors import ConfigError
from monitor.sources import Source, load_sources, select_sources
from monitor.text.dates import utc_now_iso
from monitor.text.documents import document_format
from monitor.text.urls import url_problem
from monitor.text.zones import source_zone
from spiders.attachments import AttachmentsMixin
from spiders.links import absolute

logger = logging.getLogger(__name__)

HTML_TYPES = (b"text/html", b"application/xhtml+xml", b"text/plain", b"")


class SourceSpider(AttachmentsMixin, scrapy.Spider):
    """A spider for one configured source; `name` is the source type it serves."""

    def __init__(self, source: Source, **kwargs: Any):
        super().__init__(**kwargs)
        self.source = source
        self.allowed_domains = list(source.hosts)

    @classmethod
    def from_crawler(
        cls,
        crawler,
        *args: Any,
        source: Source | str | None = None,
        sources: str | None = None,
        **kwargs: Any,
    ):
        """`source` is a Source (from `monitor crawl`) or an id (`scrapy crawl X -a source=ID`)."""
        if not isinstance(source, Source):
            if not source:
                raise ConfigError(
                    f"spider {cls.name!r} needs a source: scrapy crawl {cls.name} -a source=<id>"
                )
            path = sources or CrawlSettings.from_settings(crawler.settings).sources_file
            source = select_sources(load_sources(path), [source])[0]
        if source.type != cls.name:
            raise ConfigError(
                f"source {source.id!r} is of type {source.type!r}; crawl it with the "
                f"{source.type!r} spider, not {cls.name!r}"
            )
        # the source's politeness, as this crawler's own settings (one crawler per source)
        if source.delay is not None:
            crawler.settings.set("DOWNLOAD_DELAY", source.delay, priority="spider")
        if source.concurrency is not None:
            crawler.settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", source.concurrency, "spider")
        if source.render:  # pages drawn by script: headless Chromium (monitor.crawl.render)
            from monitor.crawl.render import configure

            configure(crawler.settings)
        if crawler.settings.get("MONITOR_SHARED_RUN"):  # one crawl over many processes (Redis)
            crawler.settings.set(
                "SCHEDULER", "monitor.distributed.shared.SharedScheduler", priority="spider"
            )
        return super().from_crawler(crawler, *args, source=source, **kwargs)

    def article_request(
        self, url: str, hints: dict[str, Any] | None = None
    ) -> scrapy.Request | None:
        """A request for an article page, or None when the link cannot be fetched (not http(s),
        too long: counted with the reason) or the source's allow/deny rules refuse it."""
        if not url or self.unfetchable(url):
            return None
        if not self.source.accepts(url):
            self.crawler.stats.inc_value("monitor/fetch/filtered")
            return None
        return self.rendered(
            scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.on_error,
                cb_kwargs={"hints": hints or {}},
                meta={"monitor_kind": "article"},
            )
        )

    link = staticmethod(absolute)

    def unfetchable(self, url: str) -> bool:
        """Whether a link is skipped (tel:, javascript:, a URL over 2,083 characters, ...);
        each one is counted as monitor/fetch/skipped/<reason>, so nothing vanishes unseen."""
        problem = url_problem(url)
        if problem:
            count(self.crawler.stats, f"monitor/fetch/skipped/{problem}", url[:300])
            logger.info("source %s: skipping link %s (%s)", self.source.id, url[:200], problem)
        return problem is not None

    def page_request(self, url: str, callback: Any, kind: str) -> scrapy.Request | None:
        """A request for a listing page, feed or sitemap (conditional when seen before); None
        when the link cannot be fetched (counted)."""
        if self.unfetchable(url):
            return None
        return self.rendered(
            scrapy.Request(
                url, callback=callback, errback=self.on_error, meta={"monitor_kind": kind}
            )
        )

    def rendered(self, request: scrapy.Request) -> scrapy.Request:
        """The request, rendered in the browser when the source asks it for its kind of page and
        the crawl's page budget (MONITOR_RENDER_MAX_PAGES) is not spent; else as it is."""
        kind = {"listing": "listings", "article": "articles"}.get(request.meta["monitor_kind"])
        if kind not in self.source.render:
            return request
        settings, stats = self.crawler.settings, self.crawler.stats
        budget = settings.getint("MONITOR_RENDER_MAX_PAGES")
        if stats.get_value("monitor/render/pages", 0) >= budget:
            if not stats.get_value("monitor/render/over_budget"):
                logger.warning(
                    "source %s: the render budget (MONITOR_RENDER_MAX_PAGES=%s) is spent: "
                    "later pages are fetched without the browser",
                    self.source.id,
                    budget,
                )
            count(stats, "monitor/render/over_budget", request.url)
            return request
        from monitor.crawl.render import render_meta

        stats.inc_value("monitor/render/pages")
        request.meta.update(render_meta(stats, settings.getfloat("MONITOR_RENDER_TIMEOUT")))
        return request

    def parse_article(self, response: Response, hints: dict[str, Any]) -> Iterable[Any]:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        document = document_format(response.body, content_type, response.url)
        mime = content_type.split(";")[0].strip().lower().encode()
        if document is None and mime not in HTML_TYPES:
            count(self.crawler.stats, "monitor/fetch/not_html", response.url)
            logger.info("skipping %s: not an HTML page or a document (%s)", response.url, mime)
            return
        article = Article(
            url=response.url,
            request_url=response.request.url,
            source_id=self.source.id,
            source_type=self.source.type,
            body=response.body,
            content_type=content_type or None,
            status=response.status,
            fetched_at=utc_now_iso(),
            language_hint=self.source.language,
            encoding=self.source.encoding,
            timezone=source_zone(self.source),
            hints={**hints, "doc_type": self.source.doc_type} if self.source.doc_type else hints,
            validators={
                "etag": header_value(response, b"ETag"),
                "last_modified": header_value(response, b"Last-Modified"),
            },
            capture=response.meta.get("monitor_capture"),
        )
        if document is not None:  # a PDF or DOCX linked as the article itself
            yield article
        else:
            yield from self.with_attachments(response, article)

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if failure.check(NotModified, Refused):  # counted by monitor.crawl.incremental, the guard
            return
        if failure.check(IgnoreRequest) and "max redirections" in failure.getErrorMessage():
            count(self.crawler.stats, "monitor/fetch/errors/redirects", url)
            logger.warning("source %s: cannot fetch %s: too many redirects", self.source.id, url)
            return
        if failure.check(IgnoreRequest) and not failure.check(
            HttpError
        ):  # robots.txt, offsite: a decision
            count(self.crawler.stats, "monitor/fetch/ignored", url)
            logger.info(
                "source %s: not fetching %s: %s", self.source.id, url, failure.getErrorMessage()
            )
            return
        reason = failure.value.__class__.__name__
        status = getattr(getattr(failure.value, "response", None), "status", None)
        count(self.crawler.stats, f"monitor/fetch/errors/{status or reason}", url)
        logger.warning(
            "source %s: cannot fetch %s: %s",
            self.source.id,
            url,
            f"HTTP {status}" if status else f"{reason}: {failure.getErrorMessage()}",
        )
