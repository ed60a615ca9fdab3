"""The real sites as they are (issue 25): lists their script builds, read where the browser
reads them; crawled end to end against a local server shaped as the real CMSs answer."""

from __future__ import annotations

import pytest

from monitor.demo.server import serve
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from tests.conftest import crawl_json, new_config
from tests.sites.cms_shells import ShellSite

SOURCES = """sources:
  - id: miit-shell
    type: listing
    urls: "{base}/zwgk/zcwj/wjfb/tz/index.html"
    links: "ul.list-unstyled li a"   # the real site's selector: nothing in the shell itself
    pages: auto
    language: zh
    doc_type: policy
  - id: jiangsu-shell
    type: listing
    urls: "{base}/col/col6197/index.html"
    links: ".list li a"
    pages: auto
    language: zh
    doc_type: policy
"""


@pytest.fixture(scope="module")
def shells(tmp_path_factory):
    root = tmp_path_factory.mktemp("shells")
    server = serve(root)
    site = ShellSite(root).install(server)
    sources = tmp_path_factory.mktemp("shell-sources") / "sources.yaml"
    sources.write_text(SOURCES.format(base=server.base), encoding="utf-8")
    config = new_config()
    first = crawl_json(sources, config)
    es = make_client(config)
    es.indices.refresh(index=config.index_name("articles"))
    hits = es.search(index=config.index_name("articles"), size=100)["hits"]["hits"]
    docs = {h["_source"]["url"].removeprefix(server.base): h["_source"] for h in hits}
    before = {"jpaas": list(site.jpaas), "jpage": list(site.jpage)}
    added = {kind: site.add_article(kind) for kind in ("jpaas", "jpage")}
    mark = len(server.log)
    second = crawl_json(sources, config)
    yield before, first, docs, second, server.log[mark:], added
    delete_all(es, config)
    server.shutdown()


def test_a_jpaas_shell_is_read_through_its_unit_endpoint(shells):
    before, first, docs, _, _, _ = shells
    summary = first["miit-shell"]
    assert summary["lists"] == {"jpaas": 1}
    assert summary["indexed"] == len(before["jpaas"]) == 8 and not summary["failed"]
    for path, title, day in before["jpaas"]:
        assert docs[path]["title"] == title and docs[path]["published_at"][:10] == day


def test_a_jpage_column_is_read_from_the_page_then_its_data_proxy(shells):
    before, first, docs, _, _, _ = shells
    summary = first["jiangsu-shell"]
    assert summary["lists"] == {"jpage": 1}
    # nine records in the page itself, three more from the data proxy
    assert summary["indexed"] == len(before["jpage"]) == 12 and not summary["failed"]
    assert all(docs[path]["title"] == title for path, title, _ in before["jpage"])


def test_a_second_run_fetches_only_the_new_articles(shells):
    _, _, _, second, requests, added = shells
    articles = [path for path, _ in requests if "/art" in path and path.endswith(".html")]
    assert sorted(articles) == sorted(added.values())
    assert second["miit-shell"]["indexed"] == 1 and second["jiangsu-shell"]["indexed"] == 1
    assert second["miit-shell"]["known"] >= 8 and second["jiangsu-shell"]["known"] >= 12
