"""Attachments of a page (PDF, DOCX, ... linked from a policy document) fetched before the page's
item leaves the spider, so the document is indexed once, with its attachments' text.

The requests are chained: the page's item travels from one attachment request to the next and is
yielded after the last, whether each attachment came, failed or was refused. A failed attachment is
recorded on the item with its error (counted as `monitor/attachments/errors`), never dropped
silently, and never costs the page. Size cap and timeout: MONITOR_ATTACHMENT_MAXSIZE and
MONITOR_ATTACHMENT_TIMEOUT; at most MONITOR_ATTACHMENTS_MAX per page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from monitor.crawl.guard import Refused
from monitor.crawl.items import Article
from monitor.crawl.options import CrawlSettings
from monitor.crawl.summary import count
from monitor.text.documents import EXTENSIONS
from monitor.text.urls import url_problem
from spiders.links import absolute

logger = logging.getLogger(__name__)


# A cheap test on the raw bytes first: most pages link no document, and parsing them in the crawl
# process (the reactor's thread) cost 5.7 ms a page on the throughput benchmark's pages.
_CANDIDATE = re.compile(
    rb"""href\s*=\s*["']?[^"'\s>]+\.(?:%s)(?:[?#][^"'\s>]*)?["'\s>]"""
    % b"|".join(e.encode() for e in EXTENSIONS),
    re.IGNORECASE,
)
# and a cheaper one before it: the pattern above is tried at every "href" of a page (182 µs on
# those pages), a bare extension is one pass (14 µs): only pages that name one pay the first
_EXTENSION = re.compile(rb"\.(?:%s)\b" % b"|".join(e.encode() for e in EXTENSIONS), re.IGNORECASE)
_LOWER = "translate(@href, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
_XPATH = "//a[@href][{}]".format(" or ".join(f"contains({_LOWER}, '.{e}')" for e in EXTENSIONS))


def attachment_links(response: Response, limit: int) -> list[tuple[str, str]]:
    """(absolute URL, name) of the document files a page links to, in page order."""
    if not isinstance(response, TextResponse):
        return []
    body = response.body
    if not _EXTENSION.search(body) or not _CANDIDATE.search(body):
        return []
    found: dict[str, str] = {}
    for link in response.xpath(_XPATH):
        url = absolute(response, link.attrib["href"])
        if url_problem(url) in ("malformed", "no_host"):
            continue  # cannot even be requested; other refusals are recorded on the page
        extension = urlsplit(url).path.rsplit(".", 1)[-1].lower()
        if extension in EXTENSIONS and url not in found:
            text = " ".join("".join(link.css("::text").getall()).split())
            found[url] = text or unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return list(found.items())[:limit]


class AttachmentsMixin:
    """For SourceSpider: `with_attachments()` yields the attachment requests, then the item."""

    crawler: Any
    source: Any

    @property
    def _settings(self) -> CrawlSettings:
        if not hasattr(self, "_crawl_settings"):
            self._crawl_settings = CrawlSettings.of(self.crawler)
        return self._crawl_settings

    def with_attachments(self, response: Response, article: Article) -> Iterable[Any]:
        settings = self._settings
        links = (
            attachment_links(response, settings.attachments_max) if self.source.attachments else []
        )
        yield from self._next_attachment(article, links, response.meta.get("monitor_from"))

    def _next_attachment(
        self, article: Article, todo: list[tuple[str, str]], origin: str | None
    ) -> Iterable[Any]:
        """The request for the next attachment, or the item when none is left. `origin` is the
        listing page that linked the article: a failed attachment keeps it unrecorded."""
        if not todo:
            yield article
            return
        settings = self._settings
        url, name = todo[0]
        yield scrapy.Request(
            url,
            callback=self.parse_attachment,
            errback=self.attachment_failed,
            dont_filter=True,  # two pages may share a file: each must get its chain back
            cb_kwargs={"article": article, "todo": todo},
            meta={
                "monitor_kind": "attachment",
                "download_maxsize": settings.attachment_maxsize,
                "download_timeout": settings.attachment_timeout,
                # files often live on another host: the request guard checks the host against
                # the source's hosts and `attachment_hosts`, after every redirect too
                "allow_offsite": True,
                "monitor_from": origin,
            },
        )

    def parse_attachment(
        self, response: Response, article: Article, todo: list[tuple[str, str]]
    ) -> Iterable[Any]:
        url, name = todo[0]
        self.crawler.stats.inc_value("monitor/attachments/fetched")
        article.attachments.append(
            {
                "url": url,
                "name": name,
                "body": response.body,
                "content_type": response.headers.get(b"Content-Type", b"").decode("latin-1"),
                "capture": response.meta.get("monitor_capture"),
            }
        )
        yield from self._next_attachment(article, todo[1:], response.meta.get("monitor_from"))

    def attachment_failed(self, failure: Failure) -> Iterable[Any]:
        article, todo = failure.request.cb_kwargs["article"], failure.request.cb_kwargs["todo"]
        url, name = todo[0]
        status = getattr(getattr(failure.value, "response", None), "status", None)
        if status:
            error = f"HTTP {status}"
        elif failure.check(Refused):  # final: never fetched, never retried
            error = failure.getErrorMessage()
        else:
            error = f"{type(failure.value).__name__}: {failure.getErrorMessage()}"
        count(self.crawler.stats, "monitor/attachments/errors", url)
        logger.warning(
            "source %s: attachment %s of %s: %s", self.source.id, url, article.url, error
        )
        article.attachments.append({"url": url, "name": name, "error": error[:500]})
        yield from self._next_attachment(
            article, todo[1:], failure.request.meta.get("monitor_from")
        )
