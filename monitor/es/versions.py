"""Versions: a stored document's text is kept in the versions index before an update replaces it.

A step before the write (monitor.es.steps): for each stored document whose text changed, the
stored version is read, compared with the new text (monitor.text.changes), and written to the
versions index as `{id}:v{n}`; the update then carries `version` n+1, `changed_at` and `changes`.
When only furniture moved (a date line, a counter), nothing is kept and nothing is written; when
the old version could not be kept, the document is held back, so the old text is never lost.
"""

from __future__ import annotations

from elasticsearch import Elasticsearch

from monitor.es.bulk import write
from monitor.es.config import EsConfig
from monitor.es.schema import ensure_index
from monitor.es.steps import Batch, Hold, Prepared
from monitor.text.changes import compare

# what a kept version holds of the stored document (the versions index adds its own fields)
VERSION_FIELDS = ("url", "title", "text", "content_hash", "crawled_at", "indexed_at", "capture",
                  "version")  # fmt: skip


class VersionStep:
    def __init__(self, config: EsConfig):
        self.config = config
        self.articles = config.index_name("articles")
        self.versions = config.index_name("versions")
        self.ready = False  # the versions index is made with the first version, not at each start

    def open(self, es: Elasticsearch) -> None:
        pass

    def close(self, es: Elasticsearch) -> None:
        pass

    def prepare(self, es: Elasticsearch, batch: Batch) -> Prepared:
        changed = {i: s for i, s in batch.docs if batch.text_changed(i, s)}
        if not changed:
            return {}
        stored = {
            hit["_id"]: hit["_source"]
            for hit in es.mget(index=self.articles, ids=list(changed), source=list(VERSION_FIELDS))[
                "docs"
            ]
            if hit.get("found")
        }
        prepared: Prepared = {}
        actions = []
        for doc_id, source in changed.items():
            old = stored.get(doc_id)
            if old is None:  # deleted meanwhile: the update stores it again, as it is
                continue
            change = compare(old.get("text"), source["text"])
            if change.furniture:
                prepared[doc_id] = Hold()
                continue
            number = old.get("version") or 1
            kept = {key: old.get(key) for key in VERSION_FIELDS if key != "version"}
            prepared[doc_id] = {
                "version": number + 1,
                "changed_at": batch.now,
                "changes": change.as_dict(),
            }
            actions.append((
                "create",
                f"{doc_id}:v{number}",
                {**kept, "document_id": doc_id, "version": number, "replaced_at": batch.now,
                 "changes": change.as_dict()},
            ))  # fmt: skip
        if actions and not self.ready:
            ensure_index(es, self.config, "versions")
            self.ready = True
        for (_, version_id, _), (_, error) in zip(
            actions, write(es, self.versions, actions), strict=True
        ):
            if error:  # the old text is not safe yet: the page is not updated, and retried
                prepared[version_id.rsplit(":v", 1)[0]] = Hold(f"version not kept: {error}")
        return prepared
