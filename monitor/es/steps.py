"""What runs before a batch of articles is written: the steps that own a field of the write.

The index stage (pipelines/index.py) classifies a batch (new, changed, unchanged, duplicate),
asks each step for what it adds, writes, and announces what it stored (monitor.crawl.signals).
A step owns its fields: it gives them for the documents it is concerned with, or holds a document
back (its write would lose something: an old version not kept yet), and the index stage writes
what the steps gave without knowing what it means. Steps run in order, in the indexing thread.
The steps today: versions (monitor.es.versions: the stored text kept before an update replaces
it), stories (monitor.es.stories: the one writer of `story_id`) and references
(monitor.es.references: `repealed_by`, on the repealed document and from the repealing one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from elasticsearch import Elasticsearch


@dataclass(frozen=True)
class Batch:
    """A batch about to be written: (id, source) per document, its kind (new | changed |
    unchanged | duplicate), the stored documents' content hashes, and the write's time."""

    docs: list[tuple[str, dict[str, Any]]]
    kinds: dict[str, str]
    known: dict[str, str]
    now: str

    def of_kind(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return [(doc_id, source) for doc_id, source in self.docs if self.kinds[doc_id] == kind]

    def text_changed(self, doc_id: str, source: dict[str, Any]) -> bool:
        """A stored document whose text is not the stored one (not only its attachments)."""
        return self.kinds[doc_id] == "changed" and self.known.get(doc_id) != source["content_hash"]


@dataclass(frozen=True)
class Hold:
    """A document not to write this time: `error` says why (it is retried), or None when
    nothing worth a write changed (counted as furniture)."""

    error: str | None = None


Prepared = dict[str, "dict[str, Any] | Hold"]  # id → the fields a step adds, or a hold


class Step(Protocol):
    def open(self, es: Elasticsearch) -> None:
        """Once, when the crawl opens the index (in a thread)."""

    def prepare(self, es: Elasticsearch, batch: Batch) -> Prepared:
        """The fields this step adds to the batch's documents, or holds."""

    def close(self, es: Elasticsearch) -> None:
        """Once, when the crawl closes, after its last write is searchable (in a thread)."""


def prepare_all(
    steps: list[Step], es: Elasticsearch, batch: Batch
) -> tuple[dict[str, dict[str, Any]], dict[str, Hold]]:
    """(fields per document, holds per document) of every step, in order; a document held by
    one step is not asked about by the later ones."""
    fields: dict[str, dict[str, Any]] = {}
    holds: dict[str, Hold] = {}
    for step in steps:
        pending = Batch(
            [(i, s) for i, s in batch.docs if i not in holds], batch.kinds, batch.known, batch.now
        )
        for doc_id, result in step.prepare(es, pending).items():
            if isinstance(result, Hold):
                holds[doc_id] = result
                fields.pop(doc_id, None)
            else:
                fields.setdefault(doc_id, {}).update(result)
    return fields, holds
