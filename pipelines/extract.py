"""Extraction and language detection, in a worker pool so the reactor never waits on them."""

from __future__ import annotations

import logging
from typing import Any

from monitor.crawl_settings import CrawlSettings
from monitor.items import Article
from monitor.text.analyse import analyse_page
from monitor.workers import ExtractionPool
from pipelines.base import Stage

logger = logging.getLogger(__name__)


class ExtractPipeline(Stage):
    stage = "extract"

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self.settings = CrawlSettings.from_settings(crawler.settings)
        shared = crawler.settings.get("MONITOR_EXTRACT_POOL")
        self.owns_pool = shared is None
        self.pool = shared or ExtractionPool(
            self.settings.extract_mode, self.settings.extract_workers
        )

    async def open_spider(self) -> None:
        if self.owns_pool:
            self.pool.warm()

    async def close_spider(self) -> None:
        if self.owns_pool:
            self.pool.shutdown()

    async def process_item(self, item: Article) -> Article:
        try:
            doc = await self.pool.run(
                analyse_page,
                item.body,
                item.url,
                content_type=item.content_type,
                encoding=item.encoding,
                language_hint=item.language_hint,
            )
        except Exception as exc:  # a bug or a hostile page: report it, keep crawling
            logger.error(
                "source %s: extraction failed for %s: %s: %s",
                item.source_id,
                item.url,
                type(exc).__name__,
                exc,
            )
            raise self.drop("errors", f"extraction failed: {item.url}", level="ERROR") from exc
        if doc["encoding_lossy"]:
            self.count("lossy_decoding")
            logger.warning(
                "source %s: %s does not decode cleanly (declared %s); decoded as %s with "
                "replacement characters",
                item.source_id,
                item.url,
                doc["declared_encoding"],
                doc["extraction"]["encoding"],
            )
        if len(doc["text"]) < self.settings.min_text_chars:
            raise self.drop(
                "no_text",
                f"no article text ({len(doc['text'])} chars): {item.url}",
                level="WARNING",
            )
        self.count(f"language/{doc['language'] or 'und'}")
        self.count(f"method/{doc['extraction']['method']}")
        item.doc, item.body = doc, b""  # the body is not needed any more: free it early
        return item
