"""The clauses searches and watches are made of: the fields of each script with their weights,
one concept's clause, and the company and issuer clauses. Below both the search engine
(monitor.search.engine) and the query language (monitor.search.query), which build on them."""

from __future__ import annotations

from typing import Any

from monitor.search.concepts import Concept
from monitor.text.han import HAN

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
TITLE_FIELDS = {
    "zh": ["title.zh^3", "title_zh^2"],
    "en": ["title.en^3", "title_en^2", "title^1.5"],
}
# a single character: the per-character base fields (the `.zh` analysis folds it into bigrams)
CHAR_FIELDS = ["title^3", "description^1.5", "text", "attachments.text^0.6"]
ALL_FIELDS = {"zh": ZH_FIELDS, "en": EN_FIELDS}
# A form in the other language than the query's scores a little less (the analyst wrote these
# words), a form from the general dictionary (CC-CEDICT) rather than the glossary less again.
TRANSLATED_WEIGHT = 0.7
DICTIONARY_WEIGHT = 0.5
BACKOFF_WEIGHT = 0.5  # a compound's words apart, against the compound as one phrase


def _phrase(form: str, fields: list[str], slop: int = 0, boost: float = 1.0) -> dict[str, Any]:
    query: dict[str, Any] = {"query": form, "fields": fields, "type": "phrase"}
    if slop:
        query["slop"] = slop
    if boost != 1.0:
        query["boost"] = boost
    return {"multi_match": query}


def concept_clause(
    concept: Concept, scope: str = "all", slop: int = 0, boost: float = 1.0
) -> dict[str, Any]:
    """Any surface form of the concept, in the fields of its script, scored as one term (the
    best form), never as a sum over forms. `scope`: all fields, or `title` only."""
    fields = TITLE_FIELDS if scope == "title" else ALL_FIELDS
    written_han = bool(HAN.search(concept.text))

    def weight(han: bool) -> float:
        if han == written_han:
            return 1.0
        guessed = concept.origin in ("cedict", "composed")  # a dictionary sense, or put together
        return DICTIONARY_WEIGHT if guessed else TRANSLATED_WEIGHT

    queries = [_phrase(f, fields["en"], slop, weight(False)) for f in concept.english]

    def zh(form: str) -> list[str]:
        return CHAR_FIELDS if len(form) == 1 and scope != "title" else fields["zh"]

    queries += [_phrase(f, zh(f), slop, weight(True)) for f in concept.chinese]
    for _, parts in concept.backoff:  # every word of the compound, anywhere in the document
        together = [_phrase(p, zh(p)) for p in parts]
        queries.append({"bool": {"must": together, "boost": weight(True) * BACKOFF_WEIGHT}})
    if len(queries) == 1 and boost == 1.0:
        return queries[0]
    return {"dis_max": {"queries": queries, **({"boost": boost} if boost != 1.0 else {})}}


def any_phrase(
    values: tuple[str, ...] | list[str], fields: list[str], extra: list[dict] | None = None
) -> dict[str, Any]:
    phrases = [_phrase(v, fields) for v in values]
    return {"bool": {"should": [*phrases, *(extra or [])], "minimum_should_match": 1}}


def company_clause(values: list[str]) -> dict[str, Any]:
    """A filing by this company (name in either language, or its stock code), or a document whose
    title or text names it."""
    fields = ["filing.company_name.text", "filing.company_name.zh", "title^2", "text"]
    return any_phrase(values, fields, extra=[{"terms": {"filing.company_code": list(values)}}])


def issuer_clause(values: list[str]) -> dict[str, Any]:
    """A policy document issued by this body (发文机关)."""
    return any_phrase(values, ["policy.issuer.zh", "policy.issuer"])
