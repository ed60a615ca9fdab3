"""The crawl's side of watch alerts: what the index pipeline just created or changed is matched
off the reactor, and the immediate alerts are delivered.

`WatchMatcher` is a thread with a queue: the index pipelines hand it the ids of each bulk flush
(`submit`); every INTERVAL (1 s) it takes what has gathered, refreshes the index once (so the
batch is searchable), runs the watches over it (monitor.alerts.matcher) and delivers pending watch
alerts. One serves every crawler of a process: the process's Monitor (monitor.crawl.core) owns
it and gives it what each crawl announces it stored, so thirty sources make one round a second,
not thirty. The crawl never waits for it; it finishes its last round when the crawl ends. If the
process dies in between, the next catch-up (`monitor alertd`, or the next crawl) finds those
documents from its checkpoint. MONITOR_WATCHES = False turns it off.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any

from monitor.alerts.delivery import deliver_pending
from monitor.alerts.matcher import Matcher
from monitor.es.client import make_client
from monitor.es.config import EsConfig
from monitor.es.patience import CLIENT_ERRORS
from monitor.notify.channels import load_channels

logger = logging.getLogger(__name__)
INTERVAL = 1.0  # seconds between matching rounds (each: one refresh, one _msearch per 200 watches)
MAX_RESTARTS = 3  # a matcher that died is started again on the next batch, this many times


def match_round(es: Any, matcher: Matcher, channels: Any, ids: list[str]) -> list[dict[str, Any]]:
    """One round: make the batch searchable, match it, deliver the immediate alerts."""
    es.indices.refresh(index=matcher.articles)
    created = matcher.match(ids)
    if created:
        deliver_pending(es, matcher.config, channels, logger.warning, ("watch",))
    return created


def rematch_translated(
    es: Any, es_config: EsConfig, channels_file: str | None, log: Any = logger.warning
) -> Any:
    """A callback for the translation worker: translated documents go through the watches again
    (an English watch meets a Chinese document through its translation), and the alerts are
    delivered at once."""
    matcher = Matcher(es, es_config)
    channels = load_channels(channels_file)

    def matched(ids: list[str]) -> None:
        if matcher.match(ids):
            deliver_pending(es, es_config, channels, log, ("watch",))

    return matched


class WatchMatcher:
    """The matching thread of one process; started on the first submitted batch."""

    def __init__(self, config: EsConfig, channels_file: str | None):
        self.config, self.channels_file = config, channels_file
        self.pending: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.totals: Counter = Counter()
        self.failure: str | None = None  # why the thread last died, said once in the log

    def submit(self, ids: list[str]) -> None:
        """Documents just created or changed (called on the reactor: only appends)."""
        with self.lock:
            self.pending += ids
            dead = self.thread is not None and not self.thread.is_alive()
            if dead and self.totals["restarts"] < MAX_RESTARTS and not self.stopping.is_set():
                self.totals["restarts"] += 1
                logger.warning("watch matching restarted (%d of %d) after: %s",
                               self.totals["restarts"], MAX_RESTARTS, self.failure)  # fmt: skip
                self.thread = None
            if self.thread is None and not self.stopping.is_set():
                self.thread = threading.Thread(target=self._run, name="watch-matcher", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        es = make_client(self.config)
        try:
            matcher = Matcher(es, self.config)
            channels = load_channels(self.channels_file)
            while True:
                stopping = self.stopping.wait(INTERVAL)
                with self.lock:
                    ids, self.pending = self.pending, []
                if ids:
                    self._round(es, matcher, channels, ids)
                if stopping:
                    return
        except CLIENT_ERRORS as exc:  # the next catch-up matches what is left
            self.failure = str(exc)
            logger.warning("watch matching stopped: %s", exc)
        except Exception as exc:  # anything else: said, and started again on the next batch
            self.failure = f"{type(exc).__name__}: {exc}"
            self.totals["errors"] += 1
            logger.error("watch matching stopped: %s; the catch-up matches what it missed",
                         self.failure)  # fmt: skip
        finally:
            es.close()

    def _round(self, es: Any, matcher: Matcher, channels: Any, ids: list[str]) -> None:
        try:
            created = match_round(es, matcher, channels, ids)
            self.totals["matched_documents"] += len(ids)
            self.totals["alerts"] += len(created)
        except CLIENT_ERRORS as exc:  # the catch-up will find them: say so, go on
            self.totals["errors"] += 1
            logger.warning("watch matching of %d documents deferred: %s", len(ids), exc)
        except Exception as exc:  # a bug or a bad watch must not end matching for the crawl
            self.totals["errors"] += 1
            logger.error("watch matching of %d documents failed (%s: %s); the catch-up will "
                         "match them", len(ids), type(exc).__name__, exc)  # fmt: skip

    def finish(self, timeout: float = 60) -> None:
        """Match what is left, then stop (blocking: call it off the reactor)."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)
