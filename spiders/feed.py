"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds: every entry's link becomes an article request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.selector import Selector

from monitor.text.dates import parse_date
from spiders.base import SourceSpider


def _first(node: Selector, *xpaths: str) -> str | None:
    for xpath in xpaths:
        value = node.xpath(xpath).get()
        if value and value.strip():
            return value.strip()
    return None


def feed_entries(response: Response) -> Iterable[tuple[str, dict[str, Any]]]:
    """(link, hints) for each entry of an RSS or Atom document."""
    selector = Selector(body=response.body, type="xml")  # the XML declaration names the charset
    selector.remove_namespaces()
    for item in selector.xpath("//item"):  # RSS 2.0 and RSS 1.0
        link = _first(item, "link/text()", "@about", "guid[not(@isPermaLink='false')]/text()")
        yield (
            link,
            {
                "title": _first(item, "title/text()"),
                "published_at": parse_date(_first(item, "pubDate/text()", "date/text()")),
            },
        )
    for entry in selector.xpath("//entry"):  # Atom
        link = _first(entry, "link[@rel='alternate']/@href", "link[not(@rel)]/@href")
        yield (
            link,
            {
                "title": _first(entry, "title/text()"),
                "published_at": parse_date(_first(entry, "published/text()", "updated/text()")),
            },
        )


class FeedSpider(SourceSpider):
    name = "feed"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.urls:
            yield self.page_request(url, self.parse_feed, "feed")

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request]:
        count = 0
        for link, hints in feed_entries(response):
            if link:
                count += 1
                request = self.article_request(self.link(response, link), hints)
                if request:
                    yield request
        self.crawler.stats.inc_value("monitor/feed/entries", count)
        response.meta["monitor_links"] = count  # none: the feed is read again next run
        if not count:
            self.logger.warning("source %s: no entries in feed %s", self.source.id, response.url)
