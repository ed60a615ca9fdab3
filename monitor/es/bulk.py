"""Bulk indexing with per-document outcomes: nothing is swallowed.

`upsert` sends `update` + `doc_as_upsert` operations, so fields written by later stages (the
translation of a document) survive a re-crawl of an unchanged page, and a changed page overwrites
exactly the fields the crawl owns. Items the cluster rejects for load (429) are retried with backoff.
"""

from __future__ import annotations

import time
from typing import Any

from elasticsearch import Elasticsearch

RETRY_STATUSES = {429}
RETRIES = 3


def known_documents(es: Elasticsearch, index: str, ids: list[str], hashes: list[str]) -> dict[str, str]:
    """{id: content_hash} of the stored documents that have one of these ids or hashes."""
    if not ids:
        return {}
    response = es.search(
        index=index,
        query={"bool": {"should": [{"ids": {"values": ids}}, {"terms": {"content_hash": hashes}}]}},
        source=["content_hash"],
        size=len(ids) + len(hashes),
    )
    return {hit["_id"]: hit["_source"].get("content_hash") for hit in response["hits"]["hits"]}


def _error(result: dict[str, Any]) -> str | None:
    error = result.get("error")
    if not error:
        return None
    if isinstance(error, dict):
        return f"{error.get('type')}: {error.get('reason')}"
    return str(error)


def upsert(es: Elasticsearch, index: str, docs: list[tuple[str, dict[str, Any]]],
           refresh: bool = False) -> list[str | None]:
    """Index or update each (id, source); returns None or an error message per document."""
    outcomes: list[str | None] = [None] * len(docs)
    todo = list(range(len(docs)))
    if not docs:
        return outcomes
    for attempt in range(RETRIES + 1):
        operations: list[dict[str, Any]] = []
        for i in todo:
            doc_id, source = docs[i]
            operations += [{"update": {"_index": index, "_id": doc_id}}, {"doc": source, "doc_as_upsert": True}]
        response = es.bulk(operations=operations, refresh=refresh)
        retry = []
        for i, item in zip(todo, response["items"]):
            result = item["update"]
            outcomes[i] = _error(result)
            if outcomes[i] and result.get("status") in RETRY_STATUSES and attempt < RETRIES:
                retry.append(i)
        if not retry:
            break
        todo = retry
        time.sleep(0.5 * 2**attempt)
    return outcomes
