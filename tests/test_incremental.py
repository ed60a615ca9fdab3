"""Incremental crawling on the real node and a real HTTP server: conditional GETs answered 304,
known articles not fetched again, re-checks, retries after an outage, and kill -9 then resume."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest
from elasticsearch import ApiError

from monitor.crawl.seen import fingerprint
from monitor.demo.server import crawl_command, render_sources, serve
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from tests.conftest import SITES, crawl_json, new_config
from tests.sites.generated import generate_site, write_listing

NEW_ARTICLE = "/gov/zcwj/202406/t20240625_111.html"
NEW_PAGE = """<html><head><meta charset="gbk"><title>关于推进传感器产业集聚发展的通知</title></head>
<body><div class="article"><h1>关于推进传感器产业集聚发展的通知</h1>
<div class="info">发布日期：2024-06-25</div><div class="content">
<p>各市工业和信息化主管部门：为加快传感器产业集聚发展，现将有关事项通知如下。</p>
<p>一、支持龙头企业建设中试平台，对符合条件的项目给予资金补助，推动产品迭代和规模化应用。</p>
<p>二、鼓励园区建设共性技术服务中心，降低中小企业研发和检测成本，形成上下游协同的产业生态。</p>
</div></div></body></html>"""


@pytest.fixture
def site(tmp_path):
    """A private copy of the sample sites (tests change it), served on its own port."""
    root = tmp_path / "www"
    shutil.copytree(SITES / "www", root)
    server = serve(root)
    sources = render_sources(SITES / "sources.yaml", server.base, tmp_path / "sources.yaml")
    yield root, server, sources
    server.shutdown()


@pytest.fixture
def config(es_config):  # es_config: the node is running, started if needed
    config = new_config()
    yield config
    delete_all(make_client(config), config)


def fetched_since(server, mark: int, status: int = 200) -> list[str]:
    return [path for path, code in server.log[mark:] if code == status]


def articles(paths: list[str]) -> list[str]:
    return [p for p in paths if "/20" in p and "index" not in p and not p.endswith(".xml")]


def test_only_new_and_changed_pages_are_fetched(site, config):
    root, server, sources = site
    crawl_json(sources, config)
    listing = root / "gov/zcwj/index.html"
    new_link = '<li><a href="./202406/t20240625_111.html">关于推进传感器产业集聚发展的通知</a></li>'
    listing.write_bytes(
        listing.read_bytes().replace(
            b'<ul class="list">', b'<ul class="list">' + new_link.encode("gbk")
        )
    )
    (root / NEW_ARTICLE.lstrip("/")).write_bytes(NEW_PAGE.encode("gbk"))
    mark = len(server.log)
    second = crawl_json(sources, config)
    gov = second["jiangdong-gov"]
    assert gov["indexed"] == 1 and gov["known"] == 4 and gov["not_modified"] == 2
    assert articles(fetched_since(server, mark)) == [NEW_ARTICLE]
    assert sorted(fetched_since(server, mark, 304)) == [
        "/ennews/atom.xml",
        "/ennews/sitemap-news.xml.gz",
        "/ennews/sitemap-pages.xml",
        "/gov/zcwj/index_1.html",
        "/gov/zcwj/index_2.html",
        "/zhnews/rss.xml",
    ]
    es = make_client(config)
    record = es.get(index=config.index_name("seen"), id=fingerprint(server.base + NEW_ARTICLE))
    assert record["_source"]["kind"] == "article" and record["_source"]["etag"]
    assert record["_source"]["first_seen_at"] == record["_source"]["last_seen_at"]


def test_full_crawl_fetches_everything_again(site, config):
    _, server, sources = site
    first = crawl_json(sources, config)
    mark = len(server.log)
    second = crawl_json(sources, config, "--full")
    assert second["jiangdong-gov"]["unchanged"] == 10 and second["jiangdong-gov"]["known"] == 0
    assert len(articles(fetched_since(server, mark))) >= sum(s["indexed"] for s in first.values())


def test_recheck_fetches_known_articles_conditionally(site, tmp_path, config):
    root, server, sources = site
    text = sources.read_text().replace(
        "    language: zh\n", "    language: zh\n    recheck: 0s\n", 1
    )
    sources.write_text(text)  # the first source (jiangdong-gov) re-checks every run
    crawl_json(sources, config, "--source", "jiangdong-gov")
    changed = root / "gov/zcwj/202403/t20240305_101.html"
    changed.write_bytes(
        changed.read_bytes().replace("三年行动".encode("gbk"), "五年行动".encode("gbk"))
    )
    mark = len(server.log)
    second = crawl_json(sources, config, "--source", "jiangdong-gov")["jiangdong-gov"]
    assert second["indexed"] == 1 and second["unchanged"] == 0
    assert articles(fetched_since(server, mark)) == ["/gov/zcwj/202403/t20240305_101.html"]
    assert len(articles(fetched_since(server, mark, 304))) == 9


def test_an_article_that_failed_is_retried_next_run(site, config):
    _, server, sources = site
    broken = "/gov/zcwj/202404/t20240415_105.html"
    server.fail[broken] = 503
    first = crawl_json(sources, config, "--source", "jiangdong-gov")["jiangdong-gov"]
    assert first["indexed"] == 9 and first["errors"] == 1
    del server.fail[broken]
    mark = len(server.log)
    second = crawl_json(sources, config, "--source", "jiangdong-gov")["jiangdong-gov"]
    # the listing page that linked to it was not recorded, so it was read again (its two other
    # links known) and the article retried; the two other listing pages answered 304
    assert second["indexed"] == 1 and second["known"] == 2 and second["not_modified"] == 2
    assert articles(fetched_since(server, mark)) == [broken]


def test_killed_crawl_resumes_without_loss_or_duplicates(tmp_path, config):
    pages = 120
    paths = generate_site(tmp_path / "www", pages)
    write_listing(tmp_path / "www", paths, per_page=20)
    server = serve(tmp_path / "www")
    server.delay = 0.15  # slow enough to be killed half-way
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"sources:\n  - id: big\n    type: listing\n    urls: {server.base}/site/list/index.html\n"
        "    links: ul.articles a\n    next: a.next\n"
    )
    command = crawl_command(
        sources,
        "--no-translate",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=4",
        "-s",
        "MONITOR_BULK_SIZE=5",
    )
    env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix)
    es = make_client(config)
    articles_alias, seen_alias = config.index_name("articles"), config.index_name("seen")
    crawl = subprocess.Popen(
        command,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:  # the index the crawl has just created may not answer yet (503): ask again
                if (
                    es.indices.exists_alias(name=articles_alias)
                    and es.count(index=articles_alias)["count"] >= 25
                ):
                    break
            except ApiError as exc:
                if exc.meta.status != 503:
                    raise
            time.sleep(0.2)
        else:
            pytest.fail("the crawl stored nothing in 120 s")
    finally:
        os.killpg(crawl.pid, signal.SIGKILL)
        crawl.wait()
    es.indices.refresh(index=[articles_alias, seen_alias])
    stored_before = es.count(index=articles_alias)["count"]
    seen = es.search(
        index=seen_alias, query={"term": {"kind": "article"}}, size=pages, source=["url"]
    )
    seen_before = {hit["_source"]["url"] for hit in seen["hits"]["hits"]}
    assert 25 <= stored_before < pages and seen_before

    server.delay = 0
    mark = len(server.log)
    result = crawl_json(sources, config)["big"]
    es.indices.refresh(index=articles_alias)
    docs = es.search(index=articles_alias, size=2 * pages, source=["canonical_url"])["hits"]["hits"]
    urls = [hit["_source"]["canonical_url"] for hit in docs]
    assert len(urls) == pages and len(set(urls)) == pages  # nothing lost, nothing twice
    assert {server.base + p for p in paths} == set(urls)
    refetched = {server.base + p for p in fetched_since(server, mark) if p.startswith("/site/0")}
    assert not refetched & seen_before  # what was recorded before the kill is not fetched again
    assert result["indexed"] == pages - stored_before and result["known"] == len(seen_before)
    server.shutdown()


def test_a_failed_seen_record_lookup_fetches_the_pages_and_loses_none(site, config):
    """The seen-record cannot answer (its index is closed): its look-ups mean "unknown", so every
    article is fetched again and found unchanged; nothing is dropped, and the failures are
    counted."""
    _, server, sources = site
    first = crawl_json(sources, config, "--no-translate")
    stored = sum(s["indexed"] for s in first.values())
    es = make_client(config)
    es.indices.close(index=config.index_name("seen"))
    mark = len(server.log)
    second = crawl_json(sources, config, "--no-translate")
    assert sum(s["known"] for s in second.values()) == 0
    assert sum(s["unchanged"] for s in second.values()) >= stored  # all found, as stored
    assert sum(s["indexed"] for s in second.values()) == 0
    assert any(s["reasons"].get("seen_lookup_errors") for s in second.values()), second
    assert len(articles(fetched_since(server, mark))) >= stored
