"""A document's references resolved over the index (`monitor show`): what it cites, by number,
and the stored documents that have that number; the stored documents that cite it, and how
(`implements`, `repeals`, `amends`, `cites`). A reference to a document not crawled yet is kept
unresolved: it links up when that document is stored (resolution is a query, not a copy)."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

MAX_CITED_BY = 200
BRIEF = ["title", "published_at", "source_id", "url", "canonical_url", "policy.doc_number",
         "references"]  # fmt: skip


def _brief(hit: dict[str, Any]) -> dict[str, Any]:
    source = hit["_source"]
    return {
        "id": hit["_id"],
        "title": source.get("title"),
        "published_at": source.get("published_at"),
        "source_id": source.get("source_id"),
        "url": source.get("canonical_url") or source.get("url"),
        "doc_number": (source.get("policy") or {}).get("doc_number"),
    }


def document_references(es: Elasticsearch, index: str, doc: dict[str, Any]) -> dict[str, Any]:
    """{"cites": [reference + its stored document or None], "cited_by": [document + how],
    "repealed_by": [the documents that repeal it]}."""
    references = doc.get("references") or []
    keys = [r["key"] for r in references]
    stored: dict[str, dict[str, Any]] = {}
    if keys:
        hits = es.search(index=index, size=len(keys) * 2, query={"terms": {"number_key": keys}},
                         source=BRIEF + ["number_key"])["hits"]["hits"]  # fmt: skip
        for hit in hits:
            stored.setdefault(hit["_source"]["number_key"], _brief(hit))
    cites = [{**r, "document": stored.get(r["key"])} for r in references]
    cited_by = []
    own = doc.get("number_key")
    if own:
        hits = es.search(
            index=index,
            size=MAX_CITED_BY,
            query={"bool": {"filter": [{"term": {"cites": own}}],
                            "must_not": [{"ids": {"values": [doc["id"]]}}]}},
            sort=[{"published_at": {"order": "asc", "missing": "_last", "unmapped_type": "date"}}],
            source=BRIEF,
        )["hits"]["hits"]  # fmt: skip
        for hit in hits:
            kind = next((r["kind"] for r in hit["_source"].get("references") or []
                         if r["key"] == own), "cites")  # fmt: skip
            cited_by.append({**_brief(hit), "kind": kind})
    return {
        "cites": cites,
        "cited_by": cited_by,
        "repealed_by": [d for d in cited_by if d["kind"] == "repeals"],
    }
