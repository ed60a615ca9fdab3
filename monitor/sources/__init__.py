"""The sources: the YAML schema (`schema`), its loader with line numbers (`yamlfile`), the JSON API
mapping (`api`) and the live check (`check`).

The schema's names are imported on first use: `monitor search` reads the glossary through
`yamlfile` without loading the sources' schema."""

from __future__ import annotations

from typing import Any

__all__ = [
    "Pages",
    "Schedule",
    "Source",
    "load_sources",
    "parse_duration",
    "parse_networks",
    "select_sources",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from monitor.sources import schema

        return getattr(schema, name)
    raise AttributeError(f"module 'monitor.sources' has no attribute {name!r}")
