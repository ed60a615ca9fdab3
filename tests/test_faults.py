"""Faults waited out, against real parts: the Elasticsearch node cut off half-way through a crawl
(through a TCP proxy in front of the real node), and Ctrl-C / SIGTERM during a crawl."""

from __future__ import annotations

import os
import subprocess
import threading
import time

import pytest

from monitor.devserver import crawl_command, serve
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from tests.conftest import new_config
from tests.sites.generated import generate_site, write_listing
from tests.tcpproxy import TcpProxy


@pytest.fixture()
def big_site(tmp_path):
    pages = 300
    paths = generate_site(tmp_path / "www", pages)
    write_listing(tmp_path / "www", paths, per_page=50)
    server = serve(tmp_path / "www")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"sources:\n  - id: big\n    type: listing\n    urls: {server.base}/site/list/index.html\n"
        "    links: ul.articles a\n    next: a.next\n"
    )
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
