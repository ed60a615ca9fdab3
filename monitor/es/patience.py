"""Waiting out an unreachable cluster: a call retried with backoff, for a bounded time.

A crawl must not lose pages because Elasticsearch restarted or a network blipped. Connection
errors, timeouts and the statuses a busy or restarting cluster answers (429, 502, 503, 504) are
retried with exponential backoff (1 s, 2 s, 4 s, ... at most MAX_PAUSE) until `max_wait` seconds
have passed, saying so in one line per attempt:
`Elasticsearch unreachable, waiting (attempt 3, retrying in 4 s)`. Anything else (a refused
document, a mapping error, a bug) is raised at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout, SerializationError
from elasticsearch import ApiError

T = TypeVar("T")
logger = logging.getLogger("monitor.es")

TRANSIENT_STATUSES = {429, 502, 503, 504}
FIRST_PAUSE = 1.0
MAX_PAUSE = 30.0


def transient(exc: BaseException) -> bool:
    """Whether an error from the client is worth waiting out."""
    if isinstance(exc, (TransportConnectionError, ConnectionTimeout)):
        return True
    if isinstance(exc, ApiError):
        return exc.meta.status in TRANSIENT_STATUSES
    return False


# the errors the Elasticsearch client raises: what a caller may catch after patience ran out
CLIENT_ERRORS = (ApiError, TransportConnectionError, ConnectionTimeout, SerializationError)


class Patience:
    """Retries blocking client calls in a thread, with backoff, for at most `max_wait` seconds
    per call. One per crawler, shared by its components."""

    def __init__(self, max_wait: float, display_url: str):
        self.max_wait = max_wait
        self.display_url = display_url
        self.waits = 0  # attempts that waited, over the crawl (stats)

    async def call(self, fn: Callable[[], T], what: str) -> T:
        started = time.monotonic()
        pause, attempt = FIRST_PAUSE, 1
        while True:
            try:
                return await asyncio.to_thread(fn)
            except Exception as exc:
                left = self.max_wait - (time.monotonic() - started)
                if not transient(exc) or left <= 0:
                    raise
                wait = min(pause, MAX_PAUSE, left)
                attempt += 1
                self.waits += 1
                logger.warning(
                    "Elasticsearch unreachable, waiting (attempt %d, retrying in %.0f s): %s at %s",
                    attempt,
                    wait,
                    what,
                    self.display_url,
                )
                await asyncio.sleep(wait)
                pause *= 2
