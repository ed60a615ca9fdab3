"""Sense selection from the collection: of a dictionary concept's renderings in the other
language, keep those the indexed documents use (Ballesteros & Croft 1998; Gao et al. 2001).

CC-CEDICT offers many words for one English sense ("control": 制导, 把持, 控制, 管制, 调控, ...) and
several senses for one Chinese word (标准: standard, norm, criterion). A rendering that no stored
document contains cannot find anything and, when it is rare elsewhere, pulls in noise; one that
the collection uses often is the likeliest sense, and one the collection uses beside the query's
other concepts is the likeliest in this query. So before a search, each dictionary concept's
candidate renderings are counted in the index (one _msearch for the query), each with how many
of its documents also have another concept of the query; those found nowhere are dropped (the
cap on weak renderings), and at most MAX_RENDERINGS are kept: those found beside the other
concepts first, then the dictionary's first senses before its later ones, then by how many
documents use them beside the others and at all. The renderings the
analyst typed are never touched; glossary entries are kept whole (a domain vocabulary).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from elasticsearch import Elasticsearch

from monitor.search.cedict import MAX_RENDERINGS
from monitor.search.concepts import Concept, _is_han, _unique

# where a rendering is counted: the text in its language's analysis (single characters in the
# per-character base fields, where they are not folded into bigrams)
COUNT_FIELDS = {"zh": ["title.zh", "text.zh"], "en": ["title.en", "text.en"],
                "char": ["title", "text"]}  # fmt: skip


def _where(form: str) -> list[str]:
    if not _is_han(form):
        return COUNT_FIELDS["en"]
    return COUNT_FIELDS["char"] if len(form) == 1 else COUNT_FIELDS["zh"]


def _translated(concept: Concept) -> tuple[str, tuple[str, ...]]:
    """('chinese' | 'english', the candidates) on the side the dictionary translated to."""
    if _is_han(concept.text):
        return "english", concept.english + concept.alternatives
    return "chinese", concept.chinese + concept.alternatives


def _phrase(form: str) -> dict[str, Any]:
    return {"multi_match": {"query": form, "fields": _where(form), "type": "phrase"}}


def _any_form(concept: Concept) -> dict[str, Any]:
    """A document that has any of the concept's forms or candidate renderings."""
    forms = _unique((concept.text, *concept.forms, *concept.alternatives))
    return {"bool": {"should": [_phrase(f) for f in forms], "minimum_should_match": 1}}


def choose(es: Elasticsearch, index: str, concepts: list[Concept]) -> list[Concept]:
    """The concepts with their dictionary renderings chosen by the collection: a rendering no
    document uses is dropped; of those used, the ones found in documents beside the query's
    other concepts (any of their forms) come first (the likeliest sense in this query: 调控 for
    "controls" beside 钢铁 and 产量), then the dictionary's first senses, then the most used."""
    open_ = [c for c in concepts if c.origin == "cedict" and len(_translated(c)[1]) > 1]
    if not open_:
        return concepts
    asked: list[tuple[Concept, str]] = []
    searches: list[dict[str, Any]] = []
    any_form = {id(c): _any_form(c) for c in concepts}
    for concept in open_:
        others = [any_form[id(c)] for c in concepts if c is not concept]
        for form in _unique(_translated(concept)[1]):
            body: dict[str, Any] = {"size": 0, "track_total_hits": True, "query": _phrase(form)}
            if others:
                body["aggs"] = {"beside": {"filter": {"bool": {"filter": others}}}}
            asked.append((concept, form))
            searches += [{"index": index}, body]
    responses = es.msearch(searches=searches)["responses"]
    counts: dict[tuple[int, str], tuple[int, int]] = {}
    for (concept, form), response in zip(asked, responses, strict=True):
        used = response.get("hits", {}).get("total", {}).get("value", 0)
        beside = response.get("aggregations", {}).get("beside", {}).get("doc_count", 0)
        counts[id(concept), form] = (used, beside)
    chosen = []
    for concept in concepts:
        if concept not in open_:
            chosen.append(concept)
            continue
        side, candidates = _translated(concept)
        first = set(getattr(concept, side))
        found = {f: counts[id(concept), f] for f in _unique(candidates)}
        used = [f for f, (n, _) in found.items() if n]
        used.sort(key=lambda f: (not found[f][1], f not in first, -found[f][1], -found[f][0]))
        kept = tuple(used[:MAX_RENDERINGS]) or getattr(concept, side)[:1]
        chosen.append(replace(concept, **{side: kept, "alternatives": ()}))
    return chosen
