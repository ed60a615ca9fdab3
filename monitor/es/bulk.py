"""Bulk writes with per-document outcomes: nothing is swallowed.

New documents are written with `create`, so when two crawlers (two sources listing the same page,
or two processes) race on one document, exactly one creates it and the other learns so (a 409
conflict, reported as "exists"). Changed documents are `update`d with `doc_as_upsert`, which keeps
fields that later stages own; `upsert` sets some fields always and others only on creation.
Items the cluster rejects for load (429) are retried with backoff.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from elasticsearch import Elasticsearch

RETRY_STATUSES = {429}
MAX_BULK_BYTES = 20 * 1024 * 1024
RETRIES = 3


def known_documents(
    es: Elasticsearch, index: str, ids: list[str], hashes: list[str]
) -> tuple[dict[str, str], set[str]]:
    """({id: content_hash}, ids whose attachments are incomplete) of the stored documents that
    have one of these ids or hashes."""
    if not ids:
        return {}, set()
    response = es.search(
        index=index,
        query={"bool": {"should": [{"ids": {"values": ids}}, {"terms": {"content_hash": hashes}}]}},
        source=["content_hash", "attachments_complete"],
        size=len(ids) + len(hashes),
    )
    hits = response["hits"]["hits"]
    incomplete = {h["_id"] for h in hits if h["_source"].get("attachments_complete") is False}
    return {hit["_id"]: hit["_source"].get("content_hash") for hit in hits}, incomplete


def _operation(
    index: str, action: str, doc_id: str, source: dict[str, Any] | None
) -> list[dict[str, Any]]:
    if action == "create":
        return [{"create": {"_index": index, "_id": doc_id}}, source]
    if action == "update":
        return [
            {"update": {"_index": index, "_id": doc_id}},
            {"doc": source, "doc_as_upsert": True},
        ]
    if action == "upsert":  # source: {"doc": fields to set, "upsert": fields when created}
        return [{"update": {"_index": index, "_id": doc_id}}, source]
    if action == "delete":  # source: None
        return [{"delete": {"_index": index, "_id": doc_id}}]
    raise ValueError(f"unknown bulk action {action!r}")


def _outcome(result: dict[str, Any]) -> tuple[str | None, str | None]:
    error = result.get("error")
    if not error:
        return result.get("result"), None
    if result.get("status") == 409:
        return "exists", None
    if isinstance(error, dict):
        return None, f"{error.get('type')}: {error.get('reason')}"
    return None, str(error)


def write(
    es: Elasticsearch,
    index: str,
    actions: list[tuple[str, str, dict[str, Any]]],
    refresh: bool = False,
) -> list[tuple[str | None, str | None]]:
    """Run (action, id, source) writes; per action (result, error).

    result: 'created', 'updated', 'noop', or 'exists' (a create that found the document already
    there); error: None or the reason the cluster gave.
    """
    outcomes: list[tuple[str | None, str | None]] = [(None, None)] * len(actions)
    todo = list(range(len(actions)))
    for attempt in range(RETRIES + 1):
        if not todo:
            break
        retry = []
        for chunk in _by_size(todo, actions):
            operations = [op for i in chunk for op in _operation(index, *actions[i])]
            response = es.bulk(operations=operations, refresh=refresh)
            for i, item in zip(chunk, response["items"], strict=True):
                result = next(iter(item.values()))
                outcomes[i] = _outcome(result)
                if outcomes[i][1] and result.get("status") in RETRY_STATUSES and attempt < RETRIES:
                    retry.append(i)
        todo = retry
        if todo:
            time.sleep(0.5 * 2**attempt)
    return outcomes


def _by_size(todo: list[int], actions: list[tuple[str, str, dict[str, Any]]]) -> list[list[int]]:
    """The actions split so that no bulk request is much over MAX_BULK_BYTES (documents with
    long attachments can be megabytes each; Elasticsearch refuses requests over 100 MB)."""
    chunks: list[list[int]] = [[]]
    size = 0
    for i in todo:
        weight = len(orjson.dumps(actions[i][2])) if actions[i][2] is not None else 0
        if chunks[-1] and size + weight > MAX_BULK_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(i)
        size += weight
    return chunks
