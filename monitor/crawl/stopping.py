"""Ctrl-C and SIGTERM during a crawl: a clean stop from the command's first step to its end.

Standard library only: the command installs it before it imports Scrapy, so a signal that comes
while the crawl is still starting (importing, checking the cluster, loading the watchlist) is
noted, not fatal, and the crawl exits 128 + its number like one stopped mid-way.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

from monitor.errors import Interrupted


class StopSignals:
    """Notes which signal stopped the crawl and says so once, from the crawl's first step to its
    end: before Scrapy starts (a SIGTERM while the crawl checks the cluster or loads the
    watchlist) the crawl is skipped; once Scrapy runs, ours go in front of its own handlers (the
    first signal: finish the requests in flight and close cleanly; the second: at once)."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log
        self.received: int | None = None
        self._before: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        """Before the crawl: no handler of Scrapy's yet, a signal is only noted."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._before[signum] = signal.getsignal(signum)
            signal.signal(signum, lambda s, f: self._on(s, f, None))
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._before.items():
            signal.signal(signum, handler)

    def in_front_of_scrapy(self) -> None:
        """Once Scrapy has installed its handlers: ours call them; a signal noted before they
        were installed is handed to Scrapy's now (its graceful stop)."""
        scrapy_handlers = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            scrapy_handler = scrapy_handlers[signum] = signal.getsignal(signum)
            signal.signal(signum, lambda s, f, inner=scrapy_handler: self._on(s, f, inner))
        if self.received is not None and callable(scrapy_handlers[self.received]):
            scrapy_handlers[self.received](self.received, None)

    def _on(self, signum: int, frame: Any, inner: Any) -> None:
        if self.received is None:
            self.received = signum
            self.log(
                f"stopping ({signal.Signals(signum).name}): "
                + ("finishing the pages in flight" if inner else "the crawl will not start")
                + "; press Ctrl-C again to stop at once"
            )
        elif inner is None:  # a second signal before Scrapy runs: at once
            raise Interrupted(signum, f"stopped ({signal.Signals(signum).name})")
        if callable(inner):
            inner(signum, frame)
