"""Feeds out (issue 30): a saved search and a watch as Atom (`monitor feed`), read by feedparser
as a feed reader reads them, and `monitor serve` answering real HTTP on loopback: the feeds, the
search and document pages (looked at in Debian's Chromium, a screenshot checked), read-only, and
a token on any other address."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import feedparser
import pytest

from monitor import command as monitor_command
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from tests.conftest import ROOT, crawl_json, new_config, run_monitor

WATCHLIST = """watches:
  - id: litho-export
    name: Lithography export controls
    all: [lithography, export controls]
    channels: [log]
"""
TOKEN = "s3cret-token-for-feeds-0123"


@pytest.fixture(scope="module")
def crawled(sample_sources, tmp_path_factory):
    """The sample sites crawled with a watch, and a saved search (its name has a space)."""
    folder = tmp_path_factory.mktemp("feeds")
    channels = folder / "channels.yaml"
    channels.write_text(f"channels:\n  - id: log\n    type: jsonl\n    path: {folder}/a.jsonl\n")
    watchlist = folder / "watchlists.yaml"
    watchlist.write_text(WATCHLIST)
    config = new_config()
    env = {"MONITOR_WATCHLIST_FILE": str(watchlist)}
    crawl_json(sample_sources, config, "--channels", str(channels), env_extra=env)
    saved = run_monitor("search", "semiconductor", "--save", "chip news", config=config)
    assert saved.returncode == 0, saved.stderr
    yield config, folder
    delete_all(make_client(config), config)


def search_json(config, *args: str) -> dict:
    result = run_monitor("search", *args, "--json", config=config)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def alerts_of(config, watch_id: str) -> list[dict]:
    es = make_client(config)
    es.indices.refresh(index=config.index_name("alerts"))
    query = {"term": {"watch_id": watch_id}}
    return [h["_source"] for h in es.search(index=config.index_name("alerts"), query=query,
                                            size=100)["hits"]["hits"]]  # fmt: skip


def test_a_saved_search_is_an_atom_feed_of_its_newest_documents(crawled):
    config, folder = crawled
    out = folder / "chips.atom"
    before = saved_search(config)
    result = run_monitor("feed", "chip news", "--out", str(out), config=config)
    assert result.returncode == 0, result.stderr
    parsed = feedparser.parse(out.read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10" and parsed.feed.title == "Saved search “chip news”"
    expected = search_json(config, "semiconductor", "--sort", "date", "--size", "50")["hits"]
    assert [e.title.split(" — ")[0] for e in parsed.entries] == [h["title"] for h in expected]
    assert len({e.id for e in parsed.entries}) == len(parsed.entries) > 2
    for entry, hit in zip(parsed.entries, expected, strict=True):
        assert entry.link == hit["url"] and entry.link.startswith("http://127.0.0.1")
        assert entry.id.endswith(f":doc:{hit['id']}") and entry.updated_parsed
        assert "<b>" in entry.summary  # the matched words, in bold
    chinese = [e for e in parsed.entries if any("\u4e00" <= c <= "\u9fff" for c in e.title)]
    assert chinese, [e.title for e in parsed.entries]  # the English query found Chinese pages
    # reading the feed is not a run of the saved search
    assert saved_search(config) == before


def saved_search(config) -> dict:
    listed = run_monitor("searches", "list", "--json", config=config)
    [saved] = json.loads(listed.stdout)["searches"]
    return saved


def test_a_watch_is_a_feed_of_its_alerts_and_a_name_is_looked_up_for_the_user(crawled):
    config, _ = crawled
    result = run_monitor("feed", "watch:litho-export", config=config)
    assert result.returncode == 0, result.stderr
    parsed = feedparser.parse(result.stdout.encode())
    assert not parsed.bozo and parsed.feed.title == "Watch “Lithography export controls”"
    raised = alerts_of(config, "litho-export")
    assert sorted(e.link for e in parsed.entries) == sorted(a["url"] for a in raised) and raised
    assert all("Matched:" in e.summary for e in parsed.entries)
    as_json = run_monitor("feed", "litho-export", "--json", config=config)  # bare: unique
    assert len(json.loads(as_json.stdout)["entries"]) == len(raised)
    listed = json.loads(run_monitor("feed", "--list", "--json", config=config).stdout)["feeds"]
    assert [f["key"] for f in listed] == ["search:chip news", "watch:litho-export"]
    missing = run_monitor("feed", "nothing-here", config=config)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert "search:chip news, watch:litho-export" in missing.stderr


class Served:
    def __init__(self, config, *extra: str, env: dict | None = None):
        self.process = subprocess.Popen(
            monitor_command("serve", "--port", "0", "--json", *extra),
            cwd=ROOT, env=dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix, **(env or {})),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        line = self.process.stdout.readline()
        assert line, self.process.stderr.read()
        self.started = json.loads(line)
        self.url = self.started["url"]

    def get(self, path: str, method: str = "GET", headers: dict | None = None):
        request = urllib.request.Request(self.url + path, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def stop(self) -> str:
        self.process.terminate()
        _, err = self.process.communicate(timeout=30)
        return err


@pytest.fixture(scope="module")
def served(crawled):
    server = Served(crawled[0])
    yield server
    server.stop()


def test_serve_answers_the_feeds_search_and_documents_read_only(crawled, served):
    assert served.url.startswith("http://127.0.0.1:")
    assert served.started["feeds"] == ["search:chip news", "watch:litho-export"]
    status, headers, body = served.get("/")
    assert status == 200 and "script-src" not in headers["Content-Security-Policy"]
    assert b"/feeds/search:chip%20news.atom" in body and b"rel=alternate" in body
    status, headers, body = served.get("/feeds/search:chip%20news.atom")
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(body)
    assert not parsed.bozo and parsed.entries
    related = [link.href for link in parsed.entries[0].links if link.rel == "related"]
    assert related and related[0].startswith(served.url + "/doc/")
    status, _, page = served.get(related[0].removeprefix(served.url))
    assert status == 200 and parsed.entries[0].title.split(" — ")[0].encode() in page
    status, _, body = served.get("/search?q=" + urllib.parse.quote("光刻机"))
    assert status == 200 and b"<mark>" in body and b"/doc/" in body
    assert served.get("/feeds/search:chip%20news.atom", method="POST")[0] == 405
    assert served.get("/search", method="DELETE")[0] == 405
    assert served.get("/feeds/nope.atom")[0] == 404 and served.get("/doc/nope")[0] == 404
    assert served.get("/search?q=" + "x" * 600)[0] == 400
    status, _, body = served.get("/search?q=" + urllib.parse.quote('"unclosed'))
    assert status in (200, 400), body  # a query error is a page, never a crash
    assert served.get("/healthz")[0] == 200


def test_a_hostile_title_is_shown_as_text(crawled, served):
    """A page's title and URL are an attacker's: stored as they came, shown escaped, and a
    javascript: link is not a link."""
    config, _ = crawled
    es = make_client(config)
    alias = config.index_name("articles")
    es.index(index=alias, id="hostile-1", refresh=True, document={
        "title": "<script>alert(1)</script><img src=x onerror=alert(2)>", "text": "x",
        "url": "javascript:alert(3)", "language": "en", "source_id": "evil",
    })  # fmt: skip
    status, _, body = served.get("/doc/hostile-1")
    assert status == 200
    assert b"<script>alert" not in body and b"<img src=x" not in body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert b"href='javascript:" not in body and b'href="javascript:' not in body
    es.delete(index=alias, id="hostile-1", refresh=True)


def test_the_pages_look_right_in_a_real_browser(crawled, served, tmp_path):
    """Debian's Chromium opens the search page: the hits are there and the matched words are
    drawn highlighted (the screenshot holds the highlight's colour); no request leaves it."""
    from PIL import Image
    from playwright.sync_api import sync_playwright

    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    assert fonts.strip(), "no Chinese font for Chromium: `make test` installs fonts-wqy-microhei"

    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("request", lambda r: requested.append(r.url))
            page.goto(served.url + "/search?q=" + urllib.parse.quote("lithography"))
            titles = page.locator(".hit h3 a").all_inner_texts()
            shot = tmp_path / "search.png"
            page.screenshot(path=str(shot))
            page.locator(".hit h3 a").first.click()
            page.wait_for_load_state()
            heading = page.locator("h1").inner_text()
        finally:
            browser.close()
    assert titles and heading == titles[0]
    assert all(url.startswith(served.url) for url in requested), requested
    image = Image.open(shot).convert("RGB")
    assert image.size == (1100, 900)
    colours = image.getcolors(maxcolors=1 << 20)
    highlight = sum(n for n, (r, g, b) in colours if r > 240 and 225 < g < 250 and b < 160)
    assert highlight > 200, "no highlighted word drawn"  # <mark>: #fe8
    ink = sum(n for n, (r, g, b) in colours if r + g + b < 200)
    assert ink > 2000  # text was drawn


def test_beyond_loopback_a_token_is_required_and_never_logged(crawled):
    config, _ = crawled
    refused = run_monitor("serve", "--host", "0.0.0.0", "--port", "0", config=config)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "needs a token" in refused.stderr
    server = Served(config, "--host", "0.0.0.0", env={"MONITOR_SERVE_TOKEN": TOKEN})
    try:
        server.url = server.url.replace("0.0.0.0", "127.0.0.1")
        assert server.get("/feeds/watch:litho-export.atom")[0] == 401
        assert server.get("/feeds/watch:litho-export.atom?token=wrong")[0] == 401
        status, headers, body = server.get(f"/feeds/watch:litho-export.atom?token={TOKEN}")
        assert status == 200 and feedparser.parse(body).entries
        assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Strict" in headers["Set-Cookie"]
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert server.get("/search?q=chip", headers=bearer)[0] == 200
        cookie = {"Cookie": headers["Set-Cookie"].split(";")[0]}
        assert server.get("/", headers=cookie)[0] == 200
        time.sleep(0.2)
    finally:
        log = server.stop()
    assert TOKEN not in log and "token=***" in log, log
