"""Scrapy settings for news-monitor: the one place for crawl defaults.

`scrapy crawl`, `scrapy list` and `monitor crawl` all read this module (scrapy.cfg points here).
Override any of these with `-s NAME=VALUE` or a source's own fields (`delay`, `concurrency`).
"""

from monitor import __version__

BOT_NAME = "news-monitor"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- Politeness ---------------------------------------------------------------------------------
# The User-Agent names the project so that site operators can tell who is fetching.
USER_AGENT = f"news-monitor/{__version__} (+policy research crawler; obeys robots.txt)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0  # seconds between requests to one domain (randomised 0.5x-1.5x)
AUTOTHROTTLE_ENABLED = True  # slows down further when a site answers slowly
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2

# --- Size limits ----------------------------------------------------------------------------------
# Huge pages are refused before they reach the extractor; the refusal is logged and counted.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

# --- Engine ---------------------------------------------------------------------------------------
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for every response's output; an article page yields
# one item, so the default of 100 cost ~17% of the crawl's CPU for nothing (bench/crawl_throughput).
CONCURRENT_ITEMS = 8
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
LOG_FORMATTER = "monitor.crawl.logs.MonitorLogFormatter"  # drop lines without the item

# --- The open web is hostile (monitor/crawl/guard.py) ------------------------------------------
# Only http(s) is fetched: Scrapy's file:, data:, ftp: and s3: handlers are switched off, and the
# guard refuses any other scheme, attachments outside the source's hosts, and any request to a
# loopback, private, link-local, multicast or reserved address (after DNS, after every redirect)
# unless the network is listed here or in the source's `private_networks`.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
MONITOR_PRIVATE_NETWORKS: list[str] = []  # e.g. ["127.0.0.1/32"] for sites served locally
REDIRECT_MAX_TIMES = 10  # a longer chain is counted as monitor/fetch/errors/redirects
# a redirect loop is dropped by the duplicate filter: this one counts it (errors/redirect_loop)
DUPEFILTER_CLASS = "monitor.crawl.dupefilter.RedirectAwareDupeFilter"
MONITOR_MAX_LINKS = 5000  # a page with more links is a link farm, not an article: skipped
MONITOR_MAX_TEXT_CHARS = 300_000  # article text kept per page; longer text is cut and flagged
# Each extraction runs in a worker under a time and memory limit; a page over either is skipped
# with the reason, and a page that kills two workers is quarantined (recorded, never retried).
MONITOR_EXTRACT_TIMEOUT = 60.0  # seconds per page or attachment
MONITOR_EXTRACT_MEMORY_MB = 1536  # heap per extraction worker process (0: no limit)
# An unreachable cluster is waited out: calls are retried with backoff for up to this many
# seconds in all, the crawl going on meanwhile, before pages are counted as not indexed.
MONITOR_ES_WAIT = 300.0

# --- news-monitor pipeline ------------------------------------------------------------------------
# Order: validate → drop URLs seen in this run → extract text + detect language (off the reactor)
# → drop pages declaring a canonical URL seen in this run → index in bulk into Elasticsearch
# (where duplicate text, known to the cluster or to this run, is dropped: see pipelines/dedupe.py).
ITEM_PIPELINES = {
    "pipelines.validate.ValidatePipeline": 100,
    "pipelines.dedupe.UrlDedupePipeline": 200,
    "pipelines.extract.ExtractPipeline": 300,
    "pipelines.dedupe.CanonicalDedupePipeline": 400,
    "pipelines.index.IndexPipeline": 500,
}
# Incremental crawling (monitor/incremental.py): known article pages are not fetched again, and
# listing pages, feeds and sitemaps are fetched with conditional GETs. `monitor crawl --full` or
# MONITOR_INCREMENTAL=False fetch everything.
SPIDER_MIDDLEWARES = {
    "monitor.crawl.incremental.KnownArticles": 950,
}
DOWNLOADER_MIDDLEWARES = {
    "monitor.crawl.guard.RequestGuard": 10,  # first: every request, redirects and robots.txt too
    "monitor.crawl.incremental.ConditionalGet": 540,  # inside retry (550): sees only final outcomes
    "monitor.crawl.withdrawn.Withdrawals": 545,  # re-checked articles gone: marked withdrawn
    # next to the downloader: the response as it came, before decompression and redirects
    "monitor.crawl.capture.WarcCapture": 950,
}
EXTENSIONS = {
    "monitor.crawl.progress.Progress": 500,
    "monitor.crawl.record.SeenRecord": 100,  # the seen-record's client, store and bookkeeping
    "monitor.crawl.logs.QuietNetworkErrors": 0,  # a dead site's robots.txt in one line
    "monitor.alerts.hook.WatchHook": 110,  # watches run over what each bulk flush stored
}

MONITOR_SOURCES_FILE = "sources.yaml"  # YAML list of sources (see README: "Sources")
MONITOR_INCREMENTAL = True  # skip what the shared seen-record says is known (see above)
# Alert channels (e-mail, webhooks, a JSONL file); `health:` in it lists who hears about sources
# turning broken or silent. An absent file means health changes are only stored and logged.
MONITOR_CHANNELS_FILE = "channels.yaml"
# Watches (monitor/alerts/): the watchlist synced into the cluster when a crawl starts, and the
# matcher beside the indexer that turns new or changed documents into watch alerts.
MONITOR_WATCHLIST_FILE = "watchlists.yaml"
MONITOR_WATCHES = True
MONITOR_EXTRACT_MODE = "process"  # "process" (a worker pool; measured faster) or "thread"
MONITOR_EXTRACT_WORKERS = 0  # pool size; 0 = one per CPU core
MONITOR_MIN_TEXT_CHARS = 40  # shorter bodies are dropped as "no text" (counted, logged)
MONITOR_BULK_SIZE = 100  # documents per bulk request
MONITOR_BULK_INTERVAL = 0.5  # seconds before a partial batch is sent anyway
MONITOR_PROGRESS_INTERVAL = 5.0  # seconds between progress lines; 0 turns them off

# --- Raw captures (monitor/crawl/capture.py) ----------------------------------------------------
# Every article and attachment response is written to WARC files as fetched (the evidence behind
# each stored document: `monitor capture`). MONITOR_WARC_DIR empty: $MONITOR_HOME/warc.
MONITOR_WARC = True
MONITOR_WARC_DIR = ""
MONITOR_WARC_MAX_MB = 1024  # a new file after this many megabytes
MONITOR_WARC_LISTINGS = False  # listing pages, feeds and sitemaps too

# --- Stories (monitor/es/stories.py) -------------------------------------------------------------
# Reprints of one story (estimated Jaccard similarity of their word/character 4-grams at least
# MONITOR_STORY_THRESHOLD, published within MONITOR_STORY_WINDOW of each other) share a story_id;
# search shows a story once, as its earliest document.
MONITOR_STORY_WINDOW = "14d"
MONITOR_STORY_THRESHOLD = 0.5

# --- Shared crawls (distributed mode, monitor/distributed/shared.py) ----------------------------
# `monitor crawl --shared NAME` (workers pass the slot of a source marked `distributed:`): the
# crawl's requests and duplicate filter live in Redis (MONITOR_REDIS_URL, scrapy-redis), and every
# process given the same NAME fetches disjoint URLs of the source.
MONITOR_SHARED_RUN = ""  # the shared crawl's name; empty: the crawl's own in-memory queue
MONITOR_SHARED_TTL = 86400  # seconds the queue and filter are kept after the last activity
MONITOR_SHARED_TIMEOUT = 10  # seconds per Redis command (then 3 retries with backoff)

# --- Identifiers looked up through an exchange's search (an api source's `lookup:`) --------------
MONITOR_LOOKUPS_FILE = ""  # the cache of looked-up ids (30 days); empty: $MONITOR_HOME/lookups.json

# --- Pages drawn by script (monitor/crawl/render.py) ---------------------------------------------
# A source with `render: true` (its listing pages) or `render: all` (its articles too) is fetched
# by headless Chromium through scrapy-playwright, every request of the browser through the guard.
MONITOR_RENDER_BROWSER = "/usr/bin/chromium"  # Debian's package; a name on PATH works too
MONITOR_RENDER_MAX_PAGES = 200  # pages rendered per crawl; later ones are fetched plainly
MONITOR_RENDER_TIMEOUT = 30.0  # seconds per page: loading, then its scripts' requests
MONITOR_RENDER_CONCURRENCY = 2  # pages rendered at once (each a browser tab)

# --- Documents and attachments (spiders/attachments.py, monitor/text/documents.py) ---------------
# PDF and DOCX files linked from a page are fetched and their text indexed with the page (sources
# turn this off with `attachments: false`); a PDF or DOCX linked as an article is a document itself.
MONITOR_ATTACHMENTS_MAX = 10  # attachments fetched per page
MONITOR_ATTACHMENT_MAXSIZE = 20 * 1024 * 1024  # bytes; larger files are refused and recorded
MONITOR_ATTACHMENT_TIMEOUT = 60  # seconds per attachment download
MONITOR_DOCUMENT_MAX_PAGES = 300  # PDF pages read per file; more are flagged `truncated`
# Connection: MONITOR_ES_URL, MONITOR_ES_API_KEY, ... are read from these settings first,
# then from the environment (see monitor.es.config.EsConfig).

# --- From the environment ------------------------------------------------------------------------
# Every MONITOR_* setting above may also come from the environment, under the same name
# (`MONITOR_PRIVATE_NETWORKS=127.0.0.1/32 monitor crawl`, or `scrapy crawl`): it replaces the
# default here; `-s NAME=VALUE` wins over both. (The connection's MONITOR_ES_* names are read by
# monitor.es.config, settings first, then the environment.)
DEFAULTS = {name: value for name, value in dict(globals()).items() if name.startswith("MONITOR_")}


def _from_environment(names: dict) -> None:
    import os

    for name in names:
        if name in os.environ:
            globals()[name] = os.environ[name]


_from_environment(DEFAULTS)
