"""`monitor sources discover` against real local servers: for each kind of site, the proposed
entry, written with --write and crawled as written, finds the site's articles and no navigation
pages; the guard, robots.txt and the budget hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from monitor.demo.server import serve
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from tests.conftest import ROOT, crawl_json, new_config, run_monitor
from tests.sites.cms_shells import ShellSite
from tests.sites.discoverable import drawn_site, finish_news_site, news_site, sitemap_site

LOCAL = {"MONITOR_PRIVATE_NETWORKS": "127.0.0.1/32"}
DEMO = ROOT / "monitor" / "demo" / "sites" / "www"


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    news_root = tmp_path_factory.mktemp("news")
    news = news_site(news_root)
    news_server = serve(news_root)
    finish_news_site(news_root, news_server.base)
    map_root = tmp_path_factory.mktemp("sitemap")
    map_server = serve(map_root)
    mapped = sitemap_site(map_root, map_server.base)
    shell_root = tmp_path_factory.mktemp("shell")
    shell_server = serve(shell_root)
    shell = ShellSite(shell_root).install(shell_server)
    demo_server = serve(DEMO)
    yield {
        "news": (news_server, news),
        "sitemap": (map_server, mapped),
        "shell": (shell_server, [path for path, _, _ in shell.jpaas]),
        "demo": (demo_server, None),
    }
    for server in (news_server, map_server, shell_server, demo_server):
        server.shutdown()


def discover(*args: str, env: dict | None = LOCAL) -> tuple[int, dict | None, str]:
    result = run_monitor("sources", "discover", *args, "--delay", "0", "--json", env_extra=env)
    payload = json.loads(result.stdout) if result.stdout.strip() else None
    return result.returncode, payload, result.stderr


def crawled_paths(sources: Path, base: str) -> tuple[dict, set[str]]:
    config = new_config()
    try:
        summary = crawl_json(sources, config)
        es = make_client(config)
        es.indices.refresh(index=config.index_name("articles"))
        hits = es.search(index=config.index_name("articles"), size=500, source=["url"])
        return summary, {h["_source"]["url"].removeprefix(base) for h in hits["hits"]["hits"]}
    finally:
        delete_all(make_client(config), config)


def written(tmp_path: Path, url: str) -> tuple[dict, Path]:
    target = tmp_path / "sources.yaml"
    code, payload, stderr = discover(url, "--write", str(target))
    assert code == 0, stderr
    entries = yaml.safe_load(target.read_text(encoding="utf-8"))["sources"]
    assert len(entries) == 1 and "# discovered from" in target.read_text(encoding="utf-8")
    return entries[0], target


def test_a_news_section_is_its_list_not_its_menus_rails_or_tags(sites, tmp_path):
    server, articles = sites["news"]
    url = f"{server.base}/news/index.html"
    code, payload, _ = discover(url, "--all")
    proposals = payload["urls"][0]["proposals"]
    kinds = [p["entry"]["type"] for p in proposals]
    assert kinds[0] == "listing" and "feed" in kinds
    feed = next(p for p in proposals if p["entry"]["type"] == "feed")
    assert feed["entry"]["urls"] == f"{server.base}/news/rss.xml"
    assert "linked from the page: 10 entries" in feed["why"][0]
    entry, sources = written(tmp_path, url)
    assert entry["links"] == "ul.stories li a" and entry["next"] == "div.paging a"
    assert entry["language"] == "en" and entry["allow"] == "/news/"  # not /news/2024/05/
    summary, paths = crawled_paths(sources, server.base)
    found = paths & set(articles)
    assert len(found) >= 0.95 * len(articles) == 0.95 * 18
    assert paths <= set(articles), "a navigation or topic page was crawled as an article"


def test_a_site_with_only_a_sitemap_is_read_through_it(sites, tmp_path):
    server, articles = sites["sitemap"]
    entry, sources = written(tmp_path, f"{server.base}/index.html")
    assert entry["type"] == "sitemap" and entry["urls"] == f"{server.base}/sitemap.xml"
    _, paths = crawled_paths(sources, server.base)
    assert paths == set(articles)


def test_a_gbk_government_listing_with_a_script_pager(sites, tmp_path):
    server, _ = sites["demo"]
    entry, sources = written(tmp_path, f"{server.base}/gov/zcwj/index.html")
    assert (entry["links"], entry["pages"], entry["doc_type"]) == ("ul.list li a", "auto", "policy")
    assert entry["encoding"] in ("gb18030", "gbk") and entry["language"] == "zh"
    _, paths = crawled_paths(sources, server.base)
    expected = {
        "/" + str(p.relative_to(DEMO)) for p in (DEMO / "gov" / "zcwj").glob("2024*/t*.html")
    }
    assert len(paths & expected) >= 0.95 * len(expected) and len(expected) == 10
    assert all(p.startswith("/gov/zcwj/2024") for p in paths)


def test_a_list_built_by_script_is_read_where_its_script_reads_it(sites, tmp_path):
    server, articles = sites["shell"]
    entry, sources = written(tmp_path, f"{server.base}/zwgk/zcwj/wjfb/tz/index.html")
    assert entry["pages"] == "auto" and entry["doc_type"] == "policy"
    _, paths = crawled_paths(sources, server.base)
    assert len(paths & set(articles)) >= 0.95 * len(articles) and len(articles) == 8


def test_a_feed_given(sites):
    server, _ = sites["demo"]
    code, payload, _ = discover(f"{server.base}/zhnews/rss.xml")
    best = payload["urls"][0]["proposals"][0]
    assert best["entry"]["type"] == "feed" and best["why"][0] == "the feed given: 14 entries"


def test_a_list_drawn_by_script_is_rendered_in_chromium(tmp_path):
    """No list in the page's HTML, only a script: the entry renders it (Debian's Chromium), and
    its crawl finds every article."""
    root = tmp_path / "www"
    root.mkdir()
    articles = drawn_site(root)
    server = serve(root)
    try:
        entry, sources = written(tmp_path, f"{server.base}/column/index.html")
        assert entry["render"] is True and entry["pages"] == "none"
        summary, paths = crawled_paths(sources, server.base)
        assert summary[entry["id"]]["rendered"] >= 1
        assert paths == set(articles)
    finally:
        server.shutdown()


def test_discovery_keeps_to_public_addresses_and_robots_txt(sites):
    server, _ = sites["demo"]
    code, payload, stderr = discover(f"{server.base}/gov/zcwj/index.html", env={})
    assert code == 2 and payload is None
    said = stderr.strip().splitlines()[-1]
    assert said.endswith(
        "refused (private_address): 127.0.0.1 is 127.0.0.1, not public "
        "(allow it with MONITOR_PRIVATE_NETWORKS)"
    )
    code, _, stderr = discover(f"{server.base}/zhnews/private/internal.html")
    assert code == 2 and "robots.txt disallows" in stderr
    code, _, stderr = discover("file:///etc/passwd")
    assert code == 2 and "refused (scheme)" in stderr


def test_ids_stay_unique_in_the_file_written_to(sites, tmp_path):
    server, _ = sites["news"]
    target = tmp_path / "sources.yaml"
    url = f"{server.base}/news/index.html"
    for _ in range(2):
        assert discover(url, "--write", str(target))[0] == 0
    ids = [s["id"] for s in yaml.safe_load(target.read_text(encoding="utf-8"))["sources"]]
    assert len(ids) == 2 and len(set(ids)) == 2


def test_check_proves_a_written_entry_then_names_each_layout_change(tmp_path):
    """discover → --write → check is ok (links, examples, the pager's next page and its links,
    the sampled articles); the site's list renamed: no links; its pager renamed: no pager."""
    root = tmp_path / "www"
    root.mkdir()
    news_site(root)
    server = serve(root)
    try:
        finish_news_site(root, server.base)
        _, sources = written(tmp_path, f"{server.base}/news/index.html")

        def check() -> tuple[int, dict]:
            result = run_monitor(
                "sources", "check", "--sources", str(sources), "--json", "--delay", "0",
                "--sample", "3", env_extra=LOCAL,
            )  # fmt: skip
            return result.returncode, json.loads(result.stdout)["sources"][0]

        code, report = check()
        assert code == 0 and report["verdict"] == "ok" and report["links"] == 10
        assert report["pager"] == {"kind": "next", "url": f"{server.base}/news/index_2.html",
                                   "links": 8}  # fmt: skip
        assert len(report["examples"]) == 3 and len(report["articles"]) == 3
        assert all(a["language"] == "en" and a["chars"] > 200 for a in report["articles"])
        page = root / "news" / "index.html"
        original = page.read_text(encoding="utf-8")
        page.write_text(original.replace("class='paging'", "class='pgr'"), encoding="utf-8")
        code, report = check()
        assert code == 1 and report["verdict"] == "no pager"
        page.write_text(original.replace("class='stories'", "class='items'"), encoding="utf-8")
        code, report = check()
        assert code == 1 and report["verdict"] == "no links"
    finally:
        server.shutdown()
