"""Scrapy's HTTP/1.1 download handler with a close that cannot fire twice.

Scrapy's handler closes its connection pool with a timeout: a delayed call fires the pool's
Deferred after one second unless the pool closed first. When the pool closes in the same reactor
turn as the timeout (a loaded machine; a crawl of many sources, each crawler closing its own
handler when its source is done), the delayed call is still pending when the Deferred has fired,
and Twisted logs an AlreadyCalledError traceback ("critical: while handling timed call") for a
close that went well. Here the timeout and the pool both fire a Deferred of our own, whichever
comes first, once."""

from __future__ import annotations

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred


class Http11Handler(HTTP11DownloadHandler):
    async def close(self) -> None:
        from twisted.internet import reactor

        closed: Deferred[None] = Deferred()

        def done(_: object = None) -> None:
            if not closed.called:
                closed.callback(None)

        self._pool.closeCachedConnections().addBoth(done)
        timeout = reactor.callLater(self._disconnect_timeout, done)
        try:
            await maybe_deferred_to_future(closed)
        finally:
            if timeout.active():
                timeout.cancel()
