"""Paginated listing pages: article links by CSS, pages by a `next` selector or a URL pattern.

Many Chinese government sites build their pager in JavaScript (createPageHTML(...)) and have no
next link: for those, `pages: {pattern: "index_{n}.html", count: N}` lists the pages directly, and
`pages: auto` reads the count and the file names from the first page's createPageHTML(total,
current, "index", "html") call (at most MAX_AUTO_PAGES pages).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable

import scrapy
from scrapy.http import Response, TextResponse

from spiders.base import SourceSpider

MAX_AUTO_PAGES = 50
# createPageHTML(7, 0, "index", "html") — also with single quotes, or with the names in variables
_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?\d+['\"]?\s*,\s*['\"]([\w.-]+)['\"]\s*,"
    r"\s*['\"](\w+)['\"]"
)


def js_pager_pages(response: TextResponse) -> list[str]:
    """The other pages a createPageHTML(...) pager on this page links to ([] when none)."""
    match = _CREATE_PAGE.search(response.text)
    if not match:
        return []
    total, name, extension = int(match[1]), match[2], match[3]
    return [
        response.urljoin(f"{name}_{n}.{extension}") for n in range(1, min(total, MAX_AUTO_PAGES))
    ]


def listing_links(response: TextResponse, css: str) -> list[tuple[str, str]]:
    """(href, link text) of each matched element (or of the first link inside it)."""
    found = []
    for node in response.css(css):
        link = node if node.attrib.get("href") else node.css("a[href]")
        href = link.attrib.get("href") if link else None
        # a same-page anchor is not a link to anything; tel:, javascript: and the like are kept
        # for the spider to count as skipped, with the reason
        if href and not href.strip().startswith("#"):
            title = node.attrib.get("title") or " ".join(
                "".join(link.css("::text").getall()).split()
            )
            found.append((href.strip(), title))
    return found


def listing_hrefs(response: TextResponse, css: str) -> list[str]:
    return [href for href, _ in listing_links(response, css)]


class ListingSpider(SourceSpider):
    name = "listing"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.urls:
            start = self.page_request(url, self.parse_listing, "listing")
            start.meta["monitor_start"] = True
            yield start
            if self.source.pages and not self.source.pages.auto:
                for page in self.source.pages.urls(url):
                    yield self.page_request(page, self.parse_listing, "listing")

    def parse_listing(self, response: Response) -> Iterable[scrapy.Request]:
        if not isinstance(response, TextResponse):
            self.logger.warning(
                "source %s: listing %s is not a text page", self.source.id, response.url
            )
            return
        if self.source.encoding:
            response = response.replace(encoding=self.source.encoding)
        # Scrapy's queue is last-in first-out: yielding the next page before the articles makes the
        # articles go first, so the queue stays one listing page long however long the listing is.
        if self.source.next:
            for href in listing_hrefs(response, self.source.next):
                yield self.page_request(self.link(response, href), self.parse_listing, "listing")
        if self.source.pages and self.source.pages.auto and response.meta.get("monitor_start"):
            pages = js_pager_pages(response)
            if not pages:
                self.logger.warning(
                    "source %s: pages: auto, but no createPageHTML(...) pager on %s",
                    self.source.id,
                    response.url,
                )
            for page in pages:
                yield self.page_request(page, self.parse_listing, "listing")
        links = listing_links(response, self.source.links)
        response.meta["monitor_links"] = len(links)  # none: the page is read again next run
        self.crawler.stats.inc_value("monitor/listing/pages")
        self.crawler.stats.inc_value("monitor/listing/links", len(links))
        if not links:
            self.logger.warning(
                "source %s: no article links on %s (selector %r)",
                self.source.id,
                response.url,
                self.source.links,
            )
        for href, text in links:
            # the link text names a linked PDF; an HTML page's own title wins over it
            request = self.article_request(self.link(response, href), {"title": text or None})
            if request:
                yield request
