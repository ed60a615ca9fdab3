"""A three-node local cluster (`monitor es start --nodes 3`): indices get a replica, and one node
killed with -9 in the middle of a crawl loses nothing and doubles nothing (the client fails over
between the URLs of MONITOR_ES_URL; the replica takes over)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from monitor.demo.server import crawl_command
from monitor.es.client import make_client
from monitor.es.cluster import LocalCluster, free_base_port
from monitor.es.config import EsConfig
from tests.conftest import new_config, stored_count
from tests.sites.generated import served_listing


@pytest.fixture(scope="module")
def cluster():
    config = EsConfig.from_env({"MONITOR_ES_PORT": str(free_base_port())})
    local = LocalCluster(config, 3)
    try:
        urls = local.start(timeout=400)
        yield local, ",".join(urls)
    finally:
        local.stop()
        shutil.rmtree(local.root, ignore_errors=True)


def test_a_node_killed_mid_crawl_loses_and_doubles_nothing(cluster, tmp_path):
    local, urls = cluster
    server, sources, paths = served_listing(tmp_path, 200)
    server.delay = 0.02
    config = new_config(MONITOR_ES_URL=urls)
    env = dict(os.environ, MONITOR_ES_URL=urls, MONITOR_INDEX_PREFIX=config.index_prefix)
    crawl = subprocess.Popen(
        crawl_command(sources, "--no-translate", "--json"), env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    es = make_client(config)
    alias = config.index_name("articles")
    try:
        deadline = time.monotonic() + 180
        while stored_count(es, alias) < 30:
            assert time.monotonic() < deadline and crawl.poll() is None
            time.sleep(0.2)
        settings = es.indices.get_settings(index=alias)
        replicas = next(iter(settings.values()))["settings"]["index"]
        assert replicas.get("auto_expand_replicas") == "0-1"
        shards = es.cat.shards(index=alias, format="json", h="prirep,node,state")
        assert sorted(s["prirep"] for s in shards) == ["p", "r"]  # a replica on another node
        primary = next(s["node"] for s in shards if s["prirep"] == "p")
        local.kill(int(primary.removeprefix("node-")))  # the node holding the primary
        out, err = crawl.communicate(timeout=400)
        assert crawl.returncode == 0, err[-3000:]
        es.indices.refresh(index=alias)
        urls_stored = [
            h["_source"]["url"] for h in es.search(index=alias, size=500)["hits"]["hits"]
        ]
        assert len(urls_stored) == len(set(urls_stored)) == len(paths)
    finally:
        if crawl.poll() is None:
            crawl.kill()
        server.shutdown()
        try:
            from monitor.es.schema import delete_all

            delete_all(make_client(config), config)
        except Exception:  # the cluster lost a node: the module fixture removes it all anyway
            pass
