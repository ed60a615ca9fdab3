"""Sense selection from the collection: of a dictionary concept's renderings in the other
language, keep those the indexed documents use (Ballesteros & Croft 1998; Gao et al. 2001).

CC-CEDICT offers many words for one English sense ("control": 制导, 把持, 控制, 管制, 调控, ...) and
several senses for one Chinese word (标准: standard, norm, criterion). A rendering that no stored
document contains cannot find anything and, when it is rare elsewhere, pulls in noise; one that
the collection uses often is the likeliest sense. So before a search, each dictionary concept's
candidate renderings are counted in the index (one _msearch for the query), those found nowhere
are dropped (the cap on weak renderings), and at most MAX_RENDERINGS are kept, the dictionary's
first senses before its later ones, then by how many documents use them. The renderings the
analyst typed are never touched; glossary entries are kept whole (a domain vocabulary).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from elasticsearch import Elasticsearch

from monitor.search.cedict import MAX_RENDERINGS
from monitor.search.concepts import Concept, _is_han

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


def choose(es: Elasticsearch, index: str, concepts: list[Concept]) -> list[Concept]:
    """The concepts with their dictionary renderings chosen by the collection."""
    open_ = [c for c in concepts if c.origin == "cedict" and len(_translated(c)[1]) > 1]
    forms = list(dict.fromkeys(f for c in open_ for f in _translated(c)[1]))
    if not forms:
        return concepts
    searches: list[dict[str, Any]] = []
    for form in forms:
        query = {"multi_match": {"query": form, "fields": _where(form), "type": "phrase"}}
        searches += [{"index": index}, {"size": 0, "track_total_hits": True, "query": query}]
    responses = es.msearch(searches=searches)["responses"]
    counts = {
        form: response.get("hits", {}).get("total", {}).get("value", 0)
        for form, response in zip(forms, responses, strict=True)
    }
    chosen = []
    for concept in concepts:
        if concept not in open_:
            chosen.append(concept)
            continue
        side, candidates = _translated(concept)
        first = set(getattr(concept, side))
        used = [f for f in candidates if counts.get(f)]
        used.sort(key=lambda f: (f not in first, -counts[f]))
        kept = tuple(used[:MAX_RENDERINGS]) or getattr(concept, side)[:1]
        chosen.append(replace(concept, **{side: kept, "alternatives": ()}))
    return chosen
