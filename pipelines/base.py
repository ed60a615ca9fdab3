"""A small base for the stages: the crawler, its stats, and dropping with a counted reason."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import DropItem

from monitor.crawl.summary import count

logger = logging.getLogger(__name__)


class Stage:
    stage: str = "stage"

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Any):
        return cls(crawler)

    def count(self, outcome: str, n: int = 1) -> None:
        self.stats.inc_value(f"monitor/{self.stage}/{outcome}", n)

    def drop(self, outcome: str, message: str, level: str = "INFO") -> DropItem:
        """Count the outcome (the message's URL, its last word, kept as an example) and return
        the DropItem to raise (INFO: expected, not a problem)."""
        last = message.rsplit(" ", 1)[-1]
        url = last if last.startswith(("http://", "https://")) else None
        count(self.stats, f"monitor/{self.stage}/{outcome}", url)
        return DropItem(message, log_level=level)
