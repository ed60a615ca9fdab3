"""The extraction pool: off the reactor, shared across settings copies, survives dead workers,
bounds every call in time and memory, quarantines the page that kills workers, and never outlives
the crawl process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from monitor.crawl.extraction import ExtractionPool, Quarantined
from monitor.text.limits import PageRejected
from tests import crashy

pytestmark = pytest.mark.fast  # no Elasticsearch, Redis or browser


def test_a_dead_worker_process_is_replaced_and_the_call_retried(tmp_path):
    pool = ExtractionPool("process", 1)
    try:
        result = asyncio.run(pool.run(crashy.crash_once, str(tmp_path / "marker")))
        assert result == "survived" and pool.restarts == 1
        assert asyncio.run(pool.run(crashy.pid)) != asyncio.run(asyncio.to_thread(crashy.pid))
    finally:
        pool.shutdown()


def test_a_page_that_kills_workers_is_quarantined_and_the_pages_beside_it_come_through():
    pool = ExtractionPool("process", 2)

    async def crawl():
        calls = [pool.run(crashy.crash_always)] + [pool.run(crashy.pid) for _ in range(6)]
        return await asyncio.gather(*calls, return_exceptions=True)

    try:
        results = asyncio.run(crawl())
        assert isinstance(results[0], Quarantined)
        assert all(isinstance(r, int) for r in results[1:]), results
    finally:
        pool.shutdown()


def test_memory_and_time_limits_reject_the_page_not_the_worker():
    pool = ExtractionPool("process", 1, timeout=2, memory_mb=400)
    try:
        with pytest.raises(PageRejected) as memory:
            asyncio.run(pool.run(crashy.hog, 2048))
        assert memory.value.reason == "too_large"
        started = time.monotonic()
        with pytest.raises(PageRejected) as slow:
            asyncio.run(pool.run(time.sleep, 30))
        assert slow.value.reason == "too_slow" and time.monotonic() - started < 10
        assert asyncio.run(pool.run(crashy.hog, 50)) == 50 * 1024 * 1024
        assert pool.restarts == 0
    finally:
        pool.shutdown()


def test_a_worker_deaf_to_the_alarm_is_killed_and_the_page_quarantined():
    pool = ExtractionPool("process", 1, timeout=1)
    try:
        started = time.monotonic()
        with pytest.raises(Quarantined):
            asyncio.run(pool.run(crashy.deaf_sleep, 60))
        assert time.monotonic() - started < 30
        assert isinstance(asyncio.run(pool.run(crashy.pid)), int)
    finally:
        pool.shutdown()


PARENT = """
import sys, time
from monitor.crawl.extraction import ExtractionPool
pool = ExtractionPool("process", 2)
pool.warm()
time.sleep(3)
print(" ".join(str(p) for p in pool.executor()._processes), flush=True)
time.sleep(600)
"""


def test_workers_exit_when_the_crawl_process_is_killed():
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    try:
        workers = [int(p) for p in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(psutil.pid_exists(p) for p in workers)
        children = psutil.Process(parent.pid).children(recursive=True)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, f"left running: {[p.cmdline()[:3] for p in alive]}"
    finally:
        if parent.poll() is None:
            parent.kill()
