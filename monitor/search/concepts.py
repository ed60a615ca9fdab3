"""Structured query translation (Pirkola 1998; Darwish & Oard 2003) without a model.

The free words of a query are split into *concepts* by longest match, over the domain glossary
first and CC-CEDICT second, in both directions: "value-added tax refund" is one concept when the
glossary has it, "MIIT semiconductor policy" three. Numbers with units are concepts of their own
(14 nanometres = 14nm = 14纳米). Each concept carries every surface form it has in both languages,
and the query builder (monitor.search.engine) scores a concept as one term, the best of its forms,
never as a sum over them. Two words of the query that name the same concept ("SMIC 中芯国际") make
one concept.

Words nothing knows stay concepts as written; single Han characters that no word covers are dropped
when the query has a word (they would match everywhere), and common function words are skipped.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from monitor.search import cedict
from monitor.search.glossary import Glossary
from monitor.text.han import HAN_RANGES

_ENGLISH_STOPWORDS = """
a an the of and or in on at for to from with by about as into over under via what which
who whom how why when where is are was were be been being do does did done has have had
any there this that these those it its their our my your his her can could should would
will shall may might must not no news latest recent recently please show find me us all
some most more many much new
"""
_CHINESE_STOPWORDS = """
的 了 和 与 及 或 在 对 是 有 将 把 被 中 其 等 个 之 于 以
关于 有关 以及 哪些 什么 如何 怎么 怎样 是否 相关 方面 情况 问题 最新 近期 一些
"""
ENGLISH_STOPWORDS = frozenset(_ENGLISH_STOPWORDS.split())
CHINESE_STOPWORDS = frozenset(_CHINESE_STOPWORDS.split())

# quantities: the number, a unit the text may write three ways, and the unit's canonical forms
_UNITS: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    # (pattern, English renderings ({n} is the number), Chinese renderings)
    (
        r"nm|nanomet(?:er|re)s?|纳米",
        ("{n}nm", "{n} nm", "{n} nanometer", "{n} nanometre", "{n}-nanometer", "{n}-nanometre"),
        ("{n}纳米", "{n}nm"),
    ),
    (r"inch(?:es)?|英寸|寸", ("{n}-inch", "{n} inch", "{n}in"), ("{n}英寸", "{n}寸")),
    (r"gw|gigawatts?|吉瓦", ("{n}GW", "{n} gigawatts"), ("{n}吉瓦", "{n}GW")),
]
_NUMBER_UNIT = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s*-?\s*(" + "|".join(p for p, _, _ in _UNITS) + r")(?![A-Za-z])",
    re.IGNORECASE,
)
_TOKEN = re.compile(rf"([{HAN_RANGES}]+)|([A-Za-z0-9]+(?:['’&.-][A-Za-z0-9]+)*)")


@dataclass(frozen=True)
class Concept:
    """One thing the query asks for, with every way of writing it."""

    text: str  # as written in the query
    english: tuple[str, ...]  # searched (as phrases) in the English-analysed fields
    chinese: tuple[str, ...]  # searched (as phrases) in the Chinese-analysed fields
    origin: str  # glossary | cedict | number | written
    key: str  # the same key: the same concept
    # further renderings in the other language than the query's, for the collection to choose
    # from (monitor.search.senses): the dictionary's later senses
    alternatives: tuple[str, ...] = ()
    # a Chinese compound form's dictionary words (动力电池: 动力, 电池), searched together, a little
    # lower, when the documents write the compound apart (动力蓄电池, 支持…的政策)
    backoff: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def forms(self) -> tuple[str, ...]:
        return self.english + self.chinese

    def as_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "english": list(self.english),
            "chinese": list(self.chinese),
            "origin": self.origin,
        }


def _unique(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in re.findall(r"[A-Za-z0-9]+(?:['’&.-][A-Za-z0-9]+)*", text))


_singular = cedict.singular
MAX_ALTERNATIVES = 32  # further senses offered to the collection's choice (monitor.search.senses)
BACKOFF_LENGTH = 4  # characters: a compound of two words at least
MAX_COMPOSED = 16  # English phrases of an unknown Chinese word's senses put together


def _variants(phrase: str) -> list[str]:
    """The phrase, with hyphens as spaces, and its last word's -ing and -ed forms taken back to
    the verb ("manufacturing" → "manufacture"): the dictionary lists base forms."""
    variants = [phrase, phrase.replace("-", " ")]
    *head, last = variants[-1].split()
    for suffix in ("ing", "ed"):
        if last.endswith(suffix) and len(last) > len(suffix) + 3:
            stem = last[: -len(suffix)]
            bases = [stem, stem + "e"] + ([stem[:-1]] if stem[-1] == stem[-2] else [])
            variants += [" ".join([*head, base]) for base in bases]
    return list(dict.fromkeys(variants))


def _adjective_bases(word: str) -> list[str]:
    """The nouns an English adjective in -al is made from, as the dictionary lists nouns
    ("provincial" → "province", "industrial" → "industry", "regional" → "region")."""
    if len(word) < 7 or not word.endswith("al"):
        return []
    stem = word[:-3] if word.endswith("ial") else word[:-2]
    return list(dict.fromkeys([stem + "e", stem + "y", stem, word[:-2]]))


class Lexicon:
    """The glossary and CC-CEDICT, indexed for longest-match concept splitting."""

    def __init__(self, glossary: Glossary, dictionary: bool = True) -> None:
        self.glossary = glossary
        self.cedict = cedict.load() if dictionary else None
        # the collection's choice of renderings (monitor.search.senses), when a search sets it
        self._choose: Callable[[list[Concept]], list[Concept]] | None = None
        self._chosen: dict[tuple[Concept, ...], list[Concept]] = {}
        self._english: dict[tuple[str, ...], int] = {}
        self._chinese: dict[str, int] = {}
        for i, (english, chinese) in enumerate(glossary.entries):
            for term in english:
                self._english.setdefault(_words(term), i)
            for term in chinese:
                self._chinese.setdefault(term, i)
        self._longest_english = max((len(k) for k in self._english), default=1)
        self._longest_chinese = max((len(k) for k in self._chinese), default=1)

    # --- one concept per term (watches) ------------------------------------------------------

    def concept(self, term: str) -> Concept:
        """The whole term as one concept: its renderings when the glossary or CC-CEDICT has the
        whole term, else the term as written."""
        term = term.strip()
        found = self._glossary_chinese(term) if _is_han(term) else None
        if found is None and not _is_han(term):
            words = _words(term)
            found = self._glossary_english(words) or self._cedict_english(words, term)
        if found is None and _is_han(term):
            found = self._cedict_chinese(term)
        if found is None and _is_han(term):
            found = self._composed_han(term)
        return self._chosen_for([found])[0] if found else _written(term)

    def choosing(self, choose: Callable[[list[Concept]], list[Concept]]) -> Lexicon:
        """This lexicon, its concepts' renderings chosen by `choose` (once per set of concepts)."""
        chooser = copy.copy(self)
        chooser._choose, chooser._chosen = choose, {}
        return chooser

    def parts(self, word: str) -> tuple[str, ...]:
        """A Chinese compound's dictionary words by longest match, the whole excluded; () when
        some character is left that no word (nor a one-character entry) covers, or the word is
        shorter than BACKOFF_LENGTH."""
        if len(word) < BACKOFF_LENGTH:
            return ()
        parts: list[str] = []
        i = 0
        while i < len(word):
            for size in range(min(len(word) - i, len(word) - 1), 0, -1):
                piece = word[i : i + size]
                known = self._glossary_chinese(piece) or (
                    self.cedict and piece in self.cedict.to_english
                )
                if known and piece not in CHINESE_STOPWORDS:
                    parts.append(piece)
                    i += size
                    break
            else:
                return ()
        return tuple(parts) if len(parts) > 1 else ()

    def _with_backoff(self, concept: Concept) -> Concept:
        backoff = tuple((form, parts) for form in concept.chinese if (parts := self.parts(form)))
        return replace(concept, backoff=backoff) if backoff else concept

    def _chosen_for(self, concepts: list[Concept]) -> list[Concept]:
        concepts = [self._with_backoff(c) for c in concepts]
        if self._choose is None:
            return concepts
        key = tuple(concepts)
        if key not in self._chosen:
            self._chosen[key] = self._choose(concepts)
        return self._chosen[key]

    # --- a query's free text -----------------------------------------------------------------

    def concepts(self, text: str) -> list[Concept]:
        """The concepts of free text, in query order, the same concept once."""
        found: list[Concept] = []
        singles: list[Concept] = []
        position = 0
        for match in _NUMBER_UNIT.finditer(text):
            self._split(text[position : match.start()], found, singles)
            found.append(_quantity(match))
            position = match.end()
        self._split(text[position:], found, singles)
        if not found:
            found = singles  # a query of single characters only: search them
        merged: dict[str, Concept] = {}
        for concept in found:
            if concept.key in merged:
                first = merged[concept.key]
                merged[concept.key] = replace(first, text=f"{first.text} {concept.text}")
            else:
                merged[concept.key] = concept
        return self._chosen_for(list(merged.values()))

    def _split(self, text: str, found: list[Concept], singles: list[Concept]) -> None:
        latin: list[str] = []
        for match in _TOKEN.finditer(text):
            if match[1]:
                self._latin(latin, found)
                latin = []
                word = len(match[1]) == 1 and self._cedict_chinese(match[1])
                if word:  # a character written as a word of its own (镓 出口管制)
                    found.append(word)
                else:
                    self._han(match[1], found, singles)
            else:
                latin.append(match[2])
        self._latin(latin, found)

    def _latin(self, words: list[str], found: list[Concept]) -> None:
        i = 0
        lower = [w.lower() for w in words]
        longest = max(self._longest_english, self.cedict.longest_sense if self.cedict else 1)
        while i < len(words):
            for size in range(min(len(words) - i, longest), 0, -1):
                written = " ".join(words[i : i + size])
                key = tuple(lower[i : i + size])
                if size == 1 and key[0] in ENGLISH_STOPWORDS:
                    continue
                concept = self._glossary_english(key) or self._cedict_english(key, written)
                if concept:
                    found.append(replace(concept, text=written))
                    i += size
                    break
            else:
                if lower[i] not in ENGLISH_STOPWORDS:
                    found.append(_written(words[i]))
                i += 1

    def _han(self, run: str, found: list[Concept], singles: list[Concept]) -> None:
        longest = max(self._longest_chinese, self.cedict.longest_word if self.cedict else 1)
        unmatched = ""
        i = 0
        while i < len(run):
            for size in range(min(len(run) - i, longest), 1, -1):
                word = run[i : i + size]
                concept = self._glossary_chinese(word) or self._cedict_chinese(word)
                if concept or word in CHINESE_STOPWORDS:
                    self._unmatched(unmatched, found, singles)
                    unmatched = ""
                    if concept and word not in CHINESE_STOPWORDS:
                        found.append(concept)
                    i += size
                    break
            else:
                if run[i] not in CHINESE_STOPWORDS:
                    unmatched += run[i]
                else:
                    self._unmatched(unmatched, found, singles)
                    unmatched = ""
                i += 1
        self._unmatched(unmatched, found, singles)

    def _unmatched(self, chars: str, found: list[Concept], singles: list[Concept]) -> None:
        if len(chars) >= 2:  # a word nothing knows (流片): searched as written
            found.append(self._composed_han(chars) or _written(chars))
        elif chars and (word := self._cedict_chinese(chars)):  # a character that is a word
            found.append(word)  # left between words (锗 in 锗晶圆): a dictionary word, weak
        elif chars:
            singles.append(_written(chars))

    # --- lookups ------------------------------------------------------------------------------

    def _entry(self, i: int, text: str) -> Concept:
        english, chinese = self.glossary.entries[i]
        return Concept(text, _unique(english), _unique(chinese), "glossary", f"glossary:{i}")

    def _glossary_english(self, words: tuple[str, ...]) -> Concept | None:
        for key in (words, (*words[:-1], _singular(words[-1])) if words else words):
            if key in self._english:
                return self._entry(self._english[key], " ".join(words))
        return None

    def _glossary_chinese(self, word: str) -> Concept | None:
        i = self._chinese.get(word)
        return None if i is None else self._entry(i, word)

    def _cedict_english(self, words: tuple[str, ...], written: str) -> Concept | None:
        if not self.cedict or not words or len(words) > self.cedict.longest_sense:
            return None
        phrase = " ".join(words)
        first: list[str] = []
        later: list[str] = []
        for variant in _variants(phrase):
            found_first, found_later = self.cedict.candidates(variant)
            first += found_first
            later += found_later
        if not first and len(words) == 1:  # "provincial": the noun it is made from
            for base in _adjective_bases(phrase):
                found_first, found_later = self.cedict.candidates(base)
                first += found_first
                later += found_later
        ranked = _unique([*first, *later])
        if not ranked and len(words) == 1 and "-" in phrase:
            ranked = first = list(self._composed(phrase.split("-")))
        if not ranked:
            return None
        chinese = _unique(first or later)[: cedict.MAX_RENDERINGS]
        rest = tuple(w for w in ranked if w not in chinese)[:MAX_ALTERNATIVES]
        return Concept(written, (written,), chinese, "cedict", f"en:{phrase}", rest)

    def _composed(self, parts: list[str]) -> tuple[str, ...]:
        """A hyphenated compound the dictionary lacks, translated part by part and joined, as
        Chinese compounds are formed ("sodium-ion" → 钠离子); () unless every part is known."""
        assert self.cedict is not None
        pieces = [self.cedict.chinese(part)[:1] for part in parts if part]
        return ("".join(p[0] for p in pieces),) if pieces and all(pieces) else ()

    def _composed_han(self, word: str) -> Concept | None:
        """A Chinese word no dictionary has, searched as written and, in English, as phrases of
        its words' senses put together in order (粗钢: 粗 + 钢, "coarse steel" … "crude steel"),
        the mirror of `_composed`: a phrase matches only where a document writes it, so the
        collection picks the sense (at most MAX_COMPOSED, the dictionaries' earlier senses
        first). None unless every character is covered by a word (the glossary's, or
        CC-CEDICT's) and there are two words at least."""
        if not self.cedict:
            return None
        pieces: list[tuple[str, ...]] = []
        i = 0
        while i < len(word):
            for size in range(min(len(word) - i, len(word) - 1), 0, -1):
                piece = word[i : i + size]
                entry = self._glossary_chinese(piece)
                senses = entry.english if entry else self.cedict.to_english.get(piece, ())
                if senses and piece not in CHINESE_STOPWORDS:
                    pieces.append(senses)
                    i += size
                    break
            else:
                return None
        if len(pieces) < 2:
            return None
        ranked = sorted(itertools.product(*(enumerate(p) for p in pieces)),
                        key=lambda combo: sum(rank for rank, _ in combo))  # fmt: skip
        english = _unique([" ".join(sense for _, sense in combo) for combo in ranked])
        return Concept(word, english[:MAX_COMPOSED], (word,), "composed", f"written:{word.lower()}")

    def _cedict_chinese(self, word: str) -> Concept | None:
        if not self.cedict:
            return None
        senses = self.cedict.to_english.get(word, ())
        if not senses:
            return None
        english = senses[: cedict.MAX_RENDERINGS]
        rest = senses[cedict.MAX_RENDERINGS : cedict.MAX_RENDERINGS + MAX_ALTERNATIVES]
        return Concept(word, english, (word,), "cedict", f"zh:{word}", rest)


def _is_han(text: str) -> bool:
    return bool(re.search(f"[{HAN_RANGES}]", text))


def _written(text: str) -> Concept:
    han = _is_han(text)
    return Concept(
        text,
        () if han else (text,),
        (text,) if han else (),
        "written",
        f"written:{text.lower()}",
    )


def _quantity(match: re.Match[str]) -> Concept:
    number, unit = match[1], match[2].lower()
    for pattern, english, chinese in _UNITS:
        if re.fullmatch(pattern, unit, re.IGNORECASE):
            return Concept(
                match[0],
                _unique([f.format(n=number) for f in english]),
                _unique([f.format(n=number) for f in chinese]),
                "number",
                f"number:{number}{english[0].format(n='')}",
            )
    raise AssertionError(unit)  # the pattern only matches listed units
