"""`scrapy crawl <spider> -a source=<id>` works from the project root, into Elasticsearch."""

from __future__ import annotations

import os
import subprocess
import sys

from monitor.es.client import make_client
from monitor.es.schema import delete_all
from tests.conftest import FAST, ROOT, new_config


def test_scrapy_crawl_listing_source(sample_sources, es_config):
    config = new_config()
    env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix)
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "listing",
                "-a",
                "source=jiangdong-gov",
                "-s",
                f"MONITOR_SOURCES_FILE={sample_sources}",
                *FAST,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert "'monitor/index/indexed': 10" in result.stderr
        es = make_client(config)
        es.indices.refresh(index=config.index_name("articles"))
        assert es.count(index=config.index_name("articles"))["count"] == 10
    finally:
        delete_all(make_client(config), config)


def test_scrapy_crawl_has_the_same_parts_as_monitor_crawl_translation_included(
    sample_sources, argos_home
):
    """A plain `scrapy crawl` used to run without translation (the worker was handed over in
    Settings by `monitor crawl` only): the add-on gives it the process's parts, so its Chinese
    documents are translated and its watches matched as under `monitor crawl`."""
    config = new_config()
    env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix,
               MONITOR_ARGOS_HOME=str(argos_home))  # fmt: skip
    try:
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "listing", "-a", "source=jiangdong-gov",
             "-s", f"MONITOR_SOURCES_FILE={sample_sources}", *FAST],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
        assert "'monitor/watches/submitted': 10" in result.stderr
        es = make_client(config)
        es.indices.refresh(index=config.index_name("articles"))
        fields = ["language", "translation.status", "text_en"]
        hits = es.search(index=config.index_name("articles"), size=20, source=fields)
        hits = hits["hits"]["hits"]
        assert len(hits) == 10
        assert {h["_source"]["translation"]["status"] for h in hits} == {"done"}
        assert all(h["_source"]["text_en"] for h in hits)
    finally:
        delete_all(make_client(config), config)


def test_scrapy_crawl_with_the_wrong_spider_for_a_source(sample_sources):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "feed",
            "-a",
            "source=jiangdong-gov",
            "-s",
            f"MONITOR_SOURCES_FILE={sample_sources}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (
        "source 'jiangdong-gov' is of type 'listing'; crawl it with the 'listing' spider"
        in result.stderr
    )
