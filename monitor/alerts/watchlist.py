"""Edits of the watchlist file (`monitor watch add|remove`): the YAML edited as text, so that the
user's comments and layout stay, then synced into the cluster; a refused sync puts the file back
as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitor.alerts.service import sync_watchlist
from monitor.alerts.watches import Watch, load_watchlist
from monitor.errors import ConfigError
from monitor.es.config import EsConfig
from monitor.notify.channels import Channels, load_channels


def load_watches(watchlist_file: str, channels_file: str | None) -> tuple[list[Watch], Channels]:
    """The watchlist's watches (none when the file is absent) and the channels they name."""
    channels = load_channels(channels_file)
    path = Path(watchlist_file)
    watches = load_watchlist(path, set(channels.channels)) if path.is_file() else []
    return watches, channels


def find_watch(watches: list[Watch], watch_id: str) -> Watch:
    for watch in watches:
        if watch.id == watch_id:
            return watch
    raise ConfigError(f"no watch {watch_id!r}; known: {', '.join(w.id for w in watches) or 'none'}")


def entry_yaml(watch: Watch) -> str:
    """The watch as one entry of the `watches:` list, indented as the file's entries are."""
    import yaml

    spec: dict[str, Any] = {"id": watch.id, "name": watch.name}
    for key in ("all", "any", "none", "phrases"):
        if getattr(watch, key):
            spec[key] = list(getattr(watch, key))
    if watch.filters:
        spec["filters"] = {k: list(v) for k, v in watch.filters.items()}
    if watch.channels:
        spec["channels"] = list(watch.channels)
    spec["mode"] = watch.mode
    if not watch.cross_language:
        spec["cross_language"] = False
    text = yaml.safe_dump([spec], allow_unicode=True, sort_keys=False, default_flow_style=None)
    return "".join("  " + line + "\n" for line in text.splitlines())


def _edited(path: Path, text: str, sync: Callable[[], dict[str, str]]) -> dict[str, str]:
    """Write `text`, then sync; on any failure (a refused watchlist, an unreachable cluster) the
    file is put back as it was, so a retry starts from the same file."""
    before = path.read_text(encoding="utf-8") if path.is_file() else None
    path.write_text(text, encoding="utf-8")
    try:
        return sync()
    except BaseException:
        if before is None:
            path.unlink()
        else:
            path.write_text(before, encoding="utf-8")
        raise


def add_watch(
    es: Any, config: EsConfig, watchlist_file: str, channels: Channels, new: Watch
) -> dict[str, str]:
    """Append the watch to the file and sync; returns the sync's changes {watch id: change}."""
    path = Path(watchlist_file)
    watches = load_watchlist(path, set(channels.channels)) if path.is_file() else []
    if any(w.id == new.id for w in watches):
        raise ConfigError(f"watch {new.id!r} exists already; edit {watchlist_file} to change it")
    before = path.read_text(encoding="utf-8") if path.is_file() else ""
    text = before if before.strip() else "watches:\n"
    text = text.rstrip("\n") + "\n" + entry_yaml(new)
    return _edited(path, text, lambda: sync_watchlist(es, config, path, channels)[1])


def remove_watch(
    es: Any, config: EsConfig, watchlist_file: str, channels: Channels, watch_id: str
) -> dict[str, str]:
    """Cut the watch's entry (and the comment lines above it) from the file and sync; the
    cluster retires it (its alerts stay)."""
    from monitor.sources import yamlfile

    path = Path(watchlist_file)
    entries = yamlfile.load(path).value["watches"].value
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, entry in enumerate(entries):
        if entry.value.get("id") == watch_id:
            start = entries[index].line - 1
            end = entries[index + 1].line - 1 if index + 1 < len(entries) else len(lines)
            while start > 0 and lines[start - 1].lstrip().startswith("#"):
                start -= 1  # its comment lines go with it
            text = "".join(lines[:start] + lines[end:])
            return _edited(path, text, lambda: sync_watchlist(es, config, path, channels)[1])
    raise ConfigError(f"no watch {watch_id!r} in {watchlist_file}")
