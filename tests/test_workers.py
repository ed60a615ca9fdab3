"""The extraction pool: off the reactor, shared across settings copies, survives dead workers."""

from __future__ import annotations

import asyncio
import copy

from monitor.workers import ExtractionPool
from tests import crashy


def test_a_dead_worker_process_is_replaced_and_the_call_retried(tmp_path):
    pool = ExtractionPool("process", 1)
    try:
        result = asyncio.run(pool.run(crashy.crash_once, str(tmp_path / "marker")))
        assert result == "survived" and pool.restarts == 1
        assert asyncio.run(pool.run(crashy.pid)) != asyncio.run(asyncio.to_thread(crashy.pid))
    finally:
        pool.shutdown()


def test_pool_survives_scrapy_settings_copy():
    pool = ExtractionPool("thread", 2)
    assert copy.deepcopy({"MONITOR_EXTRACT_POOL": pool})["MONITOR_EXTRACT_POOL"] is pool
    pool.shutdown()
