"""The judged bilingual sets, loaded for bench/search_quality.py and for the search tests, which
index their documents as the index pipeline would store them: the first set (documents.yaml,
queries.yaml, tuned on for years) and the second (fresh/, written later on other topics, its
queries split once into a tuning half and a held-out half)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

JUDGED = Path(__file__).parent


def load_set(name: str = "") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(documents, queries) of the first set, or of the set in the folder `name` ("fresh")."""
    folder = JUDGED / name
    documents = yaml.safe_load((folder / "documents.yaml").read_text("utf-8"))["documents"]
    queries = yaml.safe_load((folder / "queries.yaml").read_text("utf-8"))["queries"]
    return documents, queries


def language(doc_id: str) -> str:
    return "zh" if doc_id.startswith("z") else "en"


def as_article(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as the index pipeline stores it (no translation: none is available here)."""
    body: dict[str, Any] = {
        "url": f"http://{doc['source']}.example/{doc['id']}.html",
        "source_id": doc["source"],
        "language": language(doc["id"]),
        "doc_type": doc["type"],
        "title": doc["title"],
        "text": doc["text"],
        "published_at": str(doc["date"]),
        "translation": {"status": "unavailable"},
    }
    if doc.get("issuer"):
        body["policy"] = {"issuer": doc["issuer"], "doc_number": doc.get("doc_number")}
    if doc.get("company"):
        body["filing"] = {"company_name": doc["company"], "company_code": doc.get("company_code")}
    return body


def index_set(es: Any, alias: str, documents: list[dict[str, Any]]) -> None:
    """Index the documents (ids as in the set) and make them searchable."""
    operations: list[dict[str, Any]] = []
    for doc in documents:
        operations += [{"index": {"_index": alias, "_id": doc["id"]}}, as_article(doc)]
    es.bulk(operations=operations, refresh="wait_for")
