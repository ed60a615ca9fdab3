"""Search: the fields, the clause of one concept, the request, and result shaping; shared by
`monitor search`, watches (monitor.alerts.watches) and the benchmark.

A concept (monitor.search.concepts) is searched through all its surface forms: English forms as
phrases in the English-analysed fields (originals, English translations, and the language-neutral
`standard` fields, so "MIIT" also finds a Chinese page that writes it in Latin letters), Chinese
forms as phrases in the Chinese-analysed (bigram) fields of the originals and of the Chinese
translations. The forms are alternatives of one `dis_max`: a document scores the best of them,
never their sum, so a concept with many renderings does not outweigh one with few.

Ranking: documents that match more of the query's concepts come first, whatever their language
(see monitor.search.query for how concepts are counted); within one count, BM25 relevance.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from monitor.search.clauses import concept_clause
from monitor.search.concepts import Lexicon
from monitor.search.glossary import DEFAULT_GLOSSARY, Glossary, load_glossary
from monitor.search.query import compile_query
from monitor.search.senses import choose

# highlighted for the snippet, originals first; the English translation gives a Chinese hit's
# English snippet
HIGHLIGHT_FIELDS = [
    "text.zh",
    "text.en",
    "description.zh",
    "description.en",
    "attachments.text.zh",
    "attachments.text.en",
    "text_zh",
    "text_en",
]
ENGLISH_SNIPPET_FIELDS = ["text_en", "title_en"]
STORY_MEMBERS = 20  # a collapsed story's documents listed with it
SOURCE_EXCLUDES = ["text", "text_en", "text_zh", "attachments.text", "story_minhash", "story_bands",
                   "references", "cites"]  # fmt: skip


def term_clause(
    term: str, lexicon: Lexicon | None, slop: int = 0, boost: float = 1.0
) -> dict[str, Any]:
    """A watch's term: the whole term as one concept (its renderings when the glossary or
    CC-CEDICT has the whole term, else as written)."""
    concept = (lexicon or bare_lexicon()).concept(term)
    return concept_clause(concept, slop=slop, boost=boost)


def default_lexicon(glossary: Glossary | None = None) -> Lexicon:
    """The packaged glossary (plus MONITOR_GLOSSARY) and CC-CEDICT: built once per process and
    glossary files (a command compiles its query several times: to check it, name its sources,
    run it, explain it), again when a file changes."""
    if glossary is not None:
        return Lexicon(glossary)
    files = [
        DEFAULT_GLOSSARY,
        *([Path(extra)] if (extra := os.environ.get("MONITOR_GLOSSARY")) else []),
    ]
    stamps = tuple((str(f), f.stat().st_mtime_ns if f.exists() else None) for f in files)
    return _glossary_lexicon(stamps)


@lru_cache(maxsize=4)
def _glossary_lexicon(stamps: tuple[tuple[str, int | None], ...]) -> Lexicon:
    extra = stamps[1][0] if len(stamps) > 1 else None
    return Lexicon(load_glossary(extra))


def bare_lexicon() -> Lexicon:
    """No translation at all: every word searched as written (`--no-expand`)."""
    return Lexicon(Glossary(()), dictionary=False)


# --- requests -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""  # the query language of monitor.search.query; "" or "*": newest first
    language: str | None = None
    sources: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    size: int = 10
    offset: int = 0
    sort: str = "relevance"  # relevance | date
    expand: bool = True  # translate the query's concepts (glossary, CC-CEDICT)
    filters: tuple[dict[str, Any], ...] = field(default=())  # further Elasticsearch filters
    include_withdrawn: bool = False  # pages a re-check found gone (monitor.crawl.withdrawn)
    # one hit per story (reprints, monitor.es.stories): its earliest document, with the others
    # counted; every document has a story_id (monitor.es.stories writes it)
    collapse_stories: bool = False


NOT_WITHDRAWN = {"bool": {"must_not": {"exists": {"field": "withdrawn_at"}}}}


def _filters(request: SearchRequest) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = list(request.filters)
    if not request.include_withdrawn:
        filters.append(NOT_WITHDRAWN)
    if request.language:
        filters.append({"term": {"language": request.language}})
    if request.sources:
        filters.append({"terms": {"source_id": list(request.sources)}})
    if request.since or request.until:
        bounds = {}
        if request.since:
            bounds["gte"] = request.since.isoformat()
        if request.until:
            bounds["lte"] = request.until.isoformat()
        filters.append({"range": {"published_at": bounds}})
    return filters


def build_query(request: SearchRequest, lexicon: Lexicon | None = None, floor: int | None = None):
    """(the Elasticsearch search body, the compiled query) for a request."""
    if lexicon is None:
        lexicon = default_lexicon() if request.expand else bare_lexicon()
    compiled = compile_query(request.query, lexicon, floor=floor)
    query = compiled.query
    filters = _filters(request) + compiled.filters
    if filters:
        query = {"bool": {"must": [query], "filter": filters}}
    by_date = request.sort == "date" or compiled.empty
    date_sort = {"published_at": {"order": "desc", "missing": "_last", "unmapped_type": "date"}}
    body = {
        "query": query,
        "sort": [date_sort, "_score"] if by_date else ["_score", date_sort],
        "highlight": {
            "fields": {
                **{name: {} for name in HIGHLIGHT_FIELDS},
                **{name: {"no_match_size": 0} for name in ENGLISH_SNIPPET_FIELDS},
            },
            "fragment_size": 160,
            "number_of_fragments": 1,
            "no_match_size": 160,
        },
        "_source": {"excludes": SOURCE_EXCLUDES},
        "size": request.size,
        "from": request.offset,
        "track_total_hits": True,
        "track_scores": True,
    }
    if request.collapse_stories:
        earliest = [{"published_at": {"order": "asc", "missing": "_last", "unmapped_type": "date"}},
                    {"first_seen_at": {"order": "asc", "unmapped_type": "date"}}]  # fmt: skip
        body["collapse"] = {
            "field": "story_id",
            "inner_hits": [
                {"name": "earliest", "size": 1, "sort": earliest,
                 "_source": {"excludes": SOURCE_EXCLUDES}, "highlight": body["highlight"]},
                {"name": "members", "size": STORY_MEMBERS, "sort": earliest,
                 "_source": ["source_id", "site", "url", "canonical_url", "published_at",
                             "title"]},
            ],
        }  # fmt: skip
    return body, compiled


# --- results ------------------------------------------------------------------------------------

_CREDIT = re.compile(
    r"[（(【\[]?\s*(?:责任编辑|编辑|责编|校对|审核|来源)\s*[:：][^）)】\]\n]*[）)】\]]?"
)
_METADATA_ROW = re.compile(r"^\s*\|.*\|\s*$")


def _prose(fragment: str) -> str:
    """The fragment without the rows of a metadata table or an editor's credit, on one line."""
    kept = []
    for line in fragment.splitlines():
        plain = line.replace("<em>", "").replace("</em>", "")
        if _METADATA_ROW.match(plain):
            continue
        kept.append(_CREDIT.sub("", line) if _CREDIT.search(plain) else line)
    return " ".join(" ".join(kept).split())


def _snippet(highlight: dict[str, list[str]], names: list[str]) -> tuple[str, str | None]:
    """(the snippet, the field it came from): a fragment with a match beats a leading one."""
    for matched in (True, False):
        for name in names:
            for fragment in highlight.get(name, []):
                prose = _prose(fragment)
                if prose and ("<em>" in prose) == matched:
                    return prose, name
    return "", None


def _attachment(source: dict[str, Any], fragment: str) -> dict[str, Any] | None:
    """The attachment whose text gave the snippet (the hit's attachment texts are read back)."""
    plain = fragment.replace("<em>", "").replace("</em>", "").replace("…", "").strip()
    probe = " ".join(plain.split())[:60]
    for item in source.get("attachments") or []:
        if probe and probe in " ".join((item.get("text") or "").split()):
            return {"name": item.get("name"), "url": item.get("url"), "format": item.get("format")}
    return None


def shape_hit(hit: dict[str, Any], weights: dict[str, float] | None = None) -> dict[str, Any]:
    """A hit as `monitor search` shows it. With the query's concept `weights`, the hit tells how
    many of the concepts it matched, and its score is its relevance without their constants."""
    source = hit["_source"]
    highlight = hit.get("highlight", {})
    snippet, snippet_field = _snippet(highlight, HIGHLIGHT_FIELDS)
    policy = source.get("policy") or {}
    filing = source.get("filing") or {}
    shaped = {
        "id": hit["_id"],
        "score": hit.get("_score"),
        "url": source.get("canonical_url") or source.get("url"),
        "fetched_url": source.get("url"),
        "title": source.get("title"),
        "title_en": source.get("title_en"),
        "language": source.get("language"),
        "source_id": source.get("source_id"),
        "doc_type": source.get("doc_type"),
        "published_at": source.get("published_at"),
        "first_seen_at": source.get("first_seen_at"),  # when news-monitor first stored it
        "issuer": policy.get("issuer"),
        "doc_number": policy.get("doc_number"),
        "company": filing.get("company_name"),
        "company_code": filing.get("company_code"),
        "snippet": snippet,
        "snippet_en": None,
        "attachment": None,
        "withdrawn_at": source.get("withdrawn_at"),  # shown only with include_withdrawn
        "number_key": source.get("number_key"),  # its 文号 as a key (monitor.text.references)
        "repealed_by": source.get("repealed_by"),  # the stored document that repeals it
        "version": source.get("version") or 1,
    }
    if source.get("language") != "en":
        shaped["snippet_en"] = _snippet(highlight, ENGLISH_SNIPPET_FIELDS)[0] or None
    if snippet_field and snippet_field.startswith("attachments."):
        shaped["attachment"] = _attachment(source, snippet)
    if weights:
        matched = [n for n in hit.get("matched_queries", []) if n in weights]
        shaped["concepts_matched"] = len(matched)
        if hit.get("_score") is not None:
            shaped["score"] = round(hit["_score"] - sum(weights[n] for n in matched), 4)
    return shaped


def _story(hit: dict[str, Any], weights: dict[str, float]) -> dict[str, Any]:
    """A collapsed story: its earliest document, with the story's size and sources."""
    earliest = hit["inner_hits"]["earliest"]["hits"]
    members = hit["inner_hits"]["members"]["hits"]
    shown = earliest["hits"][0] if earliest["hits"] else hit
    shaped = shape_hit({**shown, "_score": hit.get("_score")}, weights)
    shaped["story_id"] = hit["_source"].get("story_id")
    shaped["similar"] = max(0, members["total"]["value"] - 1)
    shaped["story"] = [
        {"id": m["_id"], **{k: m["_source"].get(k) for k in ("source_id", "site", "published_at",
                                                              "title")},
         "url": m["_source"].get("canonical_url") or m["_source"].get("url")}
        for m in members["hits"]
    ]  # fmt: skip
    return shaped


def search(
    es: Elasticsearch, index: str, request: SearchRequest, lexicon: Lexicon | None = None
) -> dict[str, Any]:
    """Run a search: {"total", "hits": [shaped hits], "concepts", "required", "relaxed"}.

    When no document matches the required number of concepts, the search is run again requiring
    one (`relaxed`: true), so a query is never empty only because it asked for too much.

    Stories are collapsed only when every document has a `story_id` (collapsing would fold
    those without one together): `unstoried` counts the documents without one (stored by
    another writer; the next crawl gives each its own), and the search is then not collapsed."""
    if lexicon is None:
        lexicon = default_lexicon() if request.expand else bare_lexicon()
    if request.expand:  # the dictionary's renderings, chosen by what the collection uses
        lexicon = lexicon.choosing(lambda concepts: choose(es, index, concepts))
    unstoried = 0
    if request.collapse_stories:
        from monitor.es.stories import MISSING

        unstoried = es.count(index=index, query=MISSING)["count"]
        if unstoried:
            request = replace(request, collapse_stories=False)
    body, compiled = build_query(request, lexicon)
    response = es.search(index=index, **body)
    relaxed = False
    if response["hits"]["total"]["value"] == 0 and compiled.required > 1:
        body, compiled = build_query(request, lexicon, floor=1)
        response = es.search(index=index, **body)
        relaxed = True
    hits = response["hits"]["hits"]
    attachment_hits = [
        h["_id"]
        for h in hits
        if any(name.startswith("attachments.") for name in h.get("highlight", {}))
    ]
    if attachment_hits:  # read back the attachments' texts to name the one a snippet came from
        docs = es.mget(index=index, ids=attachment_hits, source_includes=["attachments"])["docs"]
        texts = {d["_id"]: d.get("_source", {}).get("attachments") for d in docs if d.get("found")}
        for h in hits:
            if h["_id"] in texts:
                h["_source"]["attachments"] = texts[h["_id"]]
    shaped = [_story(h, compiled.weights) if "inner_hits" in h else shape_hit(h, compiled.weights)
              for h in hits]  # fmt: skip
    return {
        "total": response["hits"]["total"]["value"],
        "offset": request.offset,
        "hits": shaped,
        "concepts": [
            c.as_dict() | {"why": why}
            for c, why in zip(compiled.concepts, compiled.why, strict=True)
        ],  # fmt: skip
        "key_concepts": compiled.key_concepts,
        "required": compiled.required,
        "required_by_language": compiled.sides,
        "relaxed": relaxed,
        "collapsed": request.collapse_stories,
        "unstoried": unstoried,
    }


def check_request(es: Elasticsearch, alias: str, request: SearchRequest, where: str) -> None:
    """The index exists (else SearchBackendError, exit 3), and every source id the request
    names has documents (else QueryError, exit 2, listing the sources that do)."""
    from monitor.errors import QueryError, SearchBackendError
    from monitor.es.client import term_buckets

    if not es.indices.exists_alias(name=alias):
        raise SearchBackendError(f"no index {alias!r} at {where} yet: run `monitor crawl` first")
    named = [*request.sources, *build_query(request)[1].sources]
    if not named:
        return
    known = {bucket["key"] for bucket in term_buckets(es, alias, "source_id")}
    unknown = [source for source in named if source not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "none"
        raise QueryError(
            f"unknown source {unknown[0]!r}: no document comes from it "
            f"(sources in the index: {listed})"
        )
