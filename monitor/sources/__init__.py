"""The sources: the YAML schema (`schema`), its loader with line numbers (`yamlfile`), the JSON API
mapping (`api`) and the live check (`check`)."""

from monitor.sources.schema import (
    Pages,
    Schedule,
    Source,
    load_sources,
    parse_duration,
    parse_networks,
    select_sources,
)

__all__ = [
    "Pages",
    "Schedule",
    "Source",
    "load_sources",
    "parse_duration",
    "parse_networks",
    "select_sources",
]
