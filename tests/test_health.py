"""Run records and source health on the real node: a crawl's runs, a layout change, silence."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone

import pytest

from monitor.alerts.health import Rhythm, classify, merge_parts, source_health
from monitor.demo.server import render_sources, serve
from monitor.es.bulk import write
from monitor.es.client import make_client
from monitor.es.schema import delete_all
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
        "links": 5,
        "not_modified": 0,
        "known": 0,
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


NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


def rhythm(every: timedelta, last_new: timedelta, documents: int = 20) -> Rhythm:
    """A source that published every `every`, the newest document stored `last_new` ago."""
    stamps = [NOW - last_new - i * every for i in range(documents)]
    return Rhythm.from_documents(
        [{"published_at": t.isoformat(), "first_seen_at": t.isoformat()} for t in stamps]
    )


HOURLY_QUIET_FOR_A_WEEK = rhythm(timedelta(hours=1), timedelta(days=7))


@pytest.mark.parametrize(
    "history, pace, state",
    [
        # an hourly source without news for a week is silent, a weekly one is not
        ([run(0)], HOURLY_QUIET_FOR_A_WEEK, "silent"),
        ([run(0)], rhythm(timedelta(days=7), timedelta(days=7)), "ok"),
        # six minutes after its first crawl, a source is not silent
        ([run(0), run(12)], rhythm(timedelta(hours=3), timedelta(minutes=6)), "ok"),
        ([run(0)], rhythm(timedelta(hours=1), timedelta(days=30), documents=3), "ok"),  # unknown
        ([run(0, failed=True, failure="nothing fetched"), run(5)], None, "broken"),
        ([run(0, no_text=8), run(5)], None, "broken"),  # pages came, text did not
        # a feed answering 404, or HTML configured as a feed: its pages gave no links
        ([run(0, links=0, errors=1, errors_by_kind={"404": 1}), run(5)], None, "broken"),
        ([run(0, links=0), run(5)], None, "broken"),
        ([run(0, links=0, not_modified=1)], None, "ok"),  # 304: unchanged, not empty
        # every article answered 503: nothing stored
        ([run(0, links=10, errors=10, errors_by_kind={"503": 10})], None, "broken"),
        ([run(0, links=10, known=10)], None, "ok"),  # all known: an incremental run
        ([run(0, interrupted=True, failed=False, links=0), run(5)], None, "ok"),  # Ctrl-C
        ([], None, "never run"),
    ],
)
def test_health_rules(history, pace, state):
    assert classify(history, pace, NOW)[0] == state


def test_the_parts_of_a_shared_crawl_are_judged_as_one_run():
    """Distributed mode: one part read the sitemap (its links), two fetched only articles (no
    links of their own); alone, those two would look broken."""
    parts = [
        run(40, links=0, shared="t1"),
        run(35, links=0, shared="t1", health="ok"),
        run(25, links=100, shared="t1"),
        run(3),
    ]
    merged = merge_parts(parts)
    assert len(merged) == 2 and merged[0]["links"] == 100 and merged[0]["new_documents"] == 100
    assert merged[0]["health"] == "ok" and merged[1] == run(3)
    assert classify(merged, None, NOW)[0] == "ok"
    assert classify(parts[:1], None, NOW)[0] == "broken"  # what a part alone would say
    failed = merge_parts([run(0, shared="t2", failed=True), run(9, shared="t2")])
    assert not failed[0]["failed"]  # one part failed, the crawl did not


def test_silence_says_why():
    state, reason = classify([run(0)], HOURLY_QUIET_FOR_A_WEEK, NOW)
    assert state == "silent" and "no new document for 7 days" in reason and "every 1 h" in reason


def test_a_source_that_stops_producing_turns_silent_and_recovers_to_ok(tmp_path):
    """Crawled with news, then its newest document ages past its rhythm (moved back in time in
    the index): the next crawl, with nothing new, alerts ok → silent; new news alerts back to ok."""
    server = serve(SITES / "www")
    config = new_config()
    es = make_client(config)
    alerts_file = tmp_path / "alerts.jsonl"
    channels = tmp_path / "channels.yaml"
    channels.write_text(
        f"channels:\n  - id: log\n    type: jsonl\n    path: {alerts_file}\nhealth: [log]\n"
    )
    sources = render_sources(SITES / "sources.yaml", server.base, tmp_path / "sources.yaml")
    args = ("--source", "dongfang-tech", "--no-translate", "--channels", str(channels))

    alias = config.index_name("articles")

    def age_documents(days: int) -> None:  # (this node has no _update_by_query)
        hits = es.search(index=alias, size=100, source=["first_seen_at"])["hits"]["hits"]
        old = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat()
        actions = [("update", h["_id"], {"first_seen_at": old}) for h in hits]
        assert hits and not [e for _, e in write(es, alias, actions, refresh=True) if e]

    try:
        crawl_json(sources, config, *args)
        [health] = source_health(es, config)
        assert health["state"] == "ok"
        age_documents(60)  # two months without anything new
        crawl_json(sources, config, *args, "--full")
        [health] = source_health(es, config)
        assert health["state"] == "silent", health
        first = es.search(index=alias, size=1)["hits"]["hits"][0]["_id"]
        es.delete(index=alias, id=first, refresh=True)  # it "appears": the next crawl stores it
        crawl_json(sources, config, *args, "--full")
        [health] = source_health(es, config)
        assert health["state"] == "ok"
        changes = [json.loads(line) for line in alerts_file.read_text().splitlines()]
        assert [(a["previous_state"], a["state"]) for a in changes] == [
            ("ok", "silent"),
            ("silent", "ok"),
        ]
        assert all(a["status"] == "delivered" for a in changes)
    finally:
        server.shutdown()
        delete_all(es, config)
