"""The pool that runs extraction off the reactor: worker processes (default) or threads.

One pool serves every crawler of a process: `monitor crawl` creates it and hands it to the
crawlers through the MONITOR_EXTRACT_POOL setting (the object survives Scrapy's settings copy).
A lone `scrapy crawl` builds its own. A worker process that dies (a crash on a hostile page) breaks
a process pool; the pool is rebuilt and the call retried once, so no accepted page is lost.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from monitor.text.analyse import init_worker


def _noop() -> None:
    pass


class ExtractionPool:
    def __init__(self, mode: str, workers: int):
        self.mode, self.workers = mode, workers
        self._lock = threading.Lock()
        self._executor: Executor | None = None
        self.restarts = 0

    def __deepcopy__(self, memo: dict) -> ExtractionPool:
        return self  # shared, not copied, when Scrapy copies the settings that carry it

    def _make(self) -> Executor:
        if self.mode == "thread":
            init_worker()
            return ThreadPoolExecutor(self.workers, thread_name_prefix="extract")
        # spawn: a fork of a process running a reactor and threads is not safe
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(self.workers, mp_context=context, initializer=init_worker)

    def executor(self) -> Executor:
        with self._lock:
            if self._executor is None:
                self._executor = self._make()
            return self._executor

    def _replace(self, broken: Executor) -> None:
        with self._lock:
            if self._executor is broken:
                broken.shutdown(wait=False, cancel_futures=True)
                self._executor = None
                self.restarts += 1

    def warm(self) -> None:
        """Start the workers now (they import trafilatura and load language profiles), so that
        their start-up overlaps the crawl's own instead of delaying the first pages."""
        executor = self.executor()
        for _ in range(self.workers):
            executor.submit(_noop)

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run fn(*args, **kwargs) in the pool without blocking the event loop."""
        for attempt in (1, 2):
            executor = self.executor()
            try:
                return await asyncio.wrap_future(executor.submit(fn, *args, **kwargs))
            except BrokenProcessPool:
                self._replace(executor)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def shutdown(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None
