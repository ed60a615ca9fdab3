"""Scheduling: due computation and adaptive intervals with injected time (no sleeping), `--once`
end to end, and a clean stop of the service on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

from monitor import command as monitor_command
from monitor.demo.server import LOCAL_CRAWL_SETTINGS
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from monitor.schedule import adaptive_interval, next_due
from monitor.sources import Schedule
from tests.conftest import ROOT, OutputLines, new_config, run_monitor

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def runs(*new: int, last: datetime = NOW - timedelta(minutes=30)) -> list[dict]:
    return [
        {"new_documents": n, "failed": False, "started_at": (last - i * HOUR).isoformat()}
        for i, n in enumerate(new)
    ]


def test_adaptive_interval_stretches_for_quiet_sources_and_shrinks_for_busy_ones():
    assert adaptive_interval(HOUR, runs(3, 4)) == HOUR
    assert adaptive_interval(HOUR, runs(0, 0)) == HOUR * 2.25
    assert adaptive_interval(HOUR, runs(*[0] * 10)) == HOUR * 4  # bounded
    assert adaptive_interval(HOUR, runs(50, 40)) == HOUR / 2.25
    assert adaptive_interval(HOUR, runs(*[50] * 10)) == HOUR / 4


def test_due_times():
    every = Schedule(every=HOUR)
    assert next_due(every, [], NOW) == NOW  # never ran: due now
    assert next_due(every, runs(5), NOW) == NOW + timedelta(minutes=30)
    assert next_due(every, runs(0, 0), NOW) == NOW - timedelta(minutes=30) + HOUR * 2.25
    cron = Schedule(every=None, cron="0 */6 * * *")
    assert next_due(cron, runs(5), NOW) == NOW  # ran at 11:30, the 12:00 slot is due
    after_noon = runs(5, last=NOW)  # ran at 12:00: next slot 18:00
    assert next_due(cron, after_noon, NOW + HOUR) == datetime(
        2024, 6, 1, 18, 0, tzinfo=timezone.utc
    )


def sources_file(tmp_path, base: str) -> str:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        f"  - id: gov\n    type: listing\n    urls: {base}/gov/zcwj/index.html\n"
        "    links: ul.list li a\n"
        "    pages: {pattern: 'index_{n}.html', count: 2}\n    schedule: {every: 1h}\n"
        f"  - id: atom\n    type: feed\n    urls: {base}/ennews/atom.xml\n"
        "    schedule: {every: 2h}\n"
    )
    return str(path)


FAST = (*LOCAL_CRAWL_SETTINGS, "-s", "MONITOR_PROGRESS_INTERVAL=0")


def test_once_crawls_what_is_due_and_nothing_else(tmp_path, site_server):
    config = new_config()
    path = sources_file(tmp_path, site_server.base)
    try:

        def once(*extra: str) -> list[str]:
            result = run_monitor(
                "schedule", "--sources", path, "--once", "--json", *FAST, *extra, config=config
            )
            assert result.returncode == 0, result.stderr[-2000:]
            crawled = json.loads(result.stdout.splitlines()[-1])["crawled"]
            batches.append({o["batch"] for o in crawled})
            return sorted(o["source"] for o in crawled)

        batches: list[set[int]] = []
        assert once("--concurrency", "1") == ["atom", "gov"]  # never ran
        assert len(batches[-1]) == 1  # due together: crawled together, in one process
        assert once() == []  # just ran
        later = (datetime.now(timezone.utc) + timedelta(minutes=90)).isoformat()
        assert once("--now", later) == ["gov"]  # hourly is due, two-hourly is not
    finally:
        delete_all(make_client(config), config)


def test_service_stops_cleanly_on_sigterm(tmp_path, site_server):
    """A restart or deploy mid-crawl: the running crawl stops cleanly, is recorded as
    interrupted, not failed, and raises no health alert."""
    config = new_config()
    path = sources_file(tmp_path, site_server.base)
    site_server.delay = 0.3  # the crawl is still running when SIGTERM comes
    # no sources check beside the crawl: the site's requests below are the crawl's own
    env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix, MONITOR_CHECK_EVERY="off")
    process = subprocess.Popen(
        monitor_command("schedule", "--sources", path, *FAST),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = OutputLines(process.stdout, ": starting")
    try:
        assert output.wait(120), "".join(output.lines)  # a crawl is running
        starting = next(line for line in output.lines if ": starting" in line)
        assert "gov" in starting and "atom" in starting  # both were due: one crawl process
        mark = len(site_server.log)
        deadline = time.monotonic() + 60
        while len(site_server.log) < mark + 3 and time.monotonic() < deadline:
            time.sleep(0.05)  # ... and fetching
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
        log = output.text()
        assert process.returncode == 0, log
        assert "received SIGTERM" in log and "scheduler stopped" in log
        assert "exit 143" in log, log  # the crawl says it was stopped by SIGTERM
        es = make_client(config)
        es.indices.refresh(index=config.index_name("runs"))
        runs = [h["_source"] for h in es.search(index=config.index_name("runs"))["hits"]["hits"]]
        assert runs and all(r["interrupted"] and not r["failed"] for r in runs), runs
        alerts = config.index_name("alerts")
        assert not es.indices.exists_alias(name=alerts) or not es.count(index=alerts)["count"]
    finally:
        site_server.delay = 0
        if process.poll() is None:
            process.kill()
        delete_all(make_client(config), config)


def test_run_records_older_than_the_retention_are_deleted(tmp_path, site_server):
    """A source crawled every minute writes 1,440 run records a day: `monitor schedule` keeps
    MONITOR_RUNS_RETENTION of them (90 days by default)."""
    from monitor.crawl.runs import record_runs

    config = new_config()
    path = sources_file(tmp_path, site_server.base)
    es = make_client(config)
    now = datetime.now(timezone.utc)
    old = [
        {"run_id": f"old{i}", "source_id": "gov", "new_documents": 0, "failed": False,
         "started_at": (now - timedelta(days=days)).isoformat()}
        for i, days in enumerate((100, 91))
    ]  # fmt: skip
    recent = {"run_id": "recent", "source_id": "gov", "new_documents": 0, "failed": False,
              "started_at": (now - timedelta(days=89)).isoformat()}  # fmt: skip
    try:
        assert record_runs(es, config, [*old, recent]) == []
        result = run_monitor(
            "schedule", "--sources", path, "--once", "--json", *FAST, config=config
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert "2 records older than 90d deleted" in result.stdout + result.stderr
        es.indices.refresh(index=config.index_name("runs"))
        ids = {h["_source"]["run_id"] for h in es.search(index=config.index_name("runs"),
                                                           size=100)["hits"]["hits"]}  # fmt: skip
        assert "recent" in ids and not ids & {"old0", "old1"}
        bad = run_monitor("schedule", "--sources", path, "--once", "--runs-retention", "soon",
                          config=config)  # fmt: skip
        assert bad.returncode == 2 and "MONITOR_RUNS_RETENTION" in bad.stderr
    finally:
        delete_all(es, config)


FORKED = """
import json, os, sys
from monitor.cli.forked import fork_server

server, results = fork_server(), []
for _ in range(2):
    crawl = server.start(sys.argv[1:])
    code, out = crawl.wait()
    results.append({"code": code, "summary": json.loads(out), "pid": crawl.pid})
print(json.dumps({"results": results, "scrapy_here": "scrapy" in sys.modules}))
"""


def test_service_crawls_are_forked_from_a_server_that_imported_them_once(tmp_path, site_server):
    """The service forks each crawl from the fork server (monitor.crawl.forkserver): two crawls
    in a row from one server, each with a reactor of its own, the second finding nothing new;
    the launching process never imports Scrapy; the server's preload installs no reactor and
    starts no thread (a fork copies only the forking thread)."""
    config = new_config()
    path = sources_file(tmp_path, site_server.base)
    env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix)
    try:
        done = subprocess.run(
            [sys.executable, "-c", FORKED, "crawl", "--sources", path, "--json", "--no-translate",
             *FAST],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        report = json.loads(done.stdout)
        first, second = report["results"]
        assert first["code"] == second["code"] == 0
        assert first["pid"] != second["pid"]
        assert sum(s["indexed"] for s in first["summary"]["sources"]) >= 3
        assert sum(s["indexed"] for s in second["summary"]["sources"]) == 0  # all known
        assert not report["scrapy_here"]
        preload = subprocess.run(
            [sys.executable, "-c", "import sys, threading, monitor.cli.preload; "
             "print('twisted.internet.reactor' in sys.modules, threading.active_count(), "
             "'scrapy.crawler' in sys.modules, 'spiders.feed' in sys.modules)"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert preload.stdout.split() == ["False", "1", "True", "True"], preload.stderr
    finally:
        delete_all(make_client(config), config)
