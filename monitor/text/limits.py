"""Bounds on the work one page may cost an extraction worker: time, memory, links, inflated size.

`bounded` runs a function in a worker process under a wall-clock alarm; a page that runs past it,
or runs the worker out of its memory limit (set by `limit_worker`), raises PageRejected with the
reason, and only that page is lost. A hostile page is refused before parsing where a cheap test
can tell (too many links; a zip whose entries inflate past MAX_INFLATED).
"""

from __future__ import annotations

import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

MAX_INFLATED = 64 * 1024 * 1024  # bytes a document file's zip entries may inflate to in all


class PageRejected(Exception):
    """A page or file skipped on purpose; `reason` is one word for the stats (too_slow,
    too_large, link_farm), the message says what was found."""

    def __init__(self, reason: str, detail: str):
        super().__init__(reason, detail)
        self.reason, self.detail = reason, detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


def _alarm(signum: int, frame: Any) -> None:
    raise TimeoutError


def bounded(timeout: float, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """fn(*args, **kwargs) in a worker process's main thread, within `timeout` seconds."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return fn(*args, **kwargs)
    except TimeoutError:
        raise PageRejected("too_slow", f"extraction ran past {timeout:g} s") from None
    except MemoryError:
        raise PageRejected("too_large", "extraction ran out of the worker's memory limit") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def limit_worker(memory_mb: int, parent: int) -> None:
    """In a new worker process: cap its heap, and exit when `parent` dies (a `kill -9` of the
    crawl must not leave workers behind, reparented and holding memory)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the crawl's to handle, not ours
    if memory_mb:
        size = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (size, size))
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    """Exit when the crawl is gone: our parent changed (a spawned worker reparented, or the fork
    server that forked us exited with the crawl), or the crawl's pid is no more."""
    first = os.getppid()
    while os.getppid() == first:
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    os._exit(1)
