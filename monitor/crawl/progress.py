"""A Scrapy extension that reports each source's progress every few seconds and at the end."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from monitor.crawl.console import progress_line
from monitor.crawl.options import CrawlSettings
from monitor.crawl.summary import summarize

logger = logging.getLogger("monitor.crawl.progress")


class Progress:
    def __init__(self, crawler: Any, interval: float):
        self.crawler, self.interval = crawler, interval
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> Progress:
        interval = CrawlSettings.of(crawler).progress_interval
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self, spider: Any) -> None:
        self.loop = task.LoopingCall(self.report, spider)
        self.loop.start(self.interval, now=False)

    def closed(self, spider: Any, reason: str) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        self.report(spider, final=True)

    def report(self, spider: Any, final: bool = False) -> None:
        """One progress record: monitor.crawl.console shows it (a live line on a terminal)."""
        s = summarize(spider.source.id, spider.name, self.crawler.stats.get_stats())
        row = {k: getattr(s, k) for k in ("source", "pages", "indexed", "unchanged", "skipped")}
        row["errors"] = s.errors
        logger.info("%s", progress_line(row, final), extra={"progress": row, "final": final})
