"""Sitemaps: sitemap indexes, url sets (gzipped or not), news sitemaps, and robots.txt entries.

Scrapy's own SitemapSpider drops the `<news:news>` block; analysts want its publication date and
title, so sitemaps are read here with lxml (no entity resolution, no network access).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

import scrapy
from lxml import etree
from scrapy.http import Response
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import sitemap_urls_from_robots

from monitor.text.dates import parse_date
from spiders.base import SourceSpider

_PARSER = dict(resolve_entities=False, no_network=True, recover=True, huge_tree=False)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(elem: etree._Element, *path: str) -> str | None:
    for child in elem:
        if _local(child.tag) == path[0]:
            if len(path) == 1:
                return (child.text or "").strip() or None
            return _child_text(child, *path[1:])
    return None


def sitemap_entries(body: bytes) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """('sitemapindex' | 'urlset' | '', [(loc, hints), ...]) for a sitemap document."""
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(**_PARSER))
    except etree.XMLSyntaxError:
        return "", []
    if root is None:
        return "", []
    kind = _local(root.tag)
    entries = []
    for elem in root:
        loc = _child_text(elem, "loc")
        if not loc:
            continue
        hints = {
            "published_at": parse_date(_child_text(elem, "news", "publication_date"))
            or parse_date(_child_text(elem, "lastmod")),
            "title": _child_text(elem, "news", "title"),
        }
        entries.append((loc, hints))
    return kind, entries


class SitemapSpider(SourceSpider):
    name = "sitemap"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.urls:
            yield self.page_request(url, self.parse_sitemap, "sitemap")

    def _body(self, response: Response) -> bytes | None:
        if not gzip_magic_number(response):
            return response.body
        max_size = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
        try:
            return gunzip(response.body, max_size=max_size)
        except ValueError as exc:  # broken or too large
            self.logger.warning(
                "source %s: cannot gunzip %s: %s", self.source.id, response.url, exc
            )
            return None

    def parse_sitemap(self, response: Response) -> Iterable[scrapy.Request]:
        if response.url.endswith("/robots.txt"):
            response.meta["monitor_index"] = True  # never answered 304: its sitemaps may change
            for url in sitemap_urls_from_robots(response.text, response.url):
                yield self.page_request(self.link(response, url), self.parse_sitemap, "sitemap")
            return
        body = self._body(response)
        kind, entries = sitemap_entries(body) if body else ("", [])
        response.meta["monitor_links"] = len(entries)  # none: read again next run
        if kind == "sitemapindex":
            response.meta["monitor_index"] = True
            for loc, _ in entries:
                yield self.page_request(self.link(response, loc), self.parse_sitemap, "sitemap")
        elif kind == "urlset":
            self.crawler.stats.inc_value("monitor/sitemap/urls", len(entries))
            for loc, hints in entries:
                request = self.article_request(self.link(response, loc), hints)
                if request:
                    yield request
        else:
            self.crawler.stats.inc_value("monitor/sitemap/invalid")
            self.logger.warning("source %s: %s is not a sitemap", self.source.id, response.url)
