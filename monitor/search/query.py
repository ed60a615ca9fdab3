"""The query language of `monitor search` (Lucene/Kibana syntax, parsed by luqum) compiled into an
Elasticsearch query.

- Free words are split into concepts (monitor.search.concepts) and *coordinated*: a document must
  match a required number of the key concepts (see WEAK_COORDINATION), and documents that match
  more concepts rank above those that match fewer, whatever their language. Required: all of one
  or two key concepts, all but one of three or four, 60 % of five or more (`required_concepts`).
  When nothing matches that many, the search is run again requiring one (reported as `relaxed`
  by monitor.search.engine.search).
- `"exact phrase"` must occur as written (in the original or in its translation); `"a b"~3`
  within three words. `-word` / `NOT word` exclude the concept in both languages; `+word` and
  `AND` require it; `OR` and parentheses as in Lucene.
- `cites:国发〔2020〕8号` (any written form of a document number, English ones too: quoted when it
  has [ ]), `implements:`, `repeals:`, `amends:`: documents that refer to it so; `repealed:yes`
  (or `no`): documents a stored document repeals (or none does).
- Fields: `title:` (concepts in titles only), `source:`, `type:` (news | policy | filing),
  `issuer:` (a policy's 发文机关, through the glossary: issuer:MIIT finds 工业和信息化部),
  `company:` (a filing's company, its code, or a document naming it), `lang:`;
  `source:(a OR b)` lists several.
- An empty query or `*` lists every document, newest first.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from luqum import tree
from luqum.exceptions import ParseError
from luqum.parser import parser

from monitor.errors import QueryError
from monitor.search.clauses import (
    ALL_FIELDS,
    TITLE_FIELDS,
    company_clause,
    concept_clause,
    issuer_clause,
)
from monitor.search.concepts import Concept, Lexicon
from monitor.text.han import HAN
from monitor.text.references import number_key

# Each matched concept adds this constant to the score, so the number of concepts a document matches
# decides its rank first, and BM25 (always far below it) orders documents with the same number.
COORDINATION = 1000.0
# A query's key concepts are those the glossary knows, quantities and words nothing knows (names);
# general-dictionary words (CC-CEDICT) of a query that has key concepts are weak: "Dutch",
# "affecting" in a long question. Weak concepts are not required; matching one still counts, less.
WEAK_COORDINATION = 100.0
# A watch's query of this many concepts or fewer requires its general-dictionary words as well
# (compile_query's `decision`); a longer one is a question, whose weak words stay weak.
SHORT_QUERY = 3
DOC_TYPES = ("news", "policy", "filing")
FIELDS = ("title", "source", "type", "issuer", "company", "lang", "cites", "implements", "repeals",
          "amends", "repealed")  # fmt: skip
_YES, _NO = ("yes", "true", "1"), ("no", "false", "0")
REFERENCE_FIELDS = ("cites", "implements", "repeals", "amends")  # by document number
_FIELD_ALIASES = {"language": "lang", "doc_type": "type", "source_id": "source"}
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def _reaches(concept: Concept, han: bool) -> bool:
    """Whether the concept has a form in documents of that script (Chinese, or the others)."""
    return bool(concept.chinese or concept.backoff) if han else bool(concept.english)


def required_concepts(count: int) -> int:
    """How many of a query's concepts a document must match."""
    if count <= 2:
        return count
    if count <= 4:
        return count - 1
    return math.ceil(0.6 * count)


_KEY_BECAUSE = {
    "glossary": "key: a term of the glossary (the domain's vocabulary)",
    "number": "key: a quantity",
    "written": "key: in no dictionary (a name or a code), searched as written",
    "composed": "key: in no dictionary, searched as written and as its words' senses in English",
}


def key_concepts(
    concepts: list[Concept], decision: bool = False
) -> tuple[list[Concept], list[str]]:
    """(the key concepts, for each concept why it is key or weak). Key: glossary terms,
    quantities and words no dictionary knows (names); a general-dictionary (CC-CEDICT) word is
    weak beside them: it counts, it is not required. With `decision` (a watch) and a short query,
    every concept is key."""
    if decision and len(concepts) <= SHORT_QUERY:
        why = [_KEY_BECAUSE.get(c.origin) or "key: a watch's short query counts every word"
               for c in concepts]  # fmt: skip
        return list(concepts), why
    key = [c for c in concepts if c.origin != "cedict"]
    if not key:
        alone = "key: a general-dictionary word, and the query has no term, quantity or name"
        return list(concepts), [alone] * len(concepts)
    weak = "weak: a general-dictionary word beside key concepts (counts, not required)"
    return key, [_KEY_BECAUSE.get(c.origin, weak) if c in key else weak for c in concepts]


@dataclass
class CompiledQuery:
    query: dict[str, Any]
    concepts: list[Concept] = field(default_factory=list)  # the coordinated ones (top level)
    key_concepts: int = 0  # how many of them are key (the rest are weak)
    required: int = 0  # key concepts a document must match
    why: list[str] = field(default_factory=list)  # per concept: key or weak, and why (--explain)
    # how documents of a language are held to fewer concepts than `required` (--explain)
    sides: list[str] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)  # named concept clause → its constant
    filters: list[dict[str, Any]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # source ids named by `source:`
    empty: bool = False  # nothing to rank: newest first


def compile_query(
    text: str, lexicon: Lexicon, floor: int | None = None, decision: bool = False
) -> CompiledQuery:
    """The Elasticsearch query for a query string; QueryError (exit 2) when it cannot be run.

    `decision`: compiled to decide yes or no (a watch) rather than to rank: in a short query
    (up to SHORT_QUERY concepts) every concept is then key, general-dictionary words too, since
    the analyst typed each word to mean it and no ranking puts partial matches below."""
    text = (text or "").strip()
    if text in ("", "*"):
        return CompiledQuery({"match_all": {}}, empty=True)
    try:
        parsed = parser.parse(text)
    except ParseError as exc:
        raise QueryError(f"cannot read the query {text!r}: {_plain(exc)}") from None
    return _Compiler(lexicon, decision).top(parsed, floor)


def _plain(exc: Exception) -> str:
    message = str(exc).replace("Syntax error in input : ", "").rstrip("!")
    return message.replace("unexpected  ", "unexpected ")


class _Compiler:
    def __init__(self, lexicon: Lexicon, decision: bool = False) -> None:
        self.lexicon = lexicon
        self.decision = decision
        self.sources: list[str] = []
        self.filters: list[dict[str, Any]] = []

    # --- the top level: coordinated free words, required and excluded parts, filters -----------

    def top(self, node: tree.Item, floor: int | None) -> CompiledQuery:
        if isinstance(node, tree.AndOperation):
            return CompiledQuery(
                {"bool": {"must": [self.node(c) for c in node.children]}},
                filters=self.filters,
                sources=self.sources,
            )
        items = list(node.children) if isinstance(node, tree.UnknownOperation) else [node]
        words: list[str] = []
        must: list[dict[str, Any]] = []
        must_not: list[dict[str, Any]] = []
        for item in items:
            if isinstance(item, tree.Word) and not item.value.endswith("*"):
                words.append(item.value)
            elif isinstance(item, (tree.Prohibit, tree.Not)):
                must_not.append(self.node(item.children[0]))
            elif isinstance(item, tree.SearchField) and self._filter(item):
                continue
            else:
                must.append(self.node(item))
        concepts = self.lexicon.concepts(" ".join(words)) if words else []
        key, why = key_concepts(concepts, self.decision)
        required = min(floor, len(key)) if floor else required_concepts(len(key))
        should: list[dict[str, Any]] = []
        weights: dict[str, float] = {}
        side_notes: list[str] = []
        if key:
            counted = []
            for i, concept in enumerate(concepts):
                name, weight = f"concept:{i}", COORDINATION if concept in key else WEAK_COORDINATION
                weights[name] = weight
                (counted if concept in key else should).append(
                    self._coordinated(concept, name, weight)
                )
            sides = self._sides(concepts, key, required, floor)
            if sides is None:
                must.append({"bool": {"should": counted, "minimum_should_match": required}})
            else:  # scored as before, required per language side (see _sides)
                requirement, side_notes = sides
                should = counted + should
                must.append({"bool": {"filter": [requirement]}})
            if len(concepts) > 1:  # the words as written, near each other: a little higher
                written = " ".join(words)
                fields = ALL_FIELDS["zh" if HAN.search(written) else "en"]
                phrase = {"query": written, "fields": fields, "type": "phrase", "slop": 3}
                should.append({"multi_match": phrase})
        if not must:
            must = [{"match_all": {}}]
        query: dict[str, Any] = {"bool": {"must": must}}
        if must_not:
            query["bool"]["must_not"] = must_not
        if should:
            query["bool"]["should"] = should
        return CompiledQuery(
            query,
            concepts=concepts,
            key_concepts=len(key),
            required=required,
            why=why,
            sides=side_notes,
            weights=weights,
            filters=self.filters,
            sources=self.sources,
            empty=not concepts and len(must) == 1 and "match_all" in must[0] and not must_not,
        )

    def _sides(
        self, concepts: list[Concept], key: list[Concept], required: int, floor: int | None
    ) -> tuple[dict[str, Any], list[str]] | None:
        """The requirement per language side when a key concept cannot be found in one: a name
        no dictionary renders (CATL) is not in a Chinese document, whose other concepts then
        decide ("CATL sodium-ion battery": 钠离子 and 电池). Chinese documents (language zh) are
        held to the key concepts of the query's concepts that have a Chinese form, the others
        to those with an English form, each counted as `key_concepts` and `required_concepts`
        count the query's. None when every key concept reaches both sides (the common case)."""
        if all(_reaches(c, True) and _reaches(c, False) for c in key):
            return None
        chinese = {"term": {"language": "zh"}}
        branches, notes = [], []
        for han, name in ((True, "Chinese"), (False, "other")):
            reachable = [c for c in concepts if _reaches(c, han)]
            side_key = key_concepts(reachable, self.decision)[0] if reachable else key
            need = min(floor, len(side_key)) if floor else required_concepts(len(side_key))
            needed = [concept_clause(c) for c in side_key]
            clause: dict[str, Any] = {"bool": {"should": needed, "minimum_should_match": need}}
            if han:
                branches.append({"bool": {"filter": [chinese, clause]}})
            else:
                branches.append({"bool": {"filter": [clause], "must_not": [chinese]}})
            if side_key != key or need != required:
                texts = ", ".join(repr(c.text) for c in side_key)
                notes.append(f"{name} documents: {need} of {texts} (a key concept has no form "
                             f"in their language)")  # fmt: skip
        return {"bool": {"should": branches, "minimum_should_match": 1}}, notes

    @staticmethod
    def _coordinated(concept: Concept, name: str, weight: float) -> dict[str, Any]:
        """The concept, counted: a constant for matching it (named, so that a hit tells which
        concepts it matched), plus its relevance."""
        clause = concept_clause(concept)
        counted = {"constant_score": {"filter": clause, "boost": weight, "_name": name}}
        return {"bool": {"should": [counted, clause]}}

    def _filter(self, item: tree.SearchField) -> bool:
        """A top-level `source:`, `type:`, `lang:` or reference (`cites:`) is a filter (not
        scored); True if taken."""
        name = self._field_name(item.name)
        if name not in ("source", "type", "lang", "repealed", *REFERENCE_FIELDS):
            return False
        self.filters.append(self._field(name, item.expr))
        return True

    # --- any node ------------------------------------------------------------------------------

    def node(self, node: tree.Item, scope: str = "all") -> dict[str, Any]:
        if isinstance(node, tree.Word):
            return self._word(node.value, scope)
        if isinstance(node, tree.Phrase):
            return self._phrase(node.value[1:-1], scope)
        if isinstance(node, tree.Proximity) and isinstance(node.term, tree.Phrase):
            return self._phrase(node.term.value[1:-1], scope, slop=int(node.degree or 1))
        if isinstance(node, (tree.Group, tree.FieldGroup, tree.Plus)):
            return self.node(node.children[0], scope)
        if isinstance(node, (tree.Prohibit, tree.Not)):
            return {"bool": {"must_not": [self.node(node.children[0], scope)]}}
        if isinstance(node, tree.OrOperation):
            should = [self.node(c, scope) for c in node.children]
            return {"bool": {"should": should, "minimum_should_match": 1}}
        if isinstance(node, (tree.AndOperation, tree.UnknownOperation)):
            return self._all(node.children, scope)
        if isinstance(node, tree.SearchField):
            name = self._field_name(node.name)
            if name == "title":
                return self.node(node.expr, scope="title")
            return self._field(name, node.expr)
        raise QueryError(f"{type(node).__name__.lower()} queries ({node}) are not supported")

    def _all(self, children: list[tree.Item], scope: str) -> dict[str, Any]:
        """Inside parentheses, words and parts are all required."""
        words = [c.value for c in children if isinstance(c, tree.Word) and "*" not in c.value]
        rest = [c for c in children if not (isinstance(c, tree.Word) and "*" not in c.value)]
        must = [concept_clause(c, scope) for c in self.lexicon.concepts(" ".join(words))]
        must += [self.node(c, scope) for c in rest]
        return {"bool": {"must": must or [{"match_all": {}}]}}

    def _word(self, word: str, scope: str) -> dict[str, Any]:
        fields = (TITLE_FIELDS if scope == "title" else ALL_FIELDS)[
            "zh" if HAN.search(word) else "en"
        ]
        if word == "*":
            return {"match_all": {}}
        if word.endswith("*") and "*" not in word[:-1]:
            return {"multi_match": {"query": word[:-1], "fields": fields, "type": "phrase_prefix"}}
        if "*" in word or "?" in word:
            raise QueryError(f"wildcards only at the end of a word: {word!r}")
        concepts = self.lexicon.concepts(word)
        if len(concepts) == 1:
            return concept_clause(concepts[0], scope)
        return {
            "bool": {"must": [concept_clause(c, scope) for c in concepts] or [{"match_all": {}}]}
        }

    @staticmethod
    def _phrase(text: str, scope: str, slop: int = 0) -> dict[str, Any]:
        """An exact phrase, as written: in the original text and in the translations of the
        phrase's script, never through the dictionary."""
        fields = (TITLE_FIELDS if scope == "title" else ALL_FIELDS)[
            "zh" if HAN.search(text) else "en"
        ]
        query: dict[str, Any] = {"query": text, "fields": fields, "type": "phrase"}
        if slop:
            query["slop"] = slop
        return {"multi_match": query}

    # --- fields --------------------------------------------------------------------------------

    @staticmethod
    def _field_name(name: str) -> str:
        name = _FIELD_ALIASES.get(name.lower(), name.lower())
        if name not in FIELDS:
            known = ", ".join(f"{f}:" for f in FIELDS)
            raise QueryError(f"unknown field {name + ':'!r} in the query (known: {known})")
        return name

    def _field(self, name: str, expr: tree.Item) -> dict[str, Any]:
        values = self._values(name, expr)
        if name == "source":
            self.sources += values
            return {"terms": {"source_id": values}}
        if name == "type":
            bad = [v for v in values if v not in DOC_TYPES]
            if bad:
                raise QueryError(f"type:{bad[0]} is not a document type ({', '.join(DOC_TYPES)})")
            return {"terms": {"doc_type": values}}
        if name == "lang":
            values = [v.lower() for v in values]
            bad = [v for v in values if not _LANGUAGE.match(v)]
            if bad:
                raise QueryError(f"lang:{bad[0]} is not a language code (zh, en, ...)")
            return {"terms": {"language": values}}
        if name == "repealed":
            said = {v.lower() for v in values}
            if not said <= {*_YES, *_NO} or len({v in _YES for v in said}) > 1:
                raise QueryError(f"repealed:{values[0]} is not yes or no")
            exists = {"exists": {"field": "repealed_by"}}
            return exists if said <= set(_YES) else {"bool": {"must_not": [exists]}}
        if name in REFERENCE_FIELDS:  # any written form of the number: its key
            keys = [number_key(value) for value in values]
            if None in keys:
                bad = values[keys.index(None)]
                raise QueryError(
                    f"{name}:{bad!r} is not a document number (国发〔2020〕8号, "
                    '"Guofa [2020] No. 8", 公告2023年第23号; quote one with [ ])'
                )
            return {"terms": {name: keys}}
        forms = [form for value in values for form in self._forms(value)]
        return issuer_clause(forms) if name == "issuer" else company_clause(forms)

    def _forms(self, value: str) -> list[str]:
        """A name and its renderings (issuer:MIIT → 工业和信息化部, 工信部)."""
        return list(dict.fromkeys([value, *self.lexicon.concept(value).forms]))

    @staticmethod
    def _values(name: str, expr: tree.Item) -> list[str]:
        """`field:value`, `field:"two words"`, `field:(a OR b)`."""
        if isinstance(expr, tree.FieldGroup):
            expr = expr.children[0]
        items = expr.children if isinstance(expr, tree.OrOperation) else [expr]
        values = []
        for item in items:
            if isinstance(item, tree.Word):
                values.append(item.value)
            elif isinstance(item, tree.Phrase):
                values.append(item.value[1:-1])
            else:
                raise QueryError(f'{name}: takes a value, a "quoted value" or (a OR b), not {expr}')
        return values
