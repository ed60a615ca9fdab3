"""The news-monitor part of the Scrapy settings, typed and validated once per crawler."""

from __future__ import annotations

import difflib
import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from scrapy.settings import BaseSettings, Settings, default_settings

from monitor import settings as project_defaults
from monitor.coerce import number
from monitor.errors import ConfigError
from monitor.es.config import EsConfig
from monitor.sources import parse_networks

EXTRACT_MODES = ("process", "thread")


def _number(settings: BaseSettings, name: str, kind: type, minimum: float) -> Any:
    try:
        return number(settings.get(name), kind, minimum=minimum)
    except ValueError as exc:
        raise ConfigError(f"setting {name}: {exc}") from None


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
    extract_timeout: float
    extract_memory_mb: int
    max_links: int
    max_text_chars: int
    es_wait: float
    private_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    warc: bool = True
    warc_max_bytes: int = 1024 * 1024 * 1024
    warc_listings: bool = False
    story_window: timedelta = timedelta(days=14)
    story_threshold: float = 0.5

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
            extract_timeout=_number(settings, "MONITOR_EXTRACT_TIMEOUT", float, 1),
            extract_memory_mb=_number(settings, "MONITOR_EXTRACT_MEMORY_MB", int, 0),
            max_links=_number(settings, "MONITOR_MAX_LINKS", int, 1),
            max_text_chars=_number(settings, "MONITOR_MAX_TEXT_CHARS", int, 1000),
            es_wait=_number(settings, "MONITOR_ES_WAIT", float, 0),
            private_networks=_networks(settings),
            warc=settings.getbool("MONITOR_WARC"),
            warc_max_bytes=_number(settings, "MONITOR_WARC_MAX_MB", int, 1) * 1024 * 1024,
            warc_listings=settings.getbool("MONITOR_WARC_LISTINGS"),
            story_window=_duration(settings, "MONITOR_STORY_WINDOW"),
            story_threshold=_fraction(settings, "MONITOR_STORY_THRESHOLD"),
        )

    @classmethod
    def of(cls, crawler: Any) -> CrawlSettings:
        """The crawler's settings, validated once and shared by every component of the crawl."""
        found = getattr(crawler, "_monitor_settings", None)
        if found is None:
            found = crawler._monitor_settings = cls.from_settings(crawler.settings)
        return found


def _duration(settings: BaseSettings, name: str) -> timedelta:
    from monitor.sources.schema import parse_duration

    found = parse_duration(settings.get(name))
    if found is None:
        raise ConfigError(f"setting {name}: expected a duration such as 14d or 36h, "
                          f"got {settings.get(name)!r}")  # fmt: skip
    return found


def _fraction(settings: BaseSettings, name: str) -> float:
    value = _number(settings, name, float, 0.05)
    if value > 1:
        raise ConfigError(f"setting {name}: expected a number from 0.05 to 1, got {value}")
    return value


def _networks(settings: BaseSettings) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    raw = settings.get("MONITOR_PRIVATE_NETWORKS") or ()
    try:
        return parse_networks(raw)
    except ValueError as exc:
        raise ConfigError(f"setting MONITOR_PRIVATE_NETWORKS: {exc}") from None


# Scrapy's numeric settings that a typo on the command line would otherwise break per request
_SCRAPY_NUMBERS = {
    "DOWNLOAD_DELAY": float,
    "DOWNLOAD_TIMEOUT": float,
    "DOWNLOAD_MAXSIZE": int,
    "DOWNLOAD_WARNSIZE": int,
    "CONCURRENT_REQUESTS": int,
    "CONCURRENT_REQUESTS_PER_DOMAIN": int,
    "CONCURRENT_ITEMS": int,
    "RETRY_TIMES": int,
    "REDIRECT_MAX_TIMES": int,
    "AUTOTHROTTLE_START_DELAY": float,
    "AUTOTHROTTLE_MAX_DELAY": float,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": float,
    "CLOSESPIDER_TIMEOUT": float,
    "CLOSESPIDER_ITEMCOUNT": int,
    "CLOSESPIDER_PAGECOUNT": int,
    "DEPTH_LIMIT": int,
}
_BOOLEANS = {"true", "false", "1", "0", "yes", "no", "on", "off"}


def known_setting_names() -> set[str]:
    """Every setting Scrapy or news-monitor reads, plus the Elasticsearch connection names."""
    names = {n for n in dir(default_settings) if n.isupper()}
    names |= {n for n in dir(project_defaults) if n.isupper() and n != "DEFAULTS"}
    return names | set(EsConfig.ENV.values())


def check_overrides(overrides: Iterable[tuple[str, Any]]) -> None:
    """Refuse a command-line setting nobody reads (a typo) or a number that is not one, before
    any source starts: the message names the setting and the value."""
    known = known_setting_names()
    for name, value in overrides:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ConfigError(f"setting {name}: unknown setting{hint}")
        kind = _SCRAPY_NUMBERS.get(name)
        if kind is not None:
            try:
                number(value, kind, minimum=0)
            except ValueError as exc:
                raise ConfigError(f"setting {name}: {exc}") from None
        default = getattr(default_settings, name, project_defaults.DEFAULTS.get(name))
        if isinstance(default, bool) and isinstance(value, str) and value.lower() not in _BOOLEANS:
            raise ConfigError(f"setting {name}: expected true or false, got {value!r}")


def project_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """monitor.settings plus command-line overrides, independent of the working directory."""
    settings = Settings()
    settings.setmodule("monitor.settings", priority="project")
    settings.update(dict(overrides or {}), priority="cmdline")
    return settings


def check_configuration(
    overrides: Mapping[str, Any] | None = None, translation: bool = True
) -> None:
    """Every setting validated as its consumer would (crawl settings, the connection, and the
    translation unless `translation` is False), with `overrides` as `-s`: ConfigError naming
    the first bad one, before anything starts."""
    from monitor.translate.config import TranslateConfig

    overrides = dict(overrides or {})
    check_overrides(overrides.items())
    settings = project_settings(overrides)
    CrawlSettings.from_settings(settings)
    EsConfig.from_env(settings)
    if translation:
        TranslateConfig.from_env()
