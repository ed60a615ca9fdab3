"""Scrapy settings for news-monitor: Scrapy's own, as this project sets them, and the MONITOR_*
crawl settings of the registry (monitor/registry.py).

`scrapy crawl`, `scrapy list` and `monitor crawl` all read this module (scrapy.cfg points here).
Override any of these with `-s NAME=VALUE` or a source's own fields (`delay`, `concurrency`).
"""

from monitor import __version__
from monitor.registry import CRAWL, SETTINGS, crawl_defaults

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
# unless the network is in MONITOR_PRIVATE_NETWORKS or the source's `private_networks`.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None,
                     # Scrapy's HTTP/1.1 handler, its close made safe (monitor/crawl/http.py)
                     "http": "monitor.crawl.http.Http11Handler",
                     "https": "monitor.crawl.http.Http11Handler"}  # fmt: skip
REDIRECT_MAX_TIMES = 10  # a longer chain is counted as monitor/fetch/errors/redirects
# a redirect loop is dropped by the duplicate filter: this one counts it (errors/redirect_loop)
DUPEFILTER_CLASS = "monitor.crawl.dupefilter.RedirectAwareDupeFilter"

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
# The composition root (monitor/crawl/core.py): the process's client, extraction pool, watch
# matcher and translation worker, attached to every crawler (Monitor.of(crawler)).
ADDONS = {"monitor.crawl.core.MonitorAddon": 0}
EXTENSIONS = {
    "monitor.crawl.progress.Progress": 500,
    "monitor.crawl.record.SeenRecord": 100,  # the seen-record's client, store and bookkeeping
    "monitor.crawl.logs.QuietNetworkErrors": 0,  # a dead site's robots.txt in one line
}

# --- news-monitor's own settings ----------------------------------------------------------------
# Every MONITOR_* setting a crawl reads is in monitor/registry.py, with its default, type, doc and
# where it may come from: a MONITOR_* name set in the environment replaces the default
# (`MONITOR_PRIVATE_NETWORKS=127.0.0.1/32 monitor crawl`, or `scrapy crawl`); `-s NAME=VALUE`
# wins over both. `monitor config` shows each value and where it came from.
DEFAULTS = {s.name: s.default for s in SETTINGS if CRAWL in s.sources}
globals().update(crawl_defaults())
