"""What every process that keeps watch alerts flowing does, in one place: sync the watchlist into
the cluster, catch up from the checkpoint, fold due digests, deliver what is pending. `monitor
alertd` runs it in a loop (hot-reloading the watchlist); `monitor crawl` runs it before the
crawl (and folds due digests after it)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from monitor.alerts.delivery import deliver_pending, send_due_digests
from monitor.alerts.matcher import Matcher, WatchStore
from monitor.alerts.watches import Watch, load_watchlist
from monitor.errors import ConfigError
from monitor.es.config import EsConfig
from monitor.notify.channels import Channels
from monitor.search.glossary import load_glossary

logger = logging.getLogger(__name__)


def sync_watchlist(
    es: Elasticsearch, config: EsConfig, path: str | Path, channels: Channels
) -> tuple[list[Watch], dict[str, str]]:
    """Validate the watchlist and make the cluster's active watches match it: (watches, what
    changed). ConfigError (file:line) when it is invalid; nothing is changed then."""
    watches = load_watchlist(path, set(channels.channels))
    changes = WatchStore(es, config).sync(watches, load_glossary())
    return watches, changes


@dataclass
class WatchlistFollower:
    """Reloads a watchlist when its file changes; a broken file is reported once and the last
    good watchlist stays in force."""

    path: Path
    channels: Channels
    log: Callable[[str], None] = logger.warning
    mtime: float | None = None
    last_error: str | None = None
    watches: list[Watch] = field(default_factory=list)

    def poll(self, es: Elasticsearch, config: EsConfig) -> dict[str, str] | None:
        """Sync when the file changed; the changes, or None when nothing was reloaded."""
        try:
            mtime = os.stat(self.path).st_mtime
        except FileNotFoundError:
            mtime = -1.0
        if mtime == self.mtime:
            return None
        self.mtime = mtime
        if mtime < 0:
            return None  # no watchlist (yet): the stored watches stay as they are
        try:
            self.watches, changes = sync_watchlist(es, config, self.path, self.channels)
        except ConfigError as exc:
            self.last_error = str(exc)
            self.log(f"watchlist not reloaded, the last good one stays in force: {exc}")
            return None
        self.last_error = None
        return changes


def alert_round(
    es: Elasticsearch,
    config: EsConfig,
    channels: Channels,
    now: datetime | None = None,
    matcher: Matcher | None = None,
    log: Callable[[str], None] = logger.warning,
) -> dict[str, Any]:
    """Catch up, fold due digests, deliver: one round of `monitor alertd`."""
    matcher = matcher or Matcher(es, config)
    matcher.reload()
    caught_up = matcher.catch_up()
    digests = send_due_digests(es, config, now)
    delivered = deliver_pending(es, config, channels, log, now=now)
    return {"matched": caught_up, "digests": len(digests), "delivered": delivered}
