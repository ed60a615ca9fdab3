"""A document's versions: the earlier ones kept in `<prefix>-versions`, and the stored one."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from monitor.errors import QueryError

MAX_VERSIONS = 1000


def document_versions(es: Elasticsearch, index: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every version of `doc` ({"id", **source}), oldest first; the last is the stored document.
    Each: version, crawled_at, replaced_at (None for the current), title, text, content_hash,
    capture, changes (what this version changed against the one before)."""
    earlier: list[dict[str, Any]] = []
    if es.indices.exists_alias(name=index):
        hits = es.search(
            index=index,
            query={"term": {"document_id": doc["id"]}},
            sort=[{"version": "asc"}],
            size=MAX_VERSIONS,
        )["hits"]["hits"]
        earlier = [hit["_source"] for hit in hits]
    current = {
        "version": doc.get("version") or 1,
        "crawled_at": doc.get("crawled_at"),
        "replaced_at": None,
        "title": doc.get("title"),
        "text": doc.get("text"),
        "content_hash": doc.get("content_hash"),
        "capture": doc.get("capture"),
    }
    # a kept version records what its successor changed: shift it onto the successor
    changes = [None] + [v.get("changes") for v in earlier]
    every = earlier + [current]
    return [{**v, "changes": change} for v, change in zip(every, changes, strict=True)]


def pick(versions: list[dict[str, Any]], number: int) -> dict[str, Any]:
    for version in versions:
        if version["version"] == number:
            return version
    known = ", ".join(str(v["version"]) for v in versions)
    raise QueryError(f"no version {number} (this document has {known})")
