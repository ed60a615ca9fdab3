"""Faults waited out, against real parts: the Elasticsearch node cut off half-way through a crawl
(through a TCP proxy in front of the real node), and Ctrl-C / SIGTERM during a crawl."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import pytest

from monitor.demo.server import crawl_command
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from tests.conftest import OutputLines, new_config, stored_count
from tests.faultkit import TcpProxy
from tests.sites.generated import served_listing


@pytest.fixture()
def big_site(tmp_path):
    server, sources, paths = served_listing(tmp_path, 300)
    yield server, sources, paths
    server.shutdown()


def test_an_elasticsearch_outage_mid_crawl_is_waited_out_and_nothing_is_lost(es_config, big_site):
    server, sources, paths = big_site
    config = new_config()
    assert make_client(es_config).cluster.health()["status"] in ("green", "yellow")
    target = es_config.effective_url.rsplit(":", 1)
    proxy = TcpProxy("127.0.0.1", int(target[1]))
    server.delay = 0.02
    env = dict(
        os.environ,
        MONITOR_INDEX_PREFIX=config.index_prefix,
        MONITOR_ES_URL=proxy.url,
    )
    command = crawl_command(sources, "--no-translate", "--json", "-s", "MONITOR_BULK_SIZE=10")
    crawl = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    outage = threading.Event()

    def cut_at_page_60():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if sum(1 for path, _ in server.log if path.startswith("/site/0")) >= 60:
                proxy.cut()
                outage.set()
                time.sleep(20)
                proxy.restore()
                return
            time.sleep(0.05)

    cutter = threading.Thread(target=cut_at_page_60, daemon=True)
    cutter.start()
    try:
        out, err = crawl.communicate(timeout=300)
    finally:
        cutter.join(30)
        proxy.cut()
    try:
        assert outage.is_set(), "the crawl finished before the outage"
        assert crawl.returncode == 0, err[-3000:]
        assert "Elasticsearch unreachable, waiting (attempt" in err
        assert "Traceback" not in err, err[-3000:]
        es = make_client(config)
        es.indices.refresh(index=config.index_name("articles"))
        docs = es.search(index=config.index_name("articles"), size=600, source=["url"])
        urls = [hit["_source"]["url"] for hit in docs["hits"]["hits"]]
        assert len(urls) == len(paths) == len(set(urls))  # all 300, each once
    finally:
        delete_all(make_client(es_config), config)


def test_ctrl_c_stops_the_crawl_cleanly_with_exit_130_and_no_health_change(es_config, big_site):
    server, sources, paths = big_site
    config = new_config()
    server.delay = 0.05
    channels = sources.parent / "channels.yaml"
    alerts_file = sources.parent / "alerts.jsonl"
    channels.write_text(
        f"channels:\n  - id: log\n    type: jsonl\n    path: {alerts_file}\nhealth: [log]\n"
    )
    env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix)
    command = crawl_command(sources, "--channels", str(channels))  # with a translation worker
    crawl = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    try:
        deadline = time.monotonic() + 120
        while sum(1 for p, _ in server.log if p.startswith("/site/0")) < 40:
            assert time.monotonic() < deadline and crawl.poll() is None
            time.sleep(0.05)
        os.killpg(crawl.pid, signal.SIGINT)  # what Ctrl-C at a terminal does
        out, err = crawl.communicate(timeout=120)
    finally:
        if crawl.poll() is None:
            os.killpg(crawl.pid, signal.SIGKILL)
    try:
        assert crawl.returncode == 130, err[-3000:]
        assert "stopping (SIGINT)" in err
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-3000:]
        assert "interrupted" in out and "FAILED" not in out
        es = make_client(config)
        es.indices.refresh(index=config.index_name("runs"))
        runs = es.search(index=config.index_name("runs"))["hits"]["hits"]
        assert [(r["_source"]["interrupted"], r["_source"]["failed"]) for r in runs] == [
            (True, False)
        ]
        assert not alerts_file.exists() or not alerts_file.read_text().strip()
        stored = es.count(index=config.index_name("articles"))["count"]
        assert 0 < stored < len(paths)
        server.delay = 0  # the next run picks up the rest, nothing twice
        again = subprocess.run(
            crawl_command(sources, "--no-translate", "--json"),
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert again.returncode == 0, again.stderr[-2000:]
        es.indices.refresh(index=config.index_name("articles"))
        docs = es.search(index=config.index_name("articles"), size=600, source=["url"])
        urls = [hit["_source"]["url"] for hit in docs["hits"]["hits"]]
        assert len(urls) == len(set(urls)) == len(paths)
    finally:
        delete_all(make_client(es_config), config)


def test_sigterm_while_the_crawl_starts_is_a_clean_stop_too(es_config, big_site):
    """SIGTERM before the crawl has fetched anything (here: while a slow cluster has not yet
    answered its first request, as a deploy can stop a crawl just started): exit 143, one line,
    no traceback, nothing fetched, no run recorded; not a process killed by the signal (-15)."""
    server, sources, _ = big_site
    config = new_config()
    target = es_config.effective_url.rsplit(":", 1)
    proxy = TcpProxy("127.0.0.1", int(target[1]))
    proxy.hold()  # the cluster slow: the crawl's first request waits for an answer
    env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix, MONITOR_ES_URL=proxy.url)
    crawl = subprocess.Popen(
        crawl_command(sources, "--no-translate"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    errors = OutputLines(crawl.stderr, " crawling ")
    try:
        assert errors.wait(120), "".join(errors.lines)
        time.sleep(1)  # its imports done, or not: either way before Scrapy can start
        crawl.send_signal(signal.SIGTERM)
        proxy.release()  # the cluster answers: the crawl finds it was asked to stop
        out = crawl.stdout.read()
        crawl.wait(timeout=120)
        err = errors.text()
        assert crawl.returncode == 143, (crawl.returncode, err[-3000:])
        assert "stopping (SIGTERM)" in err and "Traceback" not in err, err[-3000:]
        assert not [path for path, _ in server.log if path.startswith("/site/")], out
        es = make_client(config)
        runs = config.index_name("runs")
        assert not es.indices.exists_alias(name=runs) or not es.count(index=runs)["count"]
    finally:
        if crawl.poll() is None:
            crawl.kill()
        proxy.close()
        delete_all(make_client(es_config), config)


def test_captures_survive_kill_9(es_config, big_site, tmp_path):
    """A crawl killed with -9 mid-way: every WARC file still reads to its last whole record,
    every stored document's capture reads back, and the resumed crawl's do too."""
    from monitor.crawl.capture import read_capture, records

    server, sources, paths = big_site
    config = new_config()
    server.delay = 0.02
    warc = tmp_path / "warc"
    env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix, MONITOR_WARC_DIR=str(warc))
    crawl = subprocess.Popen(
        crawl_command(sources, "--no-translate"), env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        es = make_client(config)
        alias = config.index_name("articles")
        while stored_count(es, alias) < 20:
            assert time.monotonic() < deadline and crawl.poll() is None
            time.sleep(0.1)
        os.killpg(crawl.pid, signal.SIGKILL)  # mid-crawl: pages fetched, stored, in flight
        crawl.wait(timeout=30)
        server.delay = 0
        files = sorted(warc.glob("*.warc.gz"))
        assert files and sum(len(list(records(f))) for f in files) > 0

        def every_capture_reads() -> int:
            es = make_client(config)
            es.indices.refresh(index=config.index_name("articles"))
            hits = es.search(index=config.index_name("articles"), size=600, source=["capture"])
            docs = [h["_source"] for h in hits["hits"]["hits"]]
            assert all(read_capture(warc, d["capture"]).status == 200 for d in docs)
            return len(docs)

        assert 0 < every_capture_reads() < len(paths)
        again = subprocess.run(
            crawl_command(sources, "--no-translate", "--json"),
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr[-2000:]
        assert every_capture_reads() == len(paths)
    finally:
        if crawl.poll() is None:
            os.killpg(crawl.pid, signal.SIGKILL)
        delete_all(make_client(es_config), config)
