"""Discovered entries into a sources file: appended as text (the user's comments and layout
stay), the file checked after, and put back as it was when the result does not load."""

from __future__ import annotations

from pathlib import Path


def taken_ids(path: str | None) -> set[str]:
    """The ids a sources file already has (none when it does not exist)."""
    if not path or not Path(path).exists():
        return set()
    from monitor.sources import load_sources

    return {source.id for source in load_sources(path)}


def append_entries(path: str, entries: list[str]) -> None:
    """Append YAML entries (each a list item, indented two spaces) under `sources:`; the file is
    created when missing; ConfigError (the file restored) when the result is not a valid sources
    file."""
    from monitor.sources import load_sources

    file = Path(path)
    before = file.read_text(encoding="utf-8") if file.exists() else None
    text = before if before is not None else "sources:\n"
    if not text.endswith("\n"):
        text += "\n"
    file.write_text(text + "".join(entries), encoding="utf-8")
    try:
        load_sources(path)
    except Exception:
        if before is None:
            file.unlink()
        else:
            file.write_text(before, encoding="utf-8")
        raise
