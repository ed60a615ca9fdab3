"""Extraction and language detection, in a worker pool so the reactor never waits on them."""

from __future__ import annotations

import logging
from typing import Any

from monitor.crawl.core import Monitor
from monitor.crawl.extraction import Quarantined, analyse
from monitor.crawl.items import Article
from monitor.crawl.options import CrawlSettings
from monitor.crawl.record import SeenRecord
from monitor.crawl.summary import count
from monitor.text.documents import extract_document
from monitor.text.han import text_size
from monitor.text.limits import PageRejected
from pipelines.base import Stage

logger = logging.getLogger(__name__)


class ExtractPipeline(Stage):
    stage = "extract"

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self.settings = CrawlSettings.of(crawler)
        self.pool = Monitor.of(crawler).pool  # the process's; its owner shuts it down

    async def process_item(self, item: Article) -> Article:
        try:
            doc = await self.pool.run(
                analyse,  # monitor.text.analyse.analyse_page, imported in the worker
                item.body,
                item.url,
                content_type=item.content_type,
                encoding=item.encoding,
                language_hint=item.language_hint,
                max_pages=self.settings.document_max_pages,
                max_links=self.settings.max_links,
                max_text_chars=self.settings.max_text_chars,
            )
        except PageRejected as exc:  # over a limit: this page only
            logger.warning("source %s: skipping %s: %s", item.source_id, item.url, exc)
            raise self.drop(f"rejected/{exc.reason}", f"{exc}: {item.url}", "WARNING") from None
        except Quarantined as exc:
            await self._quarantine(item, str(exc))
            raise self.drop("quarantined", f"quarantined: {item.url}", "ERROR") from None
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
            kind = "scanned" if document["scanned"] else "unreadable_documents"
            count(self.stats, f"monitor/{self.stage}/{kind}", item.url)
            logger.warning("source %s: %s: %s", item.source_id, item.url, document["error"])
        elif doc["extraction"]["method"] == "unparsable":
            raise self.drop("unparsable", f"not a readable HTML page: {item.url}", "WARNING")
        elif doc.get("not_article"):
            raise self.drop(
                f"not_article/{doc['not_article']}",
                f"not an article ({doc['not_article']}): {item.url}",
                level="INFO",
            )
        elif text_size(doc["text"]) < self.settings.min_text_chars:
            raise self.drop(
                "no_text",
                f"no article text ({len(doc['text'])} chars): {item.url}",
                level="WARNING",
            )
        if doc["extraction"].get("truncated"):
            self.count("truncated")
        self.count(f"language/{doc['language'] or 'und'}")
        self.count(f"method/{doc['extraction']['method']}")
        item.doc, item.body = doc, b""  # the body is not needed any more: free it early
        item.attachments = [await self._attachment(item, a) for a in item.attachments]
        return item

    async def _quarantine(self, item: Article, why: str) -> None:
        """A page that kills workers is recorded as seen, so no later run fetches it again
        (`monitor crawl --full` does), and reported."""
        logger.error(
            "source %s: %s quarantined (%s); it is recorded as seen and not fetched again",
            item.source_id,
            item.url,
            why,
        )
        entries = [
            {"url": url, "kind": "article", "source_id": item.source_id, "quarantined": why}
            for url in dict.fromkeys((item.request_url, item.url))
        ]
        await SeenRecord.of(self.crawler).remember(entries)

    async def _attachment(self, item: Article, attachment: dict[str, Any]) -> dict[str, Any]:
        """An attachment as indexed: its text, or why there is none (download or read error)."""
        entry = {"url": attachment["url"], "name": attachment["name"]}
        if attachment.get("capture") is not None:
            entry["capture"] = attachment["capture"]
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
        except PageRejected as exc:
            found = {"text": "", "error": str(exc), "format": None}
        except Quarantined as exc:
            await self._quarantine(item, f"attachment {attachment['url']}: {exc}")
            found = {"text": "", "error": f"quarantined: {exc}", "format": None}
        except Exception as exc:  # the pool itself failed: record it on the attachment
            found = {"text": "", "error": f"{type(exc).__name__}: {exc}", "format": None}
        self.stats.inc_value("monitor/attachments/extract_ms", int(found.get("seconds", 0) * 1000))
        if found.get("pages"):
            self.stats.inc_value("monitor/attachments/pdf_pages", found["pages"])
        if found["error"]:
            kind = "attachment_scanned" if found.get("scanned") else "attachment_unreadable"
            count(self.stats, f"monitor/{self.stage}/{kind}", attachment["url"])
            logger.warning(
                "source %s: attachment %s of %s: %s",
                item.source_id,
                attachment["url"],
                item.url,
                found["error"],
            )
        keep = ("format", "pages", "chars", "scanned", "truncated", "error", "text")
        return entry | {"bytes": len(body)} | {k: found.get(k) for k in keep}
