"""YAML loading that remembers where every value stood, so errors can point at the line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from monitor.errors import ConfigError


@dataclass(frozen=True)
class Located:
    """A mapping or list loaded from YAML, with the line of each key or item (1-based)."""

    value: Any
    line: int
    lines: dict[Any, int]


def _plain(node: yaml.Node) -> Any:
    return yaml.SafeLoader(" ").construct_object(node, deep=True) if node else None


def _locate(node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        value, lines = {}, {}
        for key_node, value_node in node.value:
            key = _plain(key_node)
            if key in value:
                raise ConfigError(f"duplicate key {key!r}", line=key_node.start_mark.line + 1)
            value[key] = _locate(value_node)
            lines[key] = key_node.start_mark.line + 1
        return Located(value, node.start_mark.line + 1, lines)
    if isinstance(node, yaml.SequenceNode):
        items = [_locate(item) for item in node.value]
        lines = {i: item.start_mark.line + 1 for i, item in enumerate(node.value)}
        return Located(items, node.start_mark.line + 1, lines)
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
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        return _locate(node) if node is not None else None
    except ConfigError as exc:
        raise ConfigError(str(exc).split(": ", 1)[-1], file=str(path), line=exc.line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"invalid YAML: {problem}", file=str(path), line=line) from None


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
