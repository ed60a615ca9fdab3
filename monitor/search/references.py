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


MAX_NODES = 200  # documents in one tree


def reference_tree(
    es: Elasticsearch, index: str, doc: dict[str, Any], depth: int = 2
) -> dict[str, Any]:
    """The document with what it refers to (up, `depth` levels) and who refers to it (down,
    `depth` levels): {"id", "title", "doc_number", "published_at", "cites": [...],
    "cited_by": [...]}, each child a node of the same shape with its `kind`; a document seen
    once is not expanded again, and at most MAX_NODES are read."""
    seen = {doc["id"]}

    def load(doc_id: str) -> dict[str, Any] | None:
        hit = es.options(ignore_status=404).get(index=index, id=doc_id)
        return {"id": hit["_id"], **hit["_source"]} if hit.get("found") else None

    def node(current: dict[str, Any], up: int, down: int) -> dict[str, Any]:
        refs = document_references(es, index, current)
        shaped = {
            "id": current["id"],
            "title": current.get("title"),
            "doc_number": (current.get("policy") or {}).get("doc_number"),
            "published_at": current.get("published_at"),
            "cites": [],
            "cited_by": [],
        }
        for ref in refs["cites"] if up > 0 else []:
            target = ref["document"]
            child: dict[str, Any] = {"kind": ref["kind"], "number": ref["number"],
                                     "title": ref.get("title"), "id": None}  # fmt: skip
            if target and target["id"] not in seen and len(seen) < MAX_NODES:
                seen.add(target["id"])
                loaded = load(target["id"])
                child = {**node(loaded, up - 1, 0), "kind": ref["kind"]} if loaded else child
            elif target:
                child |= {"id": target["id"], "title": target["title"]}
            shaped["cites"].append(child)
        for other in refs["cited_by"] if down > 0 else []:
            if other["id"] in seen or len(seen) >= MAX_NODES:
                continue
            seen.add(other["id"])
            loaded = load(other["id"])
            if loaded:
                shaped["cited_by"].append({**node(loaded, 0, down - 1), "kind": other["kind"]})
        return shaped

    return node(doc, depth, depth)
