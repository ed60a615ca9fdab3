"""The news-monitor part of the Scrapy settings, typed and validated once per crawler."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from scrapy.settings import BaseSettings

from monitor.errors import ConfigError

EXTRACT_MODES = ("process", "thread")


def _number(settings: BaseSettings, name: str, kind: type, minimum: float) -> Any:
    raw = settings.get(name)
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {name}: expected a {kind.__name__}, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"setting {name}: must be >= {minimum}, got {raw!r}")
    return value


@dataclass(frozen=True)
class CrawlSettings:
    sources_file: str
    extract_mode: str
    extract_workers: int
    min_text_chars: int
    bulk_size: int
    bulk_interval: float
    progress_interval: float
    attachments_max: int
    attachment_maxsize: int
    attachment_timeout: float
    document_max_pages: int

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> CrawlSettings:
        mode = settings.get("MONITOR_EXTRACT_MODE")
        if mode not in EXTRACT_MODES:
            raise ConfigError(
                f"setting MONITOR_EXTRACT_MODE: must be one of {', '.join(EXTRACT_MODES)}, "
                f"got {mode!r}"
            )
        workers = _number(settings, "MONITOR_EXTRACT_WORKERS", int, 0)
        return cls(
            sources_file=str(settings.get("MONITOR_SOURCES_FILE")),
            extract_mode=mode,
            extract_workers=workers or os.cpu_count() or 1,
            min_text_chars=_number(settings, "MONITOR_MIN_TEXT_CHARS", int, 0),
            bulk_size=_number(settings, "MONITOR_BULK_SIZE", int, 1),
            bulk_interval=_number(settings, "MONITOR_BULK_INTERVAL", float, 0.01),
            progress_interval=_number(settings, "MONITOR_PROGRESS_INTERVAL", float, 0),
            attachments_max=_number(settings, "MONITOR_ATTACHMENTS_MAX", int, 0),
            attachment_maxsize=_number(settings, "MONITOR_ATTACHMENT_MAXSIZE", int, 1024),
            attachment_timeout=_number(settings, "MONITOR_ATTACHMENT_TIMEOUT", float, 1),
            document_max_pages=_number(settings, "MONITOR_DOCUMENT_MAX_PAGES", int, 1),
        )
