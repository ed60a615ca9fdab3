"""Every news-monitor setting in one registry: its name, default, type, one line of doc, and where
its value may come from.

Where a value may come from (`sources`):

- `env`: the environment, under the setting's own name (`MONITOR_ES_URL=... monitor search`).
- `-s`: a crawl setting (`monitor crawl -s NAME=VALUE`, `scrapy crawl ... -s NAME=VALUE`, or a
  Scrapy settings module); `-s` wins over the environment, the environment over the default.
- `option`: a command's option that sets it too (`--concurrency` of `monitor schedule`), which
  wins over the environment.

Scrapy's own settings (DOWNLOAD_DELAY, ...) keep their home in `monitor/settings.py`; the
`MONITOR_*` crawl defaults there come from here. `monitor config [--json]` prints every setting
with its value and where the value came from; docs/configuration.md's tables are generated from
this registry (`python -m monitor.registry`; a test keeps them in step).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

ENV, CRAWL = "env", "-s"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    kind: str  # int | float | bool | str | list | duration | path | url | secret
    doc: str
    group: str
    sources: tuple[str, ...] = (ENV, CRAWL)
    option: str | None = None  # a command's option setting it: "monitor schedule --concurrency"
    shown_default: str | None = None  # how the docs say the default, where the value is not it

    @property
    def secret(self) -> bool:
        return self.kind == "secret"

    def describe_default(self) -> str:
        if self.shown_default is not None:
            return self.shown_default
        if self.default in (None, "", [], ()):
            return "(unset)"
        return f"`{self.default}`" if isinstance(self.default, str) else str(self.default)


GROUPS = {
    "connection": "Elasticsearch, and the local node",
    "crawl": "Crawls (also Scrapy settings: `-s NAME=VALUE`)",
    "render": "Pages drawn by script (headless Chromium)",
    "evidence": "Captures and stories",
    "translation": "Translation (argostranslate)",
    "search": "Search",
    "alerts": "Alerts and watches",
    "operations": "Scheduling, runs and Kibana",
    "scaling": "Distributed mode (Redis)",
    "feeds": "Feeds and `monitor serve`",
}

_S = Setting
SETTINGS: tuple[Setting, ...] = (
    # --- Where Elasticsearch is (monitor/es/config.py); a crawl reads -s first ------------------
    _S("MONITOR_ES_URL", None, "url", "an Elasticsearch 8 cluster, e.g. "
       "`https://es.example.org:9243`; several nodes comma-separated (the client fails over)",
       "connection", shown_default="(unset: the local node)"),
    _S("MONITOR_ES_API_KEY", None, "secret", "API key (preferred to basic auth)", "connection"),
    _S("MONITOR_ES_USERNAME", None, "str", "basic auth user (with MONITOR_ES_PASSWORD)",
       "connection"),
    _S("MONITOR_ES_PASSWORD", None, "secret", "basic auth password", "connection"),
    _S("MONITOR_ES_CA_CERTS", None, "path", "CA file (PEM) the cluster's certificate is checked "
       "against", "connection"),
    _S("MONITOR_ES_FINGERPRINT", None, "str", "SHA-256 fingerprint (hex) of the cluster's "
       "certificate or its CA, instead of a CA file", "connection"),
    _S("MONITOR_ES_CLOUD_ID", None, "secret", "an Elastic Cloud deployment's Cloud ID, instead "
       "of MONITOR_ES_URL", "connection"),
    _S("MONITOR_ES_API_KEY_FILE", None, "path", "a file holding the API key", "connection"),
    _S("MONITOR_ES_PASSWORD_FILE", None, "path", "a file holding the basic auth password",
       "connection"),
    _S("MONITOR_ES_TIMEOUT", 30.0, "float", "request timeout, seconds", "connection"),
    _S("MONITOR_INDEX_PREFIX", "monitor", "str", "index and alias names: `<prefix>-articles`",
       "connection"),
    _S("MONITOR_HOME", "var", "path", "the local node's files, WARC captures, translation models",
       "connection", shown_default="`./var`"),
    _S("MONITOR_ES_PORT", 9200, "int", "the local node's HTTP port (it binds 127.0.0.1 only)",
       "connection"),
    _S("MONITOR_ES_HEAP", "512m", "str", "the local node's JVM heap", "connection"),
    _S("MONITOR_ES_VERSION", "8.19.21", "str", "the local node's Elasticsearch version (8.14.3 "
       "or later 8.x, as Maven Central serves its integ-test-zip)", "connection"),
    _S("MONITOR_ES_WAIT", 300.0, "float", "seconds one call waits out an unreachable cluster, "
       "with backoff, before pages count as not indexed", "connection"),
    # --- Crawls (monitor/crawl/options.py validates them once per crawl) ------------------------
    # Each extraction runs in a worker under a time and memory limit; a page over either is
    # skipped with the reason, and a page that kills two workers is quarantined.
    _S("MONITOR_SOURCES_FILE", "sources.yaml", "path", "the sources file", "crawl",
       option="--sources"),
    _S("MONITOR_PRIVATE_NETWORKS", [], "list", "non-public networks every source may reach, "
       "e.g. `127.0.0.1/32` for sites served locally", "crawl"),
    _S("MONITOR_INCREMENTAL", True, "bool", "skip known articles; conditional GETs for "
       "listings, feeds and sitemaps", "crawl", option="monitor crawl --full"),
    _S("MONITOR_MAX_LINKS", 5000, "int", "a page with more links is a link farm: skipped",
       "crawl"),
    _S("MONITOR_MAX_TEXT_CHARS", 300_000, "int", "article text kept per page; longer text is "
       "cut and flagged `extraction.truncated`", "crawl"),
    _S("MONITOR_MIN_TEXT_CHARS", 40, "int", "shorter bodies are skipped as no article text "
       "(a Chinese character counts as two letters)", "crawl"),
    _S("MONITOR_EXTRACT_MODE", "process", "str", "extraction in worker `process`es or "
       "`thread`s", "crawl"),
    _S("MONITOR_EXTRACT_WORKERS", 0, "int", "extraction pool size; 0: one per CPU core", "crawl"),
    _S("MONITOR_EXTRACT_TIMEOUT", 60.0, "float", "seconds per page or attachment in a worker; "
       "over it: skipped (`rejected/too_slow`)", "crawl"),
    _S("MONITOR_EXTRACT_MEMORY_MB", 1536, "int", "heap per extraction worker; over it: skipped "
       "(`rejected/too_large`); 0: no limit", "crawl"),
    _S("MONITOR_BULK_SIZE", 100, "int", "documents per bulk request", "crawl"),
    _S("MONITOR_BULK_INTERVAL", 0.5, "float", "seconds before a partial batch is sent anyway",
       "crawl"),
    _S("MONITOR_PROGRESS_INTERVAL", 5.0, "float", "seconds between progress lines; 0: none",
       "crawl"),
    _S("MONITOR_ATTACHMENTS_MAX", 10, "int", "PDF and DOCX attachments fetched per page",
       "crawl"),
    _S("MONITOR_ATTACHMENT_MAXSIZE", 20 * 1024 * 1024, "int", "bytes per attachment; larger "
       "files are refused and recorded", "crawl", shown_default="20 MiB"),
    _S("MONITOR_ATTACHMENT_TIMEOUT", 60.0, "float", "seconds per attachment download", "crawl"),
    _S("MONITOR_DOCUMENT_MAX_PAGES", 300, "int", "PDF pages read per file; more are flagged "
       "`truncated`", "crawl"),
    _S("MONITOR_LOOKUPS_FILE", "", "path", "the cache of identifiers looked up through an "
       "exchange's search (30 days)", "crawl", shown_default="`$MONITOR_HOME/lookups.json`"),
    # --- Pages drawn by script (monitor/crawl/render.py) ----------------------------------------
    _S("MONITOR_RENDER_BROWSER", "/usr/bin/chromium", "path", "the Chromium that renders "
       "`render:` sources (a name on PATH works too)", "render"),
    _S("MONITOR_RENDER_MAX_PAGES", 200, "int", "pages rendered per crawl; later ones are "
       "fetched plainly (`render_over_budget`)", "render"),
    _S("MONITOR_RENDER_TIMEOUT", 30.0, "float", "seconds per rendered page: its load, then its "
       "scripts' requests", "render"),
    _S("MONITOR_RENDER_CONCURRENCY", 2, "int", "pages rendered at once (each a browser tab)",
       "render"),
    # --- Captures and stories (monitor/crawl/capture.py, monitor/es/stories.py) ----------------
    # Every article and attachment response is written to WARC files as fetched (`monitor
    # capture`); reprints of one story, published within the window, share a story_id.
    _S("MONITOR_WARC", True, "bool", "write every article and attachment response to WARC files",
       "evidence"),
    _S("MONITOR_WARC_DIR", "", "path", "where the WARC files go (a local folder)", "evidence",
       shown_default="`$MONITOR_HOME/warc`"),
    _S("MONITOR_WARC_MAX_MB", 1024, "int", "a new WARC file after this many megabytes",
       "evidence"),
    _S("MONITOR_WARC_LISTINGS", False, "bool", "capture listing pages, feeds and sitemaps too",
       "evidence"),
    _S("MONITOR_STORY_WINDOW", "14d", "duration", "reprints are looked for among documents "
       "published this close", "evidence"),
    _S("MONITOR_STORY_THRESHOLD", 0.5, "float", "estimated Jaccard similarity (4-gram shingles) "
       "from which two texts are one story; the LSH bands follow it", "evidence"),
    # --- Translation (monitor/translate/config.py) ---------------------------------------------
    _S("MONITOR_TRANSLATE", True, "bool", "run a translation worker beside the crawl, started "
       "with the first document to translate", "translation",
       option="monitor crawl --no-translate"),
    _S("MONITOR_ARGOS_HOME", "", "path", "argostranslate's data, config and cache directories",
       "translation", shown_default="`$MONITOR_HOME/argos`"),
    _S("MONITOR_TRANSLATE_DEVICE", "cpu", "str", "CTranslate2 device: `cpu` or `cuda`",
       "translation", sources=(ENV,)),
    _S("MONITOR_TRANSLATE_THREADS", 0, "int", "CTranslate2 threads (0: all cores; 1 beside a "
       "crawl)", "translation", sources=(ENV,)),
    _S("MONITOR_TRANSLATE_BEAM", 4, "int", "beam size", "translation", sources=(ENV,)),
    _S("MONITOR_TRANSLATE_BATCH_TOKENS", 4096, "int", "tokens per CTranslate2 batch",
       "translation", sources=(ENV,)),
    _S("MONITOR_TRANSLATE_DOCS", 16, "int", "documents claimed and translated together",
       "translation", sources=(ENV,)),
    _S("MONITOR_TRANSLATE_MAX_CHARS", 100_000, "int", "characters translated per document; "
       "longer text is flagged `truncated`", "translation", sources=(ENV,)),
    _S("MONITOR_TRANSLATE_CACHE", 20_000, "int", "translated sentences remembered",
       "translation", sources=(ENV,)),
    _S("MONITOR_TRANSLATE_LEASE", 600, "int", "seconds after which a claimed document may be "
       "claimed again (a killed worker)", "translation", sources=(ENV,)),
    _S("MONITOR_TRANSLATE_ATTEMPTS", 3, "int", "failed attempts (retried after 1, 2, 4 ... "
       "minutes) before a document is `failed`", "translation", sources=(ENV,)),
    # --- Search (monitor/search/) ---------------------------------------------------------------
    _S("MONITOR_GLOSSARY", "", "path", "a glossary file that extends the packaged one", "search",
       sources=(ENV,)),
    _S("MONITOR_CACHE_DIR", "", "path", "the CC-CEDICT index cache (unwritable: built per "
       "process)", "search", sources=(ENV,),
       shown_default="`$XDG_CACHE_HOME/news-monitor`"),
    # --- Alerts and watches (monitor/alerts/) ---------------------------------------------------
    _S("MONITOR_CHANNELS_FILE", "channels.yaml", "path", "alert channels (absent: alerts are "
       "stored and logged only)", "alerts", option="--channels"),
    _S("MONITOR_WATCHLIST_FILE", "watchlists.yaml", "path", "the watchlist (absent: the watches "
       "stored in the cluster stay as they are)", "alerts", option="--watchlist"),
    _S("MONITOR_WATCHES", True, "bool", "match new and changed documents against the watches "
       "during the crawl", "alerts"),
    # --- Scheduling, runs and Kibana (monitor/schedule.py, monitor/kibana.py) -------------------
    _S("MONITOR_SCHEDULE_CONCURRENCY", 2, "int", "crawl processes at once under `monitor "
       "schedule`", "operations", sources=(ENV,), option="monitor schedule --concurrency"),
    _S("MONITOR_RUNS_RETENTION", "90d", "duration", "run records older than this are deleted by "
       "`monitor schedule` (`off`: kept)", "operations", sources=(ENV,),
       option="monitor schedule --runs-retention"),
    _S("MONITOR_CHECK_EVERY", "1d", "duration", "`monitor schedule` runs `sources check` on every "
       "enabled source this often and alerts when a verdict changes (`off`: never)", "operations",
       sources=(ENV,), option="monitor schedule --check-every"),
    _S("MONITOR_KIBANA_API_KEY", None, "secret", "credentials for `monitor kibana import`",
       "operations", sources=(ENV,), option="monitor kibana import --api-key"),
    _S("MONITOR_KIBANA_USER", None, "str", "basic auth user for `monitor kibana import`",
       "operations", sources=(ENV,), option="monitor kibana import --user"),
    _S("MONITOR_KIBANA_PASSWORD", None, "secret", "basic auth password for `monitor kibana "
       "import`", "operations", sources=(ENV,), option="monitor kibana import --password"),
    # --- Distributed mode (monitor/distributed/) ------------------------------------------------
    # `monitor crawl --shared NAME`: the crawl's requests and duplicate filter live in Redis, and
    # every process given the same NAME fetches disjoint URLs of the source.
    _S("MONITOR_REDIS_URL", None, "url", "the Redis of the shared queue, e.g. "
       "`redis://redis.internal:6379/0`", "scaling", sources=(ENV,),
       shown_default="(unset: one machine)"),
    _S("MONITOR_REDIS_CA_CERTS", None, "path", "CA file (PEM) a rediss:// server's certificate "
       "is checked against", "scaling", sources=(ENV,)),
    _S("MONITOR_LEASE_TTL", 60.0, "float", "seconds a source's lease lasts unless its worker "
       "renews it", "scaling", sources=(ENV,)),
    _S("MONITOR_SHARED_RUN", "", "str", "the shared crawl this process joins", "scaling",
       option="monitor crawl --shared"),
    _S("MONITOR_SHARED_TTL", 86400, "int", "seconds a shared crawl's queue and duplicate filter "
       "stay in Redis after its last activity", "scaling"),
    _S("MONITOR_SHARED_TIMEOUT", 10, "int", "seconds per Redis command of a shared crawl, then "
       "3 retries with backoff", "scaling"),
    _S("MONITOR_WORKER_SOURCES", "", "path", "set by `monitor worker` for the crawls it runs: "
       "its own sources file", "scaling", sources=(ENV,)),
    _S("MONITOR_WORKER_TRANSLATE", "", "str", "set by `monitor worker` for the crawls it runs: "
       "`1` when they translate", "scaling", sources=(ENV,)),
    # --- Feeds out (monitor/feeds/): saved searches and watches as Atom, read-only pages --------
    _S("MONITOR_FEED_SIZE", 50, "int", "entries in a feed (the newest)", "feeds", sources=(ENV,),
       option="monitor feed --size"),
    _S("MONITOR_SERVE_TOKEN", None, "secret", "the token `monitor serve` asks for (`?token=` or "
       "`Authorization: Bearer`); required on any address but loopback", "feeds",
       sources=(ENV,)),
    _S("MONITOR_SERVE_TOKEN_FILE", None, "path", "a file holding that token", "feeds",
       sources=(ENV,)),
)  # fmt: skip
BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> Setting:
    return BY_NAME[name]


def crawl_defaults(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The defaults of every setting a crawl reads (`-s`), the environment's value replacing the
    default where it has one: what monitor.settings gives Scrapy."""
    environ = os.environ if environ is None else environ
    found = {}
    for setting in SETTINGS:
        if CRAWL in setting.sources:
            found[setting.name] = environ.get(setting.name, setting.default)
    return found


def resolve(
    setting: Setting, overrides: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[Any, str]:
    """(value, origin) of one setting: origin is `-s`, `environment` or `default`."""
    if CRAWL in setting.sources and setting.name in overrides:
        return overrides[setting.name], "-s"
    if ENV in setting.sources and environ.get(setting.name) not in (None, ""):
        return environ[setting.name], "environment"
    return setting.default, "default"


def report(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Iterator[dict[str, Any]]:
    """Every setting with its value and origin; a secret's value is shown as `***` when set."""
    environ = os.environ if environ is None else environ
    for setting in SETTINGS:
        value, origin = resolve(setting, overrides or {}, environ)
        if setting.secret and value not in (None, ""):
            value = "***"
        yield {
            "name": setting.name,
            "value": value,
            "origin": origin,
            "default": None if setting.secret else setting.default,
            "type": setting.kind,
            "group": setting.group,
            "from": [*setting.sources, *([setting.option] if setting.option else [])],
            "doc": setting.doc,
        }


def markdown() -> str:
    """The settings tables of docs/configuration.md, one per group."""
    lines: list[str] = []
    for group, title in GROUPS.items():
        lines += [f"### {title}", "", "| setting | default | from | meaning |", "|---|---|---|---|"]
        for s in SETTINGS:
            if s.group != group:
                continue
            where = ", ".join({"env": "environment", "-s": "`-s`"}[x] for x in s.sources) + (
                f", `{s.option}`" if s.option else ""
            )
            lines.append(f"| `{s.name}` | {s.describe_default()} | {where} | {s.doc} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
