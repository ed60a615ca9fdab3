"""Search: query building (pure) and result shaping, shared by `monitor search` and the tests.

A query written in Han characters searches the CJK-analysed fields (bigrams) of the originals and of
the Chinese translations; a query in Latin script searches the English-analysed fields of the
originals and of the English translations, plus the language-neutral `standard` fields (so
"MIIT" also finds a Chinese page that writes it in Latin letters). A phrase clause lifts documents
that contain the query as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from elasticsearch import Elasticsearch

from monitor.search.glossary import Expansion
from monitor.text.han import HAN

_HAN = HAN
_LATIN = re.compile(r"[A-Za-z]")

# attachments' text and a policy document's issuer and number count too, a little less
ZH_FIELDS = [
    "title.zh^3",
    "description.zh^1.5",
    "text.zh",
    "title_zh^2",
    "text_zh^0.8",
    "attachments.text.zh^0.6",
    "policy.issuer.zh",
    "policy.doc_number.zh^2",
    "filing.company_name.zh^2",
]
EN_FIELDS = [
    "title.en^3",
    "description.en^1.5",
    "text.en",
    "title_en^2",
    "text_en^0.8",
    "title^1.5",
    "text^0.5",
    "attachments.text.en^0.6",
    "filing.company_name.text^2",
]
HIGHLIGHT_FIELDS = [
    "text.zh",
    "text.en",
    "text_en",
    "text_zh",
    "description.zh",
    "description.en",
    "attachments.text.zh",
    "attachments.text.en",
]


@dataclass(frozen=True)
class SearchRequest:
    query: str
    language: str | None = None
    source: str | None = None
    since: date | None = None
    until: date | None = None
    size: int = 10
    expansions: tuple[Expansion, ...] = ()  # from monitor.search.glossary; () = no expansion


def fields_for(query: str) -> list[str]:
    """The fields a query is matched against, chosen by the scripts it is written in."""
    han, latin = bool(_HAN.search(query)), bool(_LATIN.search(query))
    if han and latin:
        return ZH_FIELDS + EN_FIELDS
    return ZH_FIELDS if han else EN_FIELDS


def expansion_clause(expansion: Expansion) -> dict[str, Any]:
    """One concept in the other language: any of its terms, as a phrase, scored as one."""
    other = ZH_FIELDS if expansion.language == "zh" else EN_FIELDS
    phrases = [
        {"multi_match": {"query": term, "fields": other, "type": "phrase"}}
        for term in expansion.terms
    ]
    boost = 0.8 if expansion.origin == "glossary" else 0.4
    return {"dis_max": {"queries": phrases, "boost": boost}}


def term_clause(
    term: str, expansions: tuple[Expansion, ...] = (), slop: int = 0, boost: float = 1.0
) -> dict[str, Any]:
    """A term or phrase as written (in the fields of its script), or any of its renderings in
    the other language, scored as one concept (a dis_max, never a sum over variants). Watches
    compile their terms through this; `monitor search` shares the fields and the expansions."""
    written = {
        "multi_match": {"query": term, "fields": fields_for(term), "type": "phrase", "slop": slop}
    }
    clauses = [written, *(expansion_clause(e) for e in expansions)]
    return {"dis_max": {"queries": clauses, "boost": boost}}


def build_query(request: SearchRequest) -> dict[str, Any]:
    """The Elasticsearch search body for a request (query, filters, highlighting)."""
    fields = fields_for(request.query)
    filters: list[dict[str, Any]] = []
    if request.language:
        filters.append({"term": {"language": request.language}})
    if request.source:
        filters.append({"term": {"source_id": request.source}})
    if request.since or request.until:
        bounds = {}
        if request.since:
            bounds["gte"] = request.since.isoformat()
        if request.until:
            bounds["lte"] = request.until.isoformat()
        filters.append({"range": {"published_at": bounds}})
    should: list[dict[str, Any]] = [
        {
            "multi_match": {
                "query": request.query,
                "fields": fields,
                "type": "best_fields",
                "tie_breaker": 0.3,
                "minimum_should_match": "2<70%",
            }
        },
        {"multi_match": {"query": request.query, "fields": fields, "type": "phrase", "boost": 2}},
    ]
    for expansion in request.expansions:
        should.append(expansion_clause(expansion))
    return {
        "query": {"bool": {"should": should, "minimum_should_match": 1, "filter": filters}},
        "highlight": {
            "fields": {name: {} for name in HIGHLIGHT_FIELDS},
            "fragment_size": 140,
            "number_of_fragments": 1,
            "no_match_size": 140,
        },
        "_source": {"excludes": ["text", "text_en", "text_zh", "attachments.text"]},
        "size": request.size,
        "track_total_hits": True,
    }


def _snippet(hit: dict[str, Any]) -> str:
    highlight = hit.get("highlight", {})
    for name in HIGHLIGHT_FIELDS:  # a fragment with a match beats a leading no_match fragment
        fragments = highlight.get(name, [])
        if any("<em>" in f for f in fragments):
            return " … ".join(fragments)
    for name in HIGHLIGHT_FIELDS:
        if highlight.get(name):
            return highlight[name][0]
    return ""


def shape_hit(hit: dict[str, Any]) -> dict[str, Any]:
    source = hit["_source"]
    return {
        "id": hit["_id"],
        "score": hit["_score"],
        "url": source.get("canonical_url") or source.get("url"),
        "fetched_url": source.get("url"),
        "title": source.get("title"),
        "title_en": source.get("title_en"),
        "language": source.get("language"),
        "source_id": source.get("source_id"),
        "published_at": source.get("published_at"),
        "snippet": " ".join(_snippet(hit).split()),
    }


def search(es: Elasticsearch, index: str, request: SearchRequest) -> dict[str, Any]:
    """Run a search; {"total": n, "hits": [shaped hits]}."""
    response = es.search(index=index, **build_query(request))
    return {
        "total": response["hits"]["total"]["value"],
        "hits": [shape_hit(hit) for hit in response["hits"]["hits"]],
    }
