"""The pool that runs extraction off the reactor: worker processes (default) or threads.

One pool serves every crawler of a process: the process's Monitor (monitor.crawl.core) owns it.

In process mode every call runs under a time limit (MONITOR_EXTRACT_TIMEOUT, by an alarm in the
worker; the pool kills a worker that ignores it) and every worker under a heap limit
(MONITOR_EXTRACT_MEMORY_MB); a page over either is rejected with the reason. A worker that dies
anyway (a crash in C code, an OOM kill) breaks the pool: the pool is rebuilt, and each call that
was in flight is tried again alone, one at a time, in a separate one-worker pool. A page that
kills that lone worker twice (ALONE_DEATHS) is the culprit: it raises Quarantined, and the others
come through. Deaths in the shared pool are not held against a page (others were in flight), and
one death alone may be an outside OOM kill. Workers exit by themselves when the crawl dies.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from monitor.crawl.options import CrawlSettings
from monitor.text.limits import bounded, limit_worker

HARD_TIMEOUT_FACTOR = 2  # the pool kills a worker still busy after this many times the limit
ALONE_DEATHS = 2  # deaths of the lone worker, running only this page, that quarantine a page


class Quarantined(Exception):
    """A page killed an extraction worker twice, the second time alone."""


def _init() -> None:
    # imported here: the crawl process itself never extracts, and trafilatura, lxml's cleaner and
    # the language profiles cost it about 0.1 s to import for nothing (a scheduled run that finds
    # nothing new pays it in full)
    from monitor.text.analyse import init_worker

    init_worker()


def analyse(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """monitor.text.analyse.analyse_page, imported where it runs: in a worker, the crawl process
    only names this function."""
    from monitor.text.analyse import analyse_page

    return analyse_page(*args, **kwargs)


def _start_worker(memory_mb: int, parent: int) -> None:
    limit_worker(memory_mb, parent)
    _init()


def _noop() -> None:
    pass


class ExtractionPool:
    def __init__(self, mode: str, workers: int, timeout: float = 60.0, memory_mb: int = 0):
        self.mode, self.workers = mode, workers
        self.timeout, self.memory_mb = timeout, memory_mb
        self._lock = threading.Lock()
        self._executors: dict[str, Executor] = {}  # "shared" and "alone"
        self._alone: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self.restarts = 0
        self._warm = False  # workers are started with the first page to extract

    @classmethod
    def from_settings(cls, settings: CrawlSettings) -> ExtractionPool:
        return cls(
            settings.extract_mode,
            settings.extract_workers,
            settings.extract_timeout,
            settings.extract_memory_mb,
        )

    def _make(self, size: int) -> Executor:
        if self.mode == "thread":
            _init()
            return ThreadPoolExecutor(size, thread_name_prefix="extract")
        # Not a fork of this process (it runs a reactor and threads): workers are forked from a
        # fork server that imported the extraction code and loaded the language profiles once
        # (monitor/text/preload.py), so a worker starts in milliseconds, not a second of imports
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["monitor.text.preload"])
        return ProcessPoolExecutor(
            size,
            mp_context=context,
            initializer=_start_worker,
            initargs=(self.memory_mb, os.getpid()),
        )

    def executor(self, which: str = "shared") -> Executor:
        with self._lock:
            if which not in self._executors:
                self._executors[which] = self._make(self.workers if which == "shared" else 1)
            return self._executors[which]

    def _replace(self, broken: Executor) -> None:
        with self._lock:
            for which, executor in list(self._executors.items()):
                if executor is broken:
                    del self._executors[which]
                    broken.shutdown(wait=False, cancel_futures=True)
                    self.restarts += 1

    def warm(self) -> None:
        """Start every worker now (they import trafilatura and load language profiles) rather
        than one at a time as pages queue up. `run` does it on the first page: a crawl that has
        nothing to extract (every page a 304) starts no worker, nor multiprocessing's resource
        tracker, at all."""
        self._warm = True
        executor = self.executor()
        for _ in range(self.workers):
            executor.submit(_noop)

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """fn(*args, **kwargs) in the pool, without blocking the event loop. Raises what fn
        raises (PageRejected for a page over a limit), or Quarantined."""
        if not self._warm:
            self.warm()
        if self.mode == "thread":
            return await asyncio.wrap_future(self.executor().submit(fn, *args, **kwargs))
        try:
            return await self._call("shared", fn, args, kwargs)
        except BrokenProcessPool:
            pass
        alone = self._alone.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with alone:  # one page at a time: a worker that dies now died of this page
            for _ in range(ALONE_DEATHS - 1):
                try:
                    return await self._call("alone", fn, args, kwargs)
                except BrokenProcessPool:
                    pass  # once may be bad luck (an OOM kill aimed elsewhere): once more
            try:
                return await self._call("alone", fn, args, kwargs)
            except BrokenProcessPool:
                raise Quarantined(f"it killed an extraction worker {ALONE_DEATHS} times") from None

    async def _call(self, which: str, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        executor = self.executor(which)
        if not self._alive(executor):  # a worker killed while idle must not blame the next page
            self._replace(executor)
            executor = self.executor(which)
        future = asyncio.wrap_future(executor.submit(bounded, self.timeout, fn, *args, **kwargs))
        try:
            return await asyncio.wait_for(
                asyncio.shield(future), self.timeout * HARD_TIMEOUT_FACTOR + 5
            )
        except BrokenProcessPool:
            self._replace(executor)
            raise
        except asyncio.TimeoutError:  # stuck in C code, deaf to the alarm: kill its workers
            self._kill(executor)
            self._replace(executor)
            raise BrokenProcessPool("an extraction worker was stuck and was killed") from None

    @staticmethod
    def _alive(executor: Executor) -> bool:
        return all(p.is_alive() for p in getattr(executor, "_processes", {}).values())

    @staticmethod
    def _kill(executor: Executor) -> None:
        for process in list(getattr(executor, "_processes", {}).values()):
            process.kill()

    def shutdown(self) -> None:
        with self._lock:
            for executor in self._executors.values():
                executor.shutdown(wait=True, cancel_futures=True)
            self._executors.clear()
