"""Deduplication by canonical URL and by content hash, within a run and across runs.

By URL: the canonical URLs requested in this run (before extraction), the canonical URLs pages
declare (after it), and across runs the document `_id`, which is the hash of the canonical URL, so
a re-crawl updates rather than duplicates. By content: the index stage asks Elasticsearch which of
a batch's ids and hashes it already holds, and the run's `ContentLedger` decides (unchanged /
duplicate / changed / new); the first text seen wins.
"""

from __future__ import annotations

from typing import Any

from monitor.crawl.items import Article
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


class CanonicalDedupePipeline(Stage):
    """Drops a page whose canonical URL another page of this run already gave (after extraction,
    two URLs can declare the same canonical)."""

    stage = "dedupe"

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self.ids: set[str] = set()

    async def process_item(self, item: Article) -> Article:
        doc = item.doc
        if doc["id"] in self.ids:
            raise self.drop(
                "canonical_duplicates",
                f"same canonical URL as a page of this run: {item.url} → {doc['canonical_url']}",
            )
        self.ids.add(doc["id"])
        return item


class ContentLedger:
    """Which text this run has accepted, under which document: the content-hash half of dedupe.

    It lives in the index stage, which alone knows both what the cluster stores and what this run
    accepted: deciding earlier would let a reprint seen first shadow its stored original.
    """

    def __init__(self) -> None:
        self.owner: dict[str, str] = {}  # content hash → document id accepted in this run

    def classify(self, doc_id: str, content_hash: str, known: dict[str, str]) -> str:
        """What to do with a document, given {stored id: its content hash}; records acceptance.

        'unchanged' (stored with this text), 'duplicate' (this text is stored, or was accepted
        in this run, under another URL), 'changed' (stored with other text) or 'new'.
        """
        if known.get(doc_id) == content_hash:
            outcome = "unchanged"
        elif self.owner.get(content_hash, doc_id) != doc_id or any(
            h == content_hash and i != doc_id for i, h in known.items()
        ):
            return "duplicate"
        else:
            outcome = "changed" if doc_id in known else "new"
        self.owner[content_hash] = doc_id
        return outcome
