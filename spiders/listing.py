"""Paginated listing pages: article links by CSS, pages by a `next` selector or a URL pattern.

Many Chinese government sites build their pager in JavaScript (createPageHTML(...)) and have no
next link: for those, `pages: {pattern: "index_{n}.html", count: N}` lists the pages directly, and
`pages: auto` reads the count and the file names from the first page's createPageHTML(total,
current, "index", "html") call (at most MAX_AUTO_PAGES pages).

A page whose `links:` find nothing is checked for a list its own script builds (the jpaas and
jpage shells of Chinese government CMSs, spiders/shells.py): the endpoint the script calls is
read instead, page after page, with the titles and dates its items carry.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse

from monitor.crawl.summary import count
from spiders.base import SourceSpider
from spiders.shells import MAX_SHELL_PAGES, Shell, ShellError, find_shell

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
        self.shells_read: set[str] = set()
        self.shell_seen: set[str] = set()
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
        self.crawler.stats.inc_value("monitor/listing/pages")
        links = listing_links(response, self.source.links)
        shell = None if links else find_shell(response.text, response.url)
        # Scrapy's queue is last-in first-out: yielding the next page before the articles makes the
        # articles go first, so the queue stays one listing page long however long the listing is.
        if self.source.next:
            for href in listing_hrefs(response, self.source.next):
                yield self.page_request(self.link(response, href), self.parse_listing, "listing")
        if self.source.pages and self.source.pages.auto and response.meta.get("monitor_start"):
            pages = js_pager_pages(response)
            if not pages and shell is None:
                self.logger.warning(
                    "source %s: pages: auto, but no createPageHTML(...) pager on %s",
                    self.source.id,
                    response.url,
                )
            for page in pages:
                yield self.page_request(page, self.parse_listing, "listing")
        response.meta["monitor_links"] = len(links)  # none: the page is read again next run
        if shell is not None:
            yield from self.read_shell(response, shell)
            return
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

    # --- lists built by script (spiders/shells.py) ----------------------------------------------

    def read_shell(self, response: TextResponse, shell: Shell) -> Iterable[scrapy.Request]:
        """A page whose list its script builds: the links it carries, then the endpoint's first
        page. Counted as monitor/listing/shell/<kind> (the crawl summary names the kind)."""
        key = shell.base + repr(sorted(shell.params.items()))
        if key in self.shells_read:  # every page of a column holds the same shell
            return
        self.shells_read.add(key)
        count(self.crawler.stats, f"monitor/listing/shell/{shell.kind}", response.url)
        self.logger.info(
            "source %s: the list on %s is built by script (%s): reading %s",
            self.source.id,
            response.url,
            shell.kind,
            shell.base,
        )
        yield from self.shell_links(response, shell.preloaded)
        yield self.shell_request(response.url, shell, shell.first_page)

    def shell_request(self, referer: str, shell: Shell, page: int) -> scrapy.Request:
        endpoint = shell.endpoint(page)
        options: dict[str, Any] = {
            "callback": self.parse_shell,
            "errback": self.on_error,
            "cb_kwargs": {"shell": shell, "page": page, "referer": referer},
            "meta": {"monitor_kind": "listing"},
            # what the page's XHR sends: the servers of these CMSs refuse requests without them
            "headers": {"Referer": referer, "X-Requested-With": "XMLHttpRequest"},
        }
        if endpoint.method == "POST":
            return scrapy.FormRequest(endpoint.url, formdata=endpoint.form, **options)
        return scrapy.Request(endpoint.url, **options)

    def parse_shell(
        self, response: Response, shell: Shell, page: int, referer: str
    ) -> Iterable[scrapy.Request]:
        try:
            found = shell.read(response.text if isinstance(response, TextResponse) else "")
        except ShellError as exc:
            count(self.crawler.stats, "monitor/listing/shell_errors", response.url)
            self.logger.warning("source %s: %s: %s", self.source.id, response.url, exc)
            return
        response.meta["monitor_links"] = len(found.links)
        new = [link for link in found.links if link[0] not in self.shell_seen]
        self.shell_seen.update(link[0] for link in found.links)
        total = found.total_pages or shell.total_pages
        more = page < (total or MAX_SHELL_PAGES) and page - shell.first_page + 1 < MAX_SHELL_PAGES
        if new and more:  # before the articles: see parse_listing
            yield self.shell_request(referer, shell, page + 1)
        yield from self.shell_links(response, found.links)

    def shell_links(
        self, response: Response, links: Iterable[tuple[str, str, str | None]]
    ) -> Iterable[scrapy.Request]:
        links = list(links)
        self.crawler.stats.inc_value("monitor/listing/links", len(links))
        for href, title, day in links:
            hints = {"title": title or None, "published_at": day}
            request = self.article_request(self.link(response, href), hints)
            if request:
                yield request
