"""The composition root of a crawling process: one `Monitor` per process owns what lives as long as
the process (the Elasticsearch client, the retry policy, the extraction pool, the watch matcher,
the translation worker) and shuts them down.

Crawl components reach it as Scrapy components reach shared parts: the `MonitorAddon` (in
ADDONS) attaches the process's Monitor to every crawler, and `Monitor.of(crawler)` finds it.
`monitor crawl` (monitor.crawl.run) builds the Monitor before its crawlers and closes it after
the post-crawl steps; a plain `scrapy crawl` gets one from the add-on, made with its crawler and
closed when that crawler's engine stops. Either way the crawl has the same parts, translation
included (MONITOR_TRANSLATE). Nothing live travels in Scrapy's `Settings`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, ClassVar

from elasticsearch import Elasticsearch
from scrapy import signals
from scrapy.settings import BaseSettings

from monitor.alerts.hook import WatchMatcher
from monitor.crawl.extraction import ExtractionPool
from monitor.crawl.options import CrawlSettings
from monitor.crawl.signals import documents_stored
from monitor.es.client import make_client
from monitor.es.config import EsConfig
from monitor.es.patience import Patience
from monitor.translate.sidecar import LazySidecar, SidecarResult

logger = logging.getLogger(__name__)


class Monitor:
    """The process's long-lived parts, built once from the settings; each starts on first use
    (the pool's workers with the first page, the translation worker with the first document to
    translate, the client with the first call)."""

    _current: ClassVar[Monitor | None] = None

    def __init__(self, settings: BaseSettings, translate: bool | None = None):
        self.crawl_settings = CrawlSettings.from_settings(settings)
        self.es_config = EsConfig.from_env(settings)
        self.patience = Patience(self.crawl_settings.es_wait, self.es_config.display_url)
        self.pool = ExtractionPool.from_settings(self.crawl_settings)
        channels = settings.get("MONITOR_CHANNELS_FILE")
        self.watches = WatchMatcher(self.es_config, channels)
        if translate is None:
            translate = settings.getbool("MONITOR_TRANSLATE")
        self.translation = LazySidecar(channels) if translate else None
        self._es: Elasticsearch | None = None
        self._lock = threading.Lock()
        self._crawls_ended = False

    # --- how components find it ---------------------------------------------------------------
    @classmethod
    def install(cls, monitor: Monitor | None) -> None:
        """The process's Monitor, which the add-on attaches to every crawler made from now on."""
        cls._current = monitor

    @classmethod
    def of(cls, crawler: Any) -> Monitor:
        for addon in getattr(crawler.addons, "addons", ()):
            if isinstance(addon, MonitorAddon):
                return addon.monitor
        raise RuntimeError("monitor.crawl.core.MonitorAddon is not in ADDONS")

    def client(self) -> Elasticsearch:
        """The process's one client (thread-safe), made on first use."""
        with self._lock:
            if self._es is None:
                self._es = make_client(self.es_config)
            return self._es

    # --- shutdown -------------------------------------------------------------------------------
    def end_crawls(self) -> None:
        """The crawls are over: the pool's workers stop, the matcher runs its last round (what
        the last flushes stored). Blocking: call it off the reactor or after it stopped."""
        if self._crawls_ended:
            return
        self._crawls_ended = True
        self.pool.shutdown()
        self.watches.finish()

    def close(self, interrupted: bool = False) -> SidecarResult | None:
        """Everything stopped and released. The translation worker drains the backlog it was
        given, unless the crawl was `interrupted` (then what it had claimed is claimed again
        after its lease). Returns the translation's outcome, if a worker ran."""
        self.end_crawls()
        try:
            if self.translation is None:
                return None
            return self.translation.stop() if interrupted else self.translation.finish()
        finally:
            with self._lock:
                if self._es is not None:
                    self._es.close()
                    self._es = None
            if Monitor._current is self:
                Monitor._current = None


class MonitorAddon:
    """Scrapy add-on: attaches the process's Monitor to the crawler, making one (owned by this
    crawler, closed when its engine stops) when no caller installed one: `scrapy crawl`."""

    def __init__(self, crawler: Any):
        self.owned = Monitor._current is None
        if self.owned:
            Monitor.install(Monitor(crawler.settings))
            self.reason: str | None = None
            crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)
            crawler.signals.connect(self._engine_stopped, signal=signals.engine_stopped)
        self.monitor: Monitor = Monitor._current
        self.crawler = crawler  # its stats exist once the crawl starts
        self.watching = crawler.settings.getbool("MONITOR_WATCHES")
        crawler.signals.connect(self._documents_stored, signal=documents_stored)

    @classmethod
    def from_crawler(cls, crawler: Any) -> MonitorAddon:
        return cls(crawler)

    def update_settings(self, settings: BaseSettings) -> None:
        pass  # the crawl's components are in monitor.settings; this add-on only attaches

    def _documents_stored(self, documents: list[tuple[str, dict[str, Any]]]) -> None:
        """What a flush stored goes to the watch matcher; a document to translate starts the
        translation worker."""
        if self.watching:
            self.crawler.stats.inc_value("monitor/watches/submitted", len(documents))
            self.monitor.watches.submit([doc_id for doc_id, _ in documents])
        translation = self.monitor.translation
        if translation is not None and any(
            source.get("translation", {}).get("status") == "pending" for _, source in documents
        ):
            translation.needed()

    def _spider_closed(self, spider: Any, reason: str) -> None:
        self.reason = reason

    async def _engine_stopped(self) -> None:
        interrupted = self.reason == "shutdown"  # Ctrl-C or SIGTERM
        result = await asyncio.to_thread(self.monitor.close, interrupted)
        if result is not None and result.summary:
            logger.info(result.summary)
