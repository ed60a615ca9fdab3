"""Bulk indexing into Elasticsearch, in batches, off the reactor, with per-document outcomes.

Each item waits for the batch it is in, so its outcome (indexed, unchanged, duplicate, error) is
counted in stats and an error is logged with its URL. A batch goes out when MONITOR_BULK_SIZE items
wait, or MONITOR_BULK_INTERVAL seconds after its first item arrived.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

from monitor.crawl.capture import settle
from monitor.crawl.core import Monitor
from monitor.crawl.items import Article
from monitor.crawl.options import CrawlSettings
from monitor.crawl.record import SeenRecord
from monitor.crawl.signals import documents_stored, pages_indexed
from monitor.crawl.summary import GONE_STATUSES
from monitor.es.bulk import known_documents, write
from monitor.es.client import describe
from monitor.es.node import ensure_available
from monitor.es.patience import CLIENT_ERRORS
from monitor.es.references import ReferenceStep
from monitor.es.schema import ensure_articles_index
from monitor.es.steps import Batch, Step, prepare_all
from monitor.es.stories import StoryStep
from monitor.es.versions import VersionStep
from monitor.text.dates import not_after, utc_now_iso
from monitor.text.references import reference_fields
from monitor.text.stories import THRESHOLD, rebanded
from monitor.text.zones import localize
from pipelines.base import Stage
from pipelines.dedupe import ContentLedger

logger = logging.getLogger(__name__)
STORED = ("indexed", "changed")  # outcomes that wrote the document's text
GONE = tuple(f"HTTP {status}" for status in GONE_STATUSES)  # as attachment errors say it


def final_error(error: str | None) -> bool:
    """Whether an attachment's download error is for good: gone (404, 410) or refused by the
    request guard (off scope, a private address, not http)."""
    return error in GONE or (error or "").startswith("refused")


def complete(attachments: list[dict[str, Any]]) -> bool:
    """Whether every attachment came, or failed for good: a timeout or a 5xx is not final.
    (An attachment that came but cannot be read stays so: it is not retried.)"""
    return not any("format" not in a and not final_error(a.get("error")) for a in attachments)


def published_at(item: Article) -> str | None:
    """A policy page's labelled 发布日期, else the page's date, else the feed's or sitemap's;
    a time without a zone in the source's zone (monitor.text.zones); none of them later than
    the fetch (monitor.text.dates.not_after)."""
    doc = item.doc
    for found in ((doc["policy"] or {}).get("published_date"), doc["published_at"]):
        found = not_after(localize(found, item.timezone), item.fetched_at)
        if found:
            return found
    return not_after(localize(item.hints.get("published_at"), item.timezone), item.fetched_at)


def to_document(item: Article, story_threshold: float = THRESHOLD) -> tuple[str, dict[str, Any]]:
    """The Elasticsearch document for an extracted article: (_id, source)."""
    doc = item.doc
    language = doc["language"] or "und"
    hints = item.hints
    title = doc["title"] or hints.get("title")
    if doc["document"]:  # a file's own title is often "Microsoft Word - 1.doc": the link's wins
        title = hints.get("title") or doc["title"] or doc["fallback_title"]
    source = {
        "url": item.url,
        "canonical_url": doc["canonical_url"],
        "source_id": item.source_id,
        "source_type": item.source_type,
        "site": doc["site"] or urlsplit(item.url).hostname,
        "language": language,
        "language_score": doc["language_score"],
        "content_hash": doc["content_hash"],
        "title": title,
        "text": doc["text"],
        "description": doc["description"],
        "authors": doc["authors"],
        "editors": doc.get("editors") or [],
        "tags": doc["tags"],
        "published_at": published_at(item),
        "crawled_at": item.fetched_at,
        "extraction": doc["extraction"],
        "doc_type": hints.get("doc_type") or ("policy" if doc["policy"] else "news"),
        "policy": doc["policy"],
        **reference_fields(doc["text"], (doc["policy"] or {}).get("doc_number"), item.attachments),
        "filing": hints.get("filing"),
        "document": doc["document"],
        "attachments": item.attachments,
        "attachments_complete": complete(item.attachments),
        "capture": item.capture,  # the WARC record it was extracted from
        **_story_fields(doc.get("story"), story_threshold),
        # new or changed text: any earlier translation is stale
        "translation": {
            "status": "not_needed" if language == "en" else "pending",
            "model": None,
            "translated_at": None,
            "error": None,
        },
        "title_en": None,
        "text_en": None,
        "title_zh": None,
        "text_zh": None,
    }
    return doc["id"], source


def _story_fields(signature: dict[str, Any] | None, threshold: float) -> dict[str, Any]:
    """The signature's fields, banded for the crawl's threshold (the extraction bands for the
    default one)."""
    if not signature:
        return {"story_bands": None, "story_minhash": None}
    bands = (
        signature["bands"] if threshold == THRESHOLD else rebanded(signature["minhash"], threshold)
    )
    return {"story_bands": bands, "story_minhash": signature["minhash"]}


class IndexPipeline(Stage):
    stage = "index"

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self.monitor = Monitor.of(crawler)
        self.record = SeenRecord.of(crawler)  # what this crawl learnt, and its retry policy
        self.config = self.monitor.es_config
        self.settings = CrawlSettings.of(crawler)
        self.batch: list[tuple[Article, asyncio.Future]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.flushes: set[asyncio.Task] = set()
        self.ledger = ContentLedger()
        self.one_batch_at_a_time = asyncio.Lock()  # the ledger sees batches in order
        self.es = None
        self.alias = self.config.index_name("articles")
        # what each write adds: the stored text kept first, then the stories of new documents,
        # then what repeals what
        self.steps: list[Step] = [
            VersionStep(self.config),
            StoryStep(self.alias, self.settings.story_window, self.settings.story_threshold),
            ReferenceStep(self.alias),
        ]

    async def open_spider(self) -> None:
        await asyncio.to_thread(ensure_available, self.config, logger.info)
        self.es = es = self.monitor.client()

        def open_index() -> None:
            ensure_articles_index(es, self.config)
            for step in self.steps:
                step.open(es)

        await self.record.patience.call(open_index, "the articles index")

    async def process_item(self, item: Article) -> Article:
        item.capture = await settle(item.capture, self.stats)  # written by now, as a rule
        for attachment in item.attachments:
            if "capture" in attachment:
                attachment["capture"] = await settle(attachment["capture"], self.stats)
        future = asyncio.get_running_loop().create_future()
        self.batch.append((item, future))
        if len(self.batch) >= self.settings.bulk_size:
            self._flush_now()
        elif self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(
                self.settings.bulk_interval, self._flush_now
            )
        return await future

    def _flush_now(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.batch = self.batch, []
        if batch:
            task = asyncio.ensure_future(self._flush(batch))
            self.flushes.add(task)
            task.add_done_callback(self.flushes.discard)

    def _index(self, docs: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str | None]]:
        """(outcome, error) per document: runs in a thread.

        outcome: indexed | changed | unchanged | duplicates | furniture | errors.
        """
        known, incomplete = known_documents(
            self.es, self.alias, [i for i, _ in docs], [d["content_hash"] for _, d in docs]
        )
        kinds = {i: self.ledger.classify(i, d["content_hash"], known) for i, d in docs}
        for doc_id in incomplete:  # same text, but attachments that failed last time came again
            if kinds.get(doc_id) == "unchanged":
                kinds[doc_id] = "changed"
        batch = Batch(docs, kinds, known, utc_now_iso())
        fields, holds = prepare_all(self.steps, self.es, batch)  # versions kept, stories joined
        actions = []
        for doc_id, source in docs:
            kind, added = kinds[doc_id], {**fields.get(doc_id, {}), "indexed_at": batch.now}
            if doc_id in holds or kind not in ("new", "changed"):
                continue
            if kind == "new":  # first_seen_at is written once; updates leave it as it was
                actions.append(("create", doc_id, {**source, **added, "first_seen_at": batch.now}))
            else:
                actions.append(("update", doc_id, {**source, **added}))
        written = iter(write(self.es, self.alias, actions))
        outcomes: list[tuple[str, str | None]] = []
        for doc_id, source in docs:
            kind = kinds[doc_id]
            if kind in ("unchanged", "duplicate"):
                outcomes.append(("unchanged" if kind == "unchanged" else "duplicates", None))
            elif doc_id in holds:  # the old version was not kept, or only furniture moved
                error = holds[doc_id].error
                outcomes.append(("errors", error) if error else ("furniture", None))
            else:
                result, error = next(written)
                if error:
                    outcomes.append(("errors", error))
                elif result in ("exists", "noop"):  # a create that lost a race with another crawler
                    outcomes.append(("unchanged", None))
                else:  # a new version, or stored anew
                    revised = batch.text_changed(doc_id, source)
                    outcomes.append(("changed" if revised else "indexed", None))
        return outcomes

    async def _flush(self, batch: list[tuple[Article, asyncio.Future]]) -> None:
        docs = [to_document(item, self.settings.story_threshold) for item, _ in batch]
        try:
            async with self.one_batch_at_a_time:
                outcomes = await self.record.patience.call(
                    lambda: self._index(docs), f"indexing {len(docs)} documents"
                )
        except CLIENT_ERRORS as exc:
            message = describe(exc, self.config)
            logger.error("indexing a batch of %d documents failed: %s", len(batch), message)
            outcomes = [("errors", message)] * len(batch)
        except Exception as exc:  # a bug of ours: surface it with its traceback, lose no page
            logger.exception("indexing a batch of %d documents failed", len(batch))
            outcomes = [("errors", f"internal error: {type(exc).__name__}: {exc}")] * len(batch)
        # the seen-record subscribes (monitor.crawl.record): stored pages are not fetched again,
        # except one whose attachments did not all come (the next run tries them again)
        await self.crawler.signals.send_catch_log_async(
            signal=pages_indexed,
            items=[
                item
                for (item, _), (kind, _) in zip(batch, outcomes, strict=True)
                if kind != "errors" and complete(item.attachments)
            ],
        )
        stored = [
            (doc_id, source)
            for (doc_id, source), (kind, _) in zip(docs, outcomes, strict=True)
            if kind in STORED
        ]
        if stored:  # the watch matcher and the translation worker subscribe (monitor.crawl.core)
            self.crawler.signals.send_catch_log(signal=documents_stored, documents=stored)
        for (item, future), (kind, error) in zip(batch, outcomes, strict=True):
            if kind == "errors":
                logger.error("source %s: not indexed: %s: %s", item.source_id, item.url, error)
                future.set_exception(self.drop("errors", f"not indexed: {item.url}", level="ERROR"))
            elif kind == "duplicates":
                future.set_exception(
                    self.drop("duplicates", f"same text as a stored document: {item.url}")
                )
            else:
                if kind == "changed":  # a new version: counted as stored, and as changed
                    self.count("changed")
                self.count("indexed" if kind in STORED else kind)
                future.set_result(item)

    async def close_spider(self) -> None:
        self._flush_now()
        while self.flushes:
            await asyncio.gather(*list(self.flushes), return_exceptions=True)
        if self.es is not None:  # the client is the Monitor's: it closes it
            # what the crawl wrote is searchable (and visible to the translation worker) at once
            es = self.es

            def refresh_and_close() -> None:
                es.indices.refresh(index=self.alias)
                for step in self.steps:
                    step.close(es)

            try:
                await self.record.patience.call(refresh_and_close, "refreshing the index")
            except CLIENT_ERRORS as exc:
                logger.warning("the index was not refreshed: %s", describe(exc, self.config))
