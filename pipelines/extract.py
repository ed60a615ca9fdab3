"""Extraction and language detection, in a worker pool so the reactor never waits on them."""

from __future__ import annotations

import logging
from typing import Any

from monitor.crawl_settings import CrawlSettings
from monitor.items import Article
from monitor.text.analyse import analyse_page
from monitor.text.documents import extract_document
from monitor.workers import ExtractionPool
from pipelines.base import Stage

logger = logging.getLogger(__name__)


class ExtractPipeline(Stage):
    stage = "extract"

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self.settings = CrawlSettings.of(crawler)
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
                max_pages=self.settings.document_max_pages,
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
        document = doc["document"]
        if document and document["error"]:
            # a scan is kept, flagged; so is a file with a title (a filing's metadata still counts)
            if not (document["scanned"] or doc["title"] or item.hints.get("title")):
                raise self.drop(
                    "unreadable_documents",
                    f"{document['error']}: {item.url}",
                    level="WARNING",
                )
            self.count("scanned" if document["scanned"] else "unreadable_documents")
            logger.warning("source %s: %s: %s", item.source_id, item.url, document["error"])
        elif len(doc["text"]) < self.settings.min_text_chars:
            raise self.drop(
                "no_text",
                f"no article text ({len(doc['text'])} chars): {item.url}",
                level="WARNING",
            )
        self.count(f"language/{doc['language'] or 'und'}")
        self.count(f"method/{doc['extraction']['method']}")
        item.doc, item.body = doc, b""  # the body is not needed any more: free it early
        item.attachments = [await self._attachment(item, a) for a in item.attachments]
        return item

    async def _attachment(self, item: Article, attachment: dict[str, Any]) -> dict[str, Any]:
        """An attachment as indexed: its text, or why there is none (download or read error)."""
        entry = {"url": attachment["url"], "name": attachment["name"]}
        if "body" not in attachment:
            return entry | {"error": attachment["error"], "text": ""}
        body = attachment["body"]
        try:
            found = await self.pool.run(
                extract_document,
                body,
                attachment["url"],
                attachment["content_type"],
                self.settings.document_max_pages,
            )
        except Exception as exc:  # the pool itself failed: record it on the attachment
            found = {"text": "", "error": f"{type(exc).__name__}: {exc}", "format": None}
        self.stats.inc_value("monitor/attachments/extract_ms", int(found.get("seconds", 0) * 1000))
        if found.get("pages"):
            self.stats.inc_value("monitor/attachments/pdf_pages", found["pages"])
        if found["error"]:
            self.count("attachment_scanned" if found.get("scanned") else "attachment_unreadable")
            logger.warning(
                "source %s: attachment %s of %s: %s",
                item.source_id,
                attachment["url"],
                item.url,
                found["error"],
            )
        keep = ("format", "pages", "chars", "scanned", "truncated", "error", "text")
        return entry | {"bytes": len(body)} | {k: found.get(k) for k in keep}
