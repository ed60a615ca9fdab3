"""Deduplication by canonical URL and by content hash, within a run and across runs.

Within a run: sets of the canonical URLs requested and of the document ids and content hashes
accepted. Across runs: the document `_id` is the hash of the canonical URL, so a re-crawl updates
rather than duplicates; the index stage asks Elasticsearch which of a batch's ids and hashes it
already holds and `classify` decides (unchanged / duplicate content / new or changed).
"""

from __future__ import annotations

from typing import Any

from monitor.items import Article
from monitor.text.urls import canonicalize
from pipelines.base import Stage


class UrlDedupePipeline(Stage):
    stage = "dedupe"

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self.seen: set[str] = set()

    async def process_item(self, item: Article) -> Article:
        key = canonicalize(item.url)
        if key in self.seen:
            raise self.drop("url_duplicates", f"URL already seen in this run: {item.url}")
        self.seen.add(key)
        return item


class ContentDedupePipeline(Stage):
    stage = "dedupe"

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self.ids: set[str] = set()
        self.hashes: set[str] = set()

    async def process_item(self, item: Article) -> Article:
        doc = item.doc
        if doc["id"] in self.ids:
            raise self.drop(
                "canonical_duplicates",
                f"same canonical URL as a page of this run: {item.url} → {doc['canonical_url']}",
            )
        if doc["content_hash"] in self.hashes:
            raise self.drop("content_duplicates", f"same text as a page of this run: {item.url}")
        self.ids.add(doc["id"])
        self.hashes.add(doc["content_hash"])
        return item


def classify(doc_id: str, content_hash: str, known: dict[str, str]) -> str:
    """What to do with a document, given {stored id: its content hash}.

    'unchanged' (stored with this text), 'duplicate' (this text is stored under another URL),
    'changed' (stored with other text: update it) or 'new' (create it).
    """
    if known.get(doc_id) == content_hash:
        return "unchanged"
    if any(h == content_hash and i != doc_id for i, h in known.items()):
        return "duplicate"
    return "changed" if doc_id in known else "new"
