"""Refuse pages that cannot be articles before any work is spent on them."""

from __future__ import annotations

from monitor.crawl.items import Article
from pipelines.base import Stage


class ValidatePipeline(Stage):
    stage = "validate"

    async def process_item(self, item: Article) -> Article:
        if item.status != 200:
            raise self.drop(f"status_{item.status}", f"HTTP {item.status}: {item.url}")
        if not item.body or not item.body.strip():
            raise self.drop("empty", f"empty page: {item.url}", level="WARNING")
        self.count("ok")
        return item
