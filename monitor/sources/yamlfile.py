"""YAML loading that remembers where every value stood, so errors can point at the line.

A configuration file is input too: anchors and aliases are expanded at most MAX_NODES times in all
(an alias bomb is refused, not expanded), nesting is limited to MAX_DEPTH levels, and only YAML's
plain tags are accepted (a `!!python/...` tag on a list or mapping is refused, not ignored).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from monitor.errors import ConfigError

T = TypeVar("T")
MAX_NODES = 100_000  # values in a file, aliases expanded: far above any real configuration
MAX_DEPTH = 64  # nesting levels
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
# libyaml's parser when PyYAML has it (ten times faster: the glossary is read by every search),
# with the same nodes and marks
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Located:
    """A mapping or list loaded from YAML, with the line of each key or item (1-based)."""

    value: Any
    line: int
    lines: dict[Any, int]

    def __repr__(self) -> str:  # messages quote values as the user wrote them
        return repr(unwrap(self))


def _plain(node: yaml.Node) -> Any:
    return yaml.SafeLoader(" ").construct_object(node, deep=True) if node else None


class _Walker:
    """Builds `Located` containers from composed nodes, within MAX_NODES and MAX_DEPTH."""

    def __init__(self) -> None:
        self.nodes = 0

    def locate(self, node: yaml.Node, depth: int = 0) -> Any:
        self.nodes += 1
        line = node.start_mark.line + 1
        if self.nodes > MAX_NODES:
            raise ConfigError(
                f"more than {MAX_NODES} values once aliases are expanded (an alias bomb?)",
                line=line,
            )
        if depth > MAX_DEPTH:
            raise ConfigError(f"nested more than {MAX_DEPTH} levels deep", line=line)
        if isinstance(node, yaml.CollectionNode) and node.tag not in _PLAIN_TAGS:
            raise ConfigError(f"unsupported YAML tag {node.tag!r}", line=line)
        if isinstance(node, yaml.MappingNode):
            value, lines = {}, {}
            for key_node, value_node in node.value:
                key = _plain(key_node)
                if key in value:
                    raise ConfigError(f"duplicate key {key!r}", line=key_node.start_mark.line + 1)
                value[key] = self.locate(value_node, depth + 1)
                lines[key] = key_node.start_mark.line + 1
            return Located(value, line, lines)
        if isinstance(node, yaml.SequenceNode):
            items = [self.locate(item, depth + 1) for item in node.value]
            lines = {i: item.start_mark.line + 1 for i, item in enumerate(node.value)}
            return Located(items, line, lines)
        return _plain(node)


def load(path: str | Path) -> Located | None:
    """Parse a YAML file into `Located` containers (scalars stay plain Python values)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", file=str(path)) from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
        return _Walker().locate(node) if node is not None else None
    except RecursionError:  # the composer itself recurses per level
        raise ConfigError(f"nested more than {MAX_DEPTH} levels deep", file=str(path)) from None
    except ConfigError as exc:
        raise ConfigError(str(exc).split(": ", 1)[-1], file=str(path), line=exc.line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        if "nesting depth" in problem:  # libyaml's own limit
            raise ConfigError(f"nested more than {MAX_DEPTH} levels deep", file=str(path)) from None
        raise ConfigError(f"invalid YAML: {problem}", file=str(path), line=line) from None


def load_entries(
    path: str | Path,
    key: str,
    kind: str,
    build: Callable[[Located, str], T],
    empty: bool = False,
) -> list[T]:
    """A file whose top level is `key:` with a list of mappings (sources, watches), each built by
    `build(entry, file)` into an object with an `id`. Errors name the file and the line; a second
    entry with an id already used is one. `empty`: `key:` with nothing under it is no entry."""
    file = str(path)
    doc = load(path)
    if doc is None or not isinstance(doc.value, dict) or key not in doc.value:
        raise ConfigError(f"expected a top-level '{key}:' list", file=file, line=1)
    unknown = set(doc.value) - {key}
    if unknown:
        first = sorted(unknown)[0]
        raise ConfigError(f"unknown top-level key {first!r}", file=file, line=doc.lines[first])
    entries = doc.value[key]
    if entries is None and empty:
        return []
    if not isinstance(entries, Located) or not isinstance(entries.value, list):
        raise ConfigError(f"'{key}' must be a list", file=file, line=doc.lines[key])
    built: list[T] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries.value):
        if not isinstance(entry, Located) or not isinstance(entry.value, dict):
            raise ConfigError(
                f"each {kind} must be a mapping", file=file, line=entries.lines[index]
            )
        item = build(entry, file)
        item_id = item.id  # type: ignore[attr-defined]
        if item_id in seen:
            raise ConfigError(
                f"{kind} {item_id!r}: duplicate id (first defined on line {seen[item_id]})",
                file=file,
                line=entry.line,
            )
        seen[item_id] = entry.line
        built.append(item)
    return built


def unwrap(value: Any) -> Any:
    """Strip `Located` wrappers recursively, giving plain dicts and lists."""
    if isinstance(value, Located):
        if isinstance(value.value, dict):
            return {k: unwrap(v) for k, v in value.value.items()}
        return [unwrap(v) for v in value.value]
    return value


class EntryChecker:
    """Validates one mapping of a list (a source, a channel); every complaint names the entry's
    kind and id, the field, and the line it stands on."""

    kind = "entry"

    def __init__(self, entry: Located, file: str):
        self.raw, self.lines, self.line, self.file = entry.value, entry.lines, entry.line, file
        self.id = self.raw.get("id") if isinstance(self.raw.get("id"), str) else None

    def fail(self, key: str | None, message: str) -> None:
        who = f"{self.kind} {self.id!r}" if self.id else self.kind
        what = f"{who}: field {key!r}: {message}" if key else f"{who}: {message}"
        raise ConfigError(what, file=self.file, line=self.lines.get(key, self.line))

    def text(self, key: str, required: bool = False) -> str | None:
        """A non-empty string, stripped; None when absent and not required."""
        value = self.raw.get(key)
        if value is None:
            if required:
                self.fail(None, f"missing required field {key!r}")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"expected a non-empty string, got {value!r}")
        return value.strip()

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {value!r}")
        return value
