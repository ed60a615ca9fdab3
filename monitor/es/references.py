"""References by document number kept in the index: the step that reads them at each write, the
`repealed_by` of a repealed document, and the documents stored before (or read by an older
extractor) read again when a crawl opens the index.

A reference itself is a query (monitor.search.references): the citing document keeps the keys it
cites, the cited one its own `number_key`, and the two meet at search time. `repealed_by` is the
one copy: a repealed document carries the stored document that repeals it, so that `repealed:yes`,
Kibana's "in force" search and every hit can say so without a second query. It is written from
both sides: when the repealed document is stored (its repealers are looked up, in the index and in
its batch), and when the repealing one is (the stored documents with the repealed numbers are
updated, at the write and again when the crawl closes, once what it wrote is searchable); a
crawl's opening reconciles what is missing (documents stored before `repealed_by` existed).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch

from monitor.es.bulk import write
from monitor.es.steps import Batch, Prepared
from monitor.text.references import VERSION, reference_fields

logger = logging.getLogger(__name__)

PAGE = 200  # documents read or marked per request
# the index's `_meta` key: repeals written before it are reconciled (ReferenceStep.open)
RECONCILED = "references_reconciled_at"
RECONCILE_MARGIN = timedelta(minutes=10)  # clocks of other crawl hosts, refreshes, slow writes
REPEALER_FIELDS = ["title", "published_at", "policy.doc_number", "repeals"]
OLDER = {
    "bool": {
        "should": [
            {"bool": {"must_not": {"exists": {"field": "references_version"}}}},
            {"range": {"references_version": {"lt": VERSION}}},
        ],
        "minimum_should_match": 1,
    }
}


def repealer(doc_id: str, source: dict[str, Any]) -> dict[str, Any]:
    """What a repealed document keeps of the one that repeals it."""
    return {
        "id": doc_id,
        "doc_number": (source.get("policy") or {}).get("doc_number"),
        "title": source.get("title"),
        "published_at": source.get("published_at"),
    }


def _earliest(found: dict[str, dict[str, Any]], key: str, by: dict[str, Any]) -> None:
    """The first repealer of a number is the one kept (the earliest published)."""
    kept = found.get(key)
    if kept is None or (by.get("published_at") or "~") < (kept.get("published_at") or "~"):
        found[key] = by


def repealers_of(
    es: Elasticsearch, index: str, keys: list[str], exclude: list[str] = ()
) -> dict[str, dict[str, Any]]:
    """number key → the stored document that repeals it, for these keys."""
    found: dict[str, dict[str, Any]] = {}
    if not keys:
        return found
    query = {"bool": {"filter": [{"terms": {"repeals": keys}}],
                      "must_not": [{"ids": {"values": list(exclude)}}]}}  # fmt: skip
    hits = es.search(index=index, query=query, size=min(10000, len(keys) * 5),
                     source=REPEALER_FIELDS)["hits"]["hits"]  # fmt: skip
    wanted = set(keys)
    for hit in hits:
        for key in set(hit["_source"].get("repeals") or ()) & wanted:
            _earliest(found, key, repealer(hit["_id"], hit["_source"]))
    return found


def mark_repealed(
    es: Elasticsearch, index: str, by_key: dict[str, dict[str, Any]], exclude: list[str] = ()
) -> int:
    """Give the stored documents with these numbers that have no `repealed_by` yet the one given
    (a partial update each: the node may have no scripting or `_update_by_query`); returns how
    many were marked."""
    marked = 0
    keys = list(by_key)
    for start in range(0, len(keys), PAGE):
        part = keys[start : start + PAGE]
        query = {"bool": {"filter": [{"terms": {"number_key": part}}],
                          "must_not": [{"exists": {"field": "repealed_by"}},
                                       {"ids": {"values": list(exclude)}}]}}  # fmt: skip
        hits = es.search(index=index, query=query, size=10000, source=["number_key"])
        actions = [
            ("upsert", hit["_id"], {"doc": {"repealed_by": by_key[hit["_source"]["number_key"]]}})
            for hit in hits["hits"]["hits"]
        ]
        if actions:  # one deleted meanwhile is not stored again (no upsert)
            marked += sum(1 for _, error in write(es, index, actions, refresh=True) if not error)
    return marked


def reconcile_repeals(es: Elasticsearch, index: str, since: str | None = None) -> int:
    """Every stored repeal written on the document it repeals, where missing (documents stored
    before `repealed_by` existed, or a repeal and its target stored in the same second); with
    `since`, only the repeals written since then."""
    marked, after = 0, None
    query: dict[str, Any] = {"exists": {"field": "repeals"}}
    if since:
        query = {"bool": {"filter": [query, {"range": {"indexed_at": {"gte": since}}}]}}
    sort = [{"published_at": {"order": "asc", "missing": "_last"}}, {"url": "asc"}]
    while True:
        extra = {"search_after": after} if after else {}
        hits = es.search(index=index, query=query, size=PAGE, sort=sort,
                         source=REPEALER_FIELDS, **extra)["hits"]["hits"]  # fmt: skip
        if not hits:
            return marked
        by_key: dict[str, dict[str, Any]] = {}
        for hit in hits:
            for key in hit["_source"].get("repeals") or ():
                _earliest(by_key, key, repealer(hit["_id"], hit["_source"]))
        marked += mark_repealed(es, index, by_key)
        after = hits[-1]["sort"]


def backfill_references(es: Elasticsearch, index: str) -> int:
    """Read the references of the stored documents an older extractor read (or none did) from
    their stored text and attachments; returns how many were updated."""
    done = 0
    while True:
        fields = ["text", "policy.doc_number", "attachments.text"]
        hits = es.search(index=index, query=OLDER, size=PAGE, source=fields)["hits"]["hits"]
        if not hits:
            return done
        actions = []
        for hit in hits:
            source = hit["_source"]
            fields = reference_fields(
                source.get("text"),
                (source.get("policy") or {}).get("doc_number"),
                source.get("attachments") or [],
            )
            actions.append(("upsert", hit["_id"], {"doc": fields}))
        errors = [error for _, error in write(es, index, actions) if error]
        es.indices.refresh(index=index)
        done += len(actions) - len(errors)
        if errors:  # deleted meanwhile, or refused: do not loop on them
            logger.warning("references not re-read for %d documents: %s", len(errors), errors[0])
            return done


class ReferenceStep:
    """`repealed_by` of each document written, and of the stored documents it repeals (a step
    before the write, monitor.es.steps)."""

    def __init__(self, index: str):
        self.index = index
        self.repealers: dict[str, dict[str, Any]] = {}  # number key → repealer, this crawl's

    def open(self, es: Elasticsearch) -> None:
        read = backfill_references(es, self.index)
        marked = self._reconcile(es, everything=read > 0)
        if read or marked:
            logger.info(
                "references read again for %d stored documents, %d marked repealed", read, marked
            )

    def _reconcile(self, es: Elasticsearch, everything: bool = False) -> int:
        """The repeals written since the last reconciliation (all of them the first time, or
        when references were just read again: those keep their old `indexed_at`), the time kept
        in the index's `_meta` (a margin for clocks and refreshes): a crawl's start reads what
        the index gained since, not every repeal it holds."""
        started = (datetime.now(UTC) - RECONCILE_MARGIN).isoformat(timespec="seconds")
        mappings = es.indices.get_mapping(index=self.index)
        index, found = next(iter(mappings.items()))
        meta = found["mappings"].get("_meta") or {}
        since = None if everything else meta.get(RECONCILED)
        marked = reconcile_repeals(es, self.index, since=since)
        es.indices.put_mapping(index=index, meta={**meta, RECONCILED: started})
        return marked

    def prepare(self, es: Elasticsearch, batch: Batch) -> Prepared:
        written = [(i, s) for i, s in batch.docs if batch.kinds[i] in ("new", "changed")]
        ids = [i for i, _ in written]
        in_batch: dict[str, dict[str, Any]] = {}
        for doc_id, source in written:
            for key in source.get("repeals") or ():
                _earliest(in_batch, key, repealer(doc_id, source))
        keys = [s["number_key"] for _, s in written if s.get("number_key")]
        stored = repealers_of(es, self.index, keys, exclude=ids)
        prepared: Prepared = {}
        for doc_id, source in written:
            key = source.get("number_key")
            found = {key: stored[key]} if key in stored else {}
            if key in in_batch and in_batch[key]["id"] != doc_id:
                _earliest(found, key, in_batch[key])
            prepared[doc_id] = {"repealed_by": found.get(key)}
        if in_batch:  # the stored documents it repeals say so now, and again at the close
            mark_repealed(es, self.index, in_batch, exclude=ids)
            for key, by in in_batch.items():
                _earliest(self.repealers, key, by)
        return prepared

    def close(self, es: Elasticsearch) -> None:
        """After the crawl's last write is searchable: the repeals of this crawl whose target was
        written in the same moment (neither saw the other) are marked."""
        if self.repealers:
            mark_repealed(es, self.index, self.repealers)
