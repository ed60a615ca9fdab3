"""Run records and source health on the real node: a crawl's runs, a layout change, silence."""

from __future__ import annotations

import json
import shutil

import pytest

from monitor.devserver import render_sources, serve
from monitor.es.bulk import write
from monitor.es.client import make_client
from monitor.es.schema import delete_all, ensure_index
from monitor.health import classify, source_health
from tests.conftest import SITES, crawl_json, new_config, run_monitor


def run(new: int, **extra) -> dict:
    base = {
        "failed": False,
        "failure": None,
        "finish_reason": "finished",
        "new_documents": new,
        "unchanged": 0,
        "no_text": 0,
        "listing_pages": 0,
        "listing_links": 0,
        "errors": 0,
        "pages": 5,
    }
    return {**base, **extra}


def test_every_crawl_records_a_run_per_source(two_crawls, es, es_config):
    runs = es.search(index=es_config.index_name("runs"), size=100, sort=[{"started_at": "asc"}])[
        "hits"
    ]["hits"]
    docs = [hit["_source"] for hit in runs]
    assert len(docs) == 8 and len({d["run_id"] for d in docs}) == 2  # two crawls, four sources
    gov = [d for d in docs if d["source_id"] == "jiangdong-gov"]
    assert [d["new_documents"] for d in gov] == [10, 0] and gov[1]["not_modified"] == 3
    assert gov[0]["listing_pages"] == 3 and gov[0]["listing_links"] == 10
    assert (
        gov[0]["http_status"]["200"] >= 13
        and gov[0]["bytes"] > 0
        and gov[0]["duration_seconds"] > 0
    )
    sitemap = next(d for d in docs if d["source_id"] == "pacific-sitemap")
    assert sitemap["errors_by_kind"] == {"404": 1} and sitemap["http_status"]["404"] == 1


def test_status_reports_health_per_source(two_crawls, es_config):
    status = json.loads(run_monitor("status", "--json", config=es_config).stdout)
    health = {h["source"]: h for h in status["sources"]}
    assert set(health) == {"jiangdong-gov", "dongfang-tech", "pacific-atom", "pacific-sitemap"}
    assert all(h["state"] == "ok" and h["runs"] == 2 for h in health.values())
    assert (
        health["jiangdong-gov"]["documents_24h"] == 10
        and health["jiangdong-gov"]["error_rate"] == 0
    )


def test_a_changed_listing_layout_makes_the_source_broken(tmp_path):
    site = tmp_path / "www"
    shutil.copytree(SITES / "www", site)
    shutil.copy(SITES / "headers.json", tmp_path / "headers.json")
    for page in (site / "gov/zcwj").glob("index*.html"):  # the CMS renamed its list class
        page.write_bytes(
            page.read_bytes().replace(b'<ul class="list">', b'<ul class="news-items">')
        )
    server = serve(site)
    config = new_config()
    try:
        sources = render_sources(SITES / "sources.yaml", server.base, tmp_path / "sources.yaml")
        crawl_json(sources, config, "--source", "jiangdong-gov", "--no-translate")
        [health] = source_health(make_client(config), config)
        assert health["state"] == "broken" and "no article links" in health["reason"]
    finally:
        server.shutdown()
        delete_all(make_client(config), config)


@pytest.mark.parametrize(
    "history, state",
    [
        (
            [run(0), run(0), run(0), run(4)],
            "silent",
        ),  # used to produce, now three runs without news
        ([run(0), run(0), run(0)], "ok"),  # never produced much: quiet, not silent
        ([run(0), run(0), run(3)], "ok"),
        ([run(0, failed=True, failure="nothing fetched"), run(5)], "broken"),
        ([run(0, no_text=8), run(5)], "broken"),  # pages came, text did not
        ([], "never run"),
    ],
)
def test_health_rules(history, state):
    assert classify(history)[0] == state


def test_silence_is_found_in_stored_runs():
    config = new_config()
    es = make_client(config)
    try:
        alias = ensure_index(es, config, "runs")
        history = [run(4), run(0), run(0), run(0)]
        docs = [
            (
                "create",
                f"r{i}",
                {
                    **r,
                    "run_id": f"r{i}",
                    "source_id": "quiet-feed",
                    "started_at": f"2024-05-0{i + 1}T00:00:00Z",
                },
            )
            for i, r in enumerate(history)
        ]
        assert all(error is None for _, error in write(es, alias, docs, refresh=True))
        [health] = source_health(es, config)
        assert health["state"] == "silent" and health["last_success"] == "2024-05-04T00:00:00Z"
    finally:
        delete_all(es, config)


def test_a_source_that_stops_producing_becomes_silent(tmp_path):
    """Crawled four times, the sample feed yields news once and then nothing new three times."""
    server = serve(SITES / "www")
    config = new_config()
    try:
        sources = render_sources(SITES / "sources.yaml", server.base, tmp_path / "sources.yaml")
        states = []
        for _ in range(4):
            crawl_json(sources, config, "--source", "dongfang-tech", "--no-translate")
            [health] = source_health(make_client(config), config)
            states.append(health["state"])
        assert states == ["ok", "ok", "ok", "silent"]
    finally:
        server.shutdown()
        delete_all(make_client(config), config)
