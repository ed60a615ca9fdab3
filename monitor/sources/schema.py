"""The sources file (`sources.yaml`): its schema, validated once; every error names the file, the
line, the source and the field."""

from __future__ import annotations

import codecs
import ipaddress
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cssselect import GenericTranslator, SelectorError

from monitor.coerce import number
from monitor.errors import ConfigError
from monitor.sources import yamlfile
from monitor.sources.api import ApiSpec, parse_api
from monitor.text.urls import site_domain

SOURCE_TYPES = ("feed", "sitemap", "listing", "api")
SOURCE_KEYS = {
    "id",
    "name",
    "type",
    "urls",
    "language",
    "encoding",
    "links",
    "next",
    "pages",
    "allow",
    "deny",
    "delay",
    "concurrency",
    "enabled",
    "schedule",
    "recheck",
    "attachments",
    "doc_type",
    "api",
    "attachment_hosts",
    "private_networks",
    "distributed",
    "render",
    "timezone",
}
ALL_WORKERS = -1  # `distributed: true`: one part per live worker
DOC_TYPES = ("news", "policy", "filing")
PAGES_KEYS = {"pattern", "count", "start"}
SCHEDULE_KEYS = {"every", "cron", "jitter"}
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: Any) -> timedelta | None:
    """'90s', '30m', '2h', '1d' → timedelta; None when it is not such a duration."""
    match = _DURATION_RE.match(str(text)) if isinstance(text, (str, int)) else None
    return timedelta(seconds=float(match[1]) * _UNITS[match[2]]) if match else None


@dataclass(frozen=True)
class Schedule:
    """When a source is crawled: every interval (adapted to its yield) or by a cron expression."""

    every: timedelta | None = timedelta(hours=1)
    cron: str | None = None
    jitter: timedelta = timedelta(0)


_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_HOST_RE = re.compile(
    r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)


def parse_networks(value: Any) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """'127.0.0.1/32', a comma-separated string of them, or a list → networks; ValueError when
    one is not a network."""
    values = value.split(",") if isinstance(value, str) else value
    if not isinstance(values, (list, tuple)):
        raise ValueError(
            f"expected a network such as 127.0.0.1/32 or a list of them, got {value!r}"
        )
    networks = []
    for item in values:
        try:
            networks.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an IP network (such as 10.0.0.0/8): {item!r}") from None
    return tuple(networks)


_LANG_RE = re.compile(r"^[a-z]{2}$")


@dataclass(frozen=True)
class Pages:
    """A pager built in JavaScript: `pattern` with `{n}` from `start` for `count` pages, or
    `auto`: the page count and names are read from the first page's createPageHTML(...) call."""

    pattern: str
    count: int
    start: int = 1
    auto: bool = False

    def urls(self, base: str) -> list[str]:
        from urllib.parse import urljoin

        return [
            urljoin(base, self.pattern.format(n=n))
            for n in range(self.start, self.start + self.count)
        ]


@dataclass(frozen=True)
class Source:
    id: str
    type: str
    urls: tuple[str, ...]
    name: str = ""
    language: str | None = None
    encoding: str | None = None
    links: str | None = None
    next: str | None = None
    pages: Pages | None = None
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    delay: float | None = None
    concurrency: int | None = None
    enabled: bool = True
    schedule: Schedule = Schedule()
    recheck: timedelta | None = None  # re-fetch known articles last seen longer ago than this
    attachments: bool = True  # fetch and index the PDF/DOCX files pages link to
    doc_type: str | None = None  # news | policy | filing; None: policy when the page has metadata
    api: ApiSpec | None = None  # type api: the JSON list endpoint (monitor/apiconfig.py)
    attachment_hosts: tuple[str, ...] = ()  # other hosts (and their subdomains) for attachments
    # non-public networks this source may reach (loopback, private, link-local): none by default
    private_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    # distributed mode: a scheduled crawl split over this many workers sharing one request queue
    # (monitor.distributed.shared); ALL_WORKERS: one part per live worker; 0: one worker
    distributed: int = 0
    # pages fetched by headless Chromium (monitor.crawl.render): "listings", "articles"
    render: tuple[str, ...] = ()
    # the zone of the times the source states without one (monitor.text.zones); None: the default
    timezone: str | None = None

    @property
    def hosts(self) -> tuple[str, ...]:
        """The hosts the source's pages live on (www. stripped); their subdomains count too."""
        return tuple(sorted({site_domain(u) for u in self.urls}))

    def accepts(self, url: str) -> bool:
        """Whether an article URL passes the source's allow/deny patterns."""
        if any(re.search(p, url) for p in self.deny):
            return False
        return not self.allow or any(re.search(p, url) for p in self.allow)


class _SourceChecker(yamlfile.EntryChecker):
    """Validates one source mapping; every complaint names the source, the field and the line."""

    kind = "source"

    def css(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None:
            try:
                GenericTranslator().css_to_xpath(value)
            except SelectorError as exc:
                self.fail(key, f"invalid CSS selector {value!r}: {exc}")
        return value

    def number(self, key: str, kind: type, minimum: float) -> Any:
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, str):  # YAML gave text: '3' is not a number here
            self.fail(key, f"expected a number, got {value!r}")
        try:
            return number(value, kind, minimum=minimum)
        except ValueError as exc:
            self.fail(key, str(exc))

    def patterns(self, key: str) -> tuple[str, ...]:
        value = yamlfile.unwrap(self.raw.get(key))
        if value is None:
            return ()
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            self.fail(key, f"expected a regular expression or a list of them, got {value!r}")
        for pattern in values:
            try:
                re.compile(pattern)
            except re.error as exc:
                self.fail(key, f"invalid regular expression {pattern!r}: {exc}")
        return tuple(values)

    def schedule(self) -> Schedule:
        entry = self.raw.get("schedule")
        if entry is None:
            return Schedule()
        if not isinstance(entry, yamlfile.Located) or not isinstance(entry.value, dict):
            self.fail("schedule", "expected a mapping such as {every: 30m} or {cron: '0 * * * *'}")
        raw = entry.value
        unknown = set(raw) - SCHEDULE_KEYS
        if unknown:
            self.fail(
                "schedule", f"unknown key(s) {sorted(unknown)}; allowed: {sorted(SCHEDULE_KEYS)}"
            )
        if ("every" in raw) == ("cron" in raw):
            self.fail("schedule", "give exactly one of 'every' (e.g. 30m) and 'cron'")
        jitter = parse_duration(raw.get("jitter", "0s"))
        if jitter is None:
            self.fail(
                "schedule", f"'jitter' must be a duration such as 90s or 5m, got {raw['jitter']!r}"
            )
        if "cron" in raw:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(str(raw["cron"]))
            except ValueError as exc:
                self.fail("schedule", f"invalid cron expression {raw['cron']!r}: {exc}")
            return Schedule(every=None, cron=str(raw["cron"]), jitter=jitter)
        every = parse_duration(raw["every"])
        if every is None or every < timedelta(minutes=1):
            self.fail(
                "schedule",
                f"'every' must be a duration of at least 1m (e.g. 30m, 2h), got {raw['every']!r}",
            )
        return Schedule(every=every, jitter=jitter)

    def parts(self) -> int:
        value = self.raw.get("distributed")
        if value is None or value is False:
            return 0
        if value is True:
            return ALL_WORKERS
        if isinstance(value, int) and 1 <= value <= 64:
            return value
        self.fail(
            "distributed", f"expected true, false or a number of workers (1-64), got {value!r}"
        )
        raise AssertionError("unreachable")

    def render(self) -> tuple[str, ...]:
        value = self.raw.get("render")
        choices = {
            None: (),
            False: (),
            True: ("listings",),
            "listings": ("listings",),
            "articles": ("articles",),
            "all": ("listings", "articles"),
        }
        if isinstance(value, (list, dict)) or value not in choices:
            self.fail("render", f"expected true, false, listings, articles or all, got {value!r}")
        return choices[value]

    def zone(self) -> str | None:
        value = self.text("timezone")
        if value is not None:
            from monitor.text.zones import zone

            try:
                zone(value)
            except ValueError as exc:
                self.fail("timezone", str(exc))
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str | None:
        value = self.raw.get(key)
        if value is not None and value not in allowed:
            self.fail(key, f"must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def duration(self, key: str) -> timedelta | None:
        value = self.raw.get(key)
        if value is None:
            return None
        parsed = parse_duration(value)
        if parsed is None:
            self.fail(key, f"expected a duration such as 12h or 7d, got {value!r}")
        return parsed

    def hosts(self, key: str) -> tuple[str, ...]:
        value = yamlfile.unwrap(self.raw.get(key))
        if value is None:
            return ()
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(
            isinstance(v, str) and _HOST_RE.match(v) for v in values
        ):
            self.fail(
                key, f"expected a host name or a list of them (e.g. files.gov.cn), got {value!r}"
            )
        return tuple(v.lower() for v in values)

    def networks(self, key: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        value = yamlfile.unwrap(self.raw.get(key))
        if value is None:
            return ()
        try:
            return parse_networks(value)
        except ValueError as exc:
            self.fail(key, str(exc))
        raise AssertionError("unreachable")

    def urls(self) -> tuple[str, ...]:
        value = yamlfile.unwrap(self.raw.get("urls"))
        if value is None:
            self.fail(None, "missing required field 'urls'")
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values:
            self.fail("urls", f"expected a URL or a non-empty list of URLs, got {value!r}")
        for url in values:
            parts = urlsplit(url) if isinstance(url, str) else None
            if not parts or parts.scheme not in ("http", "https") or not parts.netloc:
                self.fail("urls", f"not an http(s) URL: {url!r}")
        return tuple(values)

    def pages(self) -> Pages | None:
        entry = self.raw.get("pages")
        if entry is None:
            return None
        if entry == "auto":
            return Pages(pattern="", count=0, auto=True)
        if entry == "none":  # one page: its start URLs only
            return Pages(pattern="", count=0)
        if not isinstance(entry, yamlfile.Located) or not isinstance(entry.value, dict):
            self.fail("pages", "expected 'auto', 'none' or a mapping with 'pattern' and 'count'")
        unknown = set(entry.value) - PAGES_KEYS
        if unknown:
            self.fail("pages", f"unknown key(s) {sorted(unknown)}; allowed: {sorted(PAGES_KEYS)}")
        pattern, count = entry.value.get("pattern"), entry.value.get("count")
        start = entry.value.get("start", 1)
        if not isinstance(pattern, str) or "{n}" not in pattern:
            self.fail("pages", f"'pattern' must be a string containing {{n}}, got {pattern!r}")
        for name, value, low in (("count", count, 1), ("start", start, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                self.fail("pages", f"{name!r} must be a whole number >= {low}, got {value!r}")
        return Pages(pattern=pattern, count=count, start=start)

    def build(self) -> Source:
        unknown = set(self.raw) - SOURCE_KEYS
        if unknown:
            key = sorted(unknown)[0]
            self.fail(key, f"unknown field; allowed fields: {', '.join(sorted(SOURCE_KEYS))}")
        source_id = self.text("id", required=True)
        if not _ID_RE.match(source_id):
            self.fail("id", f"use lower-case letters, digits, '-', '_' or '.', got {source_id!r}")
        kind = self.text("type", required=True)
        if kind not in SOURCE_TYPES:
            self.fail("type", f"must be one of {', '.join(SOURCE_TYPES)}, got {kind!r}")
        language = self.text("language")
        if language is not None and not _LANG_RE.match(language):
            self.fail(
                "language", f"expected an ISO 639-1 code such as 'zh' or 'en', got {language!r}"
            )
        encoding = self.text("encoding")
        if encoding is not None:
            try:
                encoding = codecs.lookup(encoding).name
            except LookupError:
                self.fail("encoding", f"unknown character encoding {encoding!r}")
        links, next_css, pages = self.css("links"), self.css("next"), self.pages()
        if kind == "listing" and not links:
            self.fail(None, "a listing source needs 'links' (CSS selector of article links)")
        if kind == "listing" and not (next_css or pages):
            self.fail(None, "a listing source needs 'next' (CSS of pager links) or 'pages'")
        if kind != "listing":
            for key in ("links", "next", "pages"):
                if key in self.raw:
                    self.fail(key, f"only listing sources take {key!r}")
        if kind == "api" and self.raw.get("render"):
            self.fail("render", "an api source reads JSON: there is nothing to render")
        if kind != "listing" and self.raw.get("render") in (True, "listings", "all"):
            self.fail("render", "only listing sources have listing pages; use render: articles")
        if self.raw.get("render") and self.raw.get("distributed"):
            self.fail("render", "a rendered source is crawled by one worker: drop 'distributed'")
        if kind != "api" and "api" in self.raw:
            self.fail("api", "only api sources take 'api'")
        enabled = self.flag("enabled", True)
        return Source(
            id=source_id,
            type=kind,
            urls=self.urls(),
            name=self.text("name") or source_id,
            language=language,
            encoding=encoding,
            links=links,
            next=next_css,
            pages=pages,
            allow=self.patterns("allow"),
            deny=self.patterns("deny"),
            delay=self.number("delay", float, 0),
            concurrency=self.number("concurrency", int, 1),
            enabled=enabled,
            schedule=self.schedule(),
            recheck=self.duration("recheck"),
            attachments=self.flag("attachments", True),
            doc_type=self.choice("doc_type", DOC_TYPES),
            api=parse_api(self, parse_duration) if kind == "api" else None,
            attachment_hosts=self.hosts("attachment_hosts"),
            private_networks=self.networks("private_networks"),
            distributed=self.parts(),
            render=self.render(),
            timezone=self.zone(),
        )


def load_sources(path: str | Path) -> list[Source]:
    """Load and validate a sources file: a top-level `sources:` list of mappings."""
    return yamlfile.load_entries(
        path, "sources", "source", lambda entry, file: _SourceChecker(entry, file).build()
    )


def select_sources(sources: list[Source], ids: list[str] | tuple[str, ...] = ()) -> list[Source]:
    """The enabled sources, or exactly those named (an unknown id is an error)."""
    if not ids:
        return [s for s in sources if s.enabled]
    by_id = {s.id: s for s in sources}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise ConfigError(f"unknown source id(s): {', '.join(missing)}; known: {', '.join(by_id)}")
    return [by_id[i] for i in ids]
