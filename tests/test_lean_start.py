"""A command that runs no crawl (search, show, feed, refs) starts without the client's asyncio
half (monitor.cli.common.lean_client): the synchronous client talks to the real node as always,
the asyncio one is a placeholder that says so, and nothing else of the command changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = """
import json, sys
from monitor.cli.common import lean_client

@lean_client
def command():
    from elasticsearch import AsyncElasticsearch
    from monitor.es.client import make_client
    from monitor.es.config import EsConfig
    health = make_client(EsConfig.from_env()).cluster.health()["status"]
    try:
        AsyncElasticsearch("http://127.0.0.1:1")
        refused = None
    except RuntimeError as exc:
        refused = str(exc)
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("aiohttp", "requests")
                    and sys.modules[m] is not None)
    print(json.dumps({"health": health, "refused": refused, "loaded": loaded,
                      "async_client": type(sys.modules["elasticsearch._async.client"]).__name__,
                      "async_doc": sys.modules["elasticsearch._async.client"].__doc__}))

command()
"""


def test_a_lean_command_talks_to_the_node_without_the_asyncio_client(es_config):
    env = dict(os.environ, MONITOR_INDEX_PREFIX=es_config.index_prefix)
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout)
    assert found["health"] in ("green", "yellow")
    assert found["refused"] == "the asyncio Elasticsearch client is not loaded in this command"
    assert found["loaded"] == []  # aiohttp and requests marked absent
    assert "lean_client" in found["async_doc"]
