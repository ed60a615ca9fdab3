"""The domain glossary: English and Chinese terms of one concept (monitor.search.concepts).

The packaged file (monitor/search/data/glossary.yaml) is extended by MONITOR_GLOSSARY. Every term of
an entry, in either language, is a surface form of the same concept; the words a query has that no
entry covers are looked up in CC-CEDICT (monitor.search.cedict).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import ConfigError
from monitor.sources import yamlfile

DEFAULT_GLOSSARY = Path(__file__).parent / "data" / "glossary.yaml"


@dataclass(frozen=True)
class Glossary:
    entries: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]  # (english terms, chinese terms)


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
