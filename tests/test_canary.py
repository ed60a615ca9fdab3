"""The scheduler's canaries: `sources check` of every enabled source once a period, each verdict
stored, a change raised as a source health alert and delivered (a real JSONL channel), the last
check in `monitor status`; against a real site whose layout changes, and the real node."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from monitor.demo.server import serve
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from monitor.schedule import ScheduleService
from monitor.sources import load_sources
from tests.conftest import crawl_json, new_config, run_monitor
from tests.sites.discoverable import finish_news_site, news_site

SOURCE = """sources:
  - id: news
    type: listing
    urls: "{base}/news/index.html"
    links: "ul.stories li a"
    next: "div.paging a"
    language: en
"""


def test_a_layout_change_is_alerted_by_the_next_check_and_its_repair_too(tmp_path, monkeypatch):
    root = tmp_path / "www"
    root.mkdir()
    news_site(root)
    server = serve(root)
    finish_news_site(root, server.base)
    sources_file = tmp_path / "sources.yaml"
    sources_file.write_text(SOURCE.format(base=server.base), encoding="utf-8")
    delivered = tmp_path / "health.jsonl"
    channels = tmp_path / "channels.yaml"
    channels.write_text(
        f"channels:\n  - id: log\n    type: jsonl\n    path: {delivered}\nhealth: [log]\n"
    )
    monkeypatch.setenv("MONITOR_CHANNELS_FILE", str(channels))
    config = new_config()
    es = make_client(config)
    service = ScheduleService(
        config, es, load_sources(sources_file), str(sources_file),
        ("-s", "MONITOR_PRIVATE_NETWORKS=127.0.0.1/32"), check_every=timedelta(days=1),
    )  # fmt: skip
    page = root / "news" / "index.html"
    original = page.read_text(encoding="utf-8")
    day = datetime(2026, 12, 1, 6, tzinfo=timezone.utc)
    try:
        assert service.canary(day) == []  # the first check, ok: nothing to say
        asked = len(server.requests)
        assert asked >= 3  # robots.txt, the listing, its next page, an article
        assert service.canary(day + timedelta(hours=3)) == []  # not due: nothing fetched
        assert len(server.requests) == asked
        page.write_text(original.replace("class='stories'", "class='items'"), encoding="utf-8")
        [alert] = service.canary(day + timedelta(days=1))
        assert (alert["state"], alert["previous_state"]) == ("broken", "check ok")
        assert alert["reason"].startswith("sources check: no links")
        crawl_json(sources_file, config)  # a run: `monitor status` lists the source
        status = run_monitor("status", "--json", config=config)
        [row] = [s for s in json.loads(status.stdout)["sources"] if s["source"] == "news"]
        assert row["last_check"]["verdict"] == "no links"
        assert row["last_check"]["checked_at"].startswith("2026-12-02")
        said = run_monitor("status", config=config).stdout
        assert "[check no links 2026-12-02]" in said
        page.write_text(original, encoding="utf-8")
        [back] = service.canary(day + timedelta(days=2))
        assert (back["state"], back["previous_state"]) == ("ok", "check no links")
        lines = [json.loads(x) for x in delivered.read_text().splitlines()]
        assert len(lines) == 2 and "no links" in json.dumps(lines[0], ensure_ascii=False)
    finally:
        server.shutdown()
        delete_all(es, config)


def test_an_ok_check_whose_article_lost_its_date_is_fields_missing():
    from monitor.alerts.canary import _fields_kept

    before = {"ok": True, "verdict": "ok", "title": "A", "published_at": "2026-12-01"}
    report = {"ok": True, "verdict": "ok", "title": "B", "published_at": None, "article": "u"}
    _fields_kept(report, before)
    assert (report["ok"], report["verdict"]) == (False, "fields missing")
    assert report["error"] == "the article's date no longer found (u)"
    fine = {"ok": True, "verdict": "ok", "title": "B", "published_at": "2026-12-02"}
    _fields_kept(fine, before)
    assert fine["verdict"] == "ok"
    _fields_kept(report := {"ok": True, "verdict": "ok", "title": None}, None)  # first check
    assert report["verdict"] == "ok"
