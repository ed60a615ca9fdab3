"""The crawl's side of watch alerts: a Scrapy extension that matches what the index pipeline just
created or changed, off the reactor, and delivers the immediate alerts.

The index pipeline hands it the ids of each bulk flush (`submit`). A thread of its own takes what
has gathered every INTERVAL (1 s), refreshes the index (one refresh per round, not per flush, so
the batch is searchable), runs the watches over it (monitor.alerts.matcher) and delivers pending
watch alerts. The crawl never waits for it; at the end of the crawl it finishes its round. If the
process dies in between, the next matcher's catch-up (`monitor alertd`, or the next crawl) finds
those documents from its checkpoint. MONITOR_WATCHES = False turns it off.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from scrapy import signals

from monitor.alerts.delivery import deliver_pending
from monitor.alerts.matcher import Matcher
from monitor.crawl.record import SeenRecord
from monitor.es.patience import CLIENT_ERRORS
from monitor.notify.channels import load_channels

logger = logging.getLogger(__name__)
INTERVAL = 1.0  # seconds between matching rounds (each: one refresh, one _msearch per 200 watches)


def match_round(es: Any, matcher: Matcher, channels: Any, ids: list[str]) -> list[dict[str, Any]]:
    """One round: make the batch searchable, match it, deliver the immediate alerts."""
    es.indices.refresh(index=matcher.articles)
    created = matcher.match(ids)
    if created:
        deliver_pending(es, matcher.config, channels, logger.warning, ("watch",))
    return created


class WatchHook:
    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.stats = crawler.stats
        self.enabled = crawler.settings.getbool("MONITOR_WATCHES")
        self.channels_file = crawler.settings.get("MONITOR_CHANNELS_FILE")
        self.pending: list[str] = []
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> WatchHook:
        return cls(crawler)

    @classmethod
    def of(cls, crawler: Any) -> WatchHook | None:
        return crawler.get_extension(cls)

    def submit(self, ids: list[str]) -> None:
        """Documents just created or changed (called on the reactor: only appends)."""
        if not self.enabled or not ids:
            return
        with self.lock:
            self.pending += ids
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="watch-matcher", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        record = SeenRecord.of(self.crawler)  # its client: one per crawl
        es = record.sync_client()
        matcher = Matcher(es, record.config)
        channels = load_channels(self.channels_file)
        while True:
            stopping = self.stopping.wait(INTERVAL)
            with self.lock:
                ids, self.pending = self.pending, []
            if ids:
                try:
                    created = match_round(es, matcher, channels, ids)
                    self.stats.inc_value("monitor/watches/matched_documents", len(ids))
                    self.stats.inc_value("monitor/watches/alerts", len(created))
                except CLIENT_ERRORS as exc:  # the catch-up will find them: say so, go on
                    self.stats.inc_value("monitor/watches/errors")
                    logger.warning("watch matching of %d documents deferred: %s", len(ids), exc)
            if stopping and not self.pending:
                return

    async def spider_closed(self, spider: Any, reason: str) -> None:
        self.stopping.set()
        if self.thread is not None:  # its last round, off the reactor
            await asyncio.to_thread(self.thread.join, 60)
