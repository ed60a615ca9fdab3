"""Kibana cannot run here, so: the NDJSON parses, every reference resolves, every query and
aggregation the objects contain runs on the real node over the sample data and finds something,
and the import reaches a real HTTP server as Kibana's API expects it."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitor.demo.server import render_sources, serve
from monitor.demo.sites.docs.apis import install
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from monitor.kibana import es_request
from tests.conftest import SITES, crawl_json, new_config, run_monitor


def exported(es_config) -> list[dict]:
    result = run_monitor("kibana", "export", config=es_config)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


# What Kibana 8's saved objects import reads of each type (its documented export format): the
# object's keys, and for each type the attributes it needs and the JSON strings inside them.
ATTRIBUTES = {
    "index-pattern": {"title", "timeFieldName", "name"},
    "search": {"title", "columns", "sort", "kibanaSavedObjectMeta"},
    "visualization": {"title", "visState", "uiStateJSON", "description", "kibanaSavedObjectMeta"},
    "dashboard": {"title", "panelsJSON", "optionsJSON", "timeRestore", "kibanaSavedObjectMeta"},
}


@pytest.mark.parametrize("kind", sorted(ATTRIBUTES))
def test_each_type_is_in_kibanas_import_format(es_config, kind):
    from monitor.kibana import TYPE_MIGRATION

    objects = [o for o in exported(es_config) if o["type"] == kind]
    assert objects
    for obj in objects:
        assert set(obj) == {"type", "id", "attributes", "references", "coreMigrationVersion",
                            "typeMigrationVersion", "managed"}, obj["id"]  # fmt: skip
        assert obj["coreMigrationVersion"] == "8.8.0" and obj["managed"] is False
        assert obj["typeMigrationVersion"] == TYPE_MIGRATION[kind]
        assert ATTRIBUTES[kind] <= set(obj["attributes"]), obj["id"]
        names = [ref["name"] for ref in obj["references"]]
        assert len(names) == len(set(names)) and all({"name", "type", "id"} == set(r)
                                                      for r in obj["references"])  # fmt: skip
        meta = obj["attributes"].get("kibanaSavedObjectMeta")
        if meta:  # a search source names its data view by a reference, never by a raw id
            source = json.loads(meta["searchSourceJSON"])
            assert "index" not in source
            if "indexRefName" in source:
                assert source["indexRefName"] in names
        if kind == "visualization":
            state = json.loads(obj["attributes"]["visState"])
            assert state["title"] == obj["attributes"]["title"] and state["aggs"]
        if kind == "dashboard":
            panels = json.loads(obj["attributes"]["panelsJSON"])
            assert {p["panelRefName"] for p in panels} == set(names)


def test_ndjson_parses_and_every_reference_resolves(es_config):
    objects = exported(es_config)
    ids = {(o["type"], o["id"]) for o in objects}
    assert len(ids) == len(objects)
    assert {o["type"] for o in objects} == {"index-pattern", "search", "visualization", "dashboard"}
    for obj in objects:
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in ids, f"{obj['id']}: dangling reference {ref}"
    [dashboard] = [o for o in objects if o["type"] == "dashboard"]
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    names = {ref["name"] for ref in dashboard["references"]}
    assert len(panels) == 8 and all(p["panelRefName"] in names for p in panels)
    views = {
        o["id"]: o["attributes"]["timeFieldName"] for o in objects if o["type"] == "index-pattern"
    }
    assert views == {  # Discover's time picker works on publication time; crawl time for operations
        es_config.index_name("articles"): "published_at",
        es_config.index_name("articles") + "-crawled": "crawled_at",
        es_config.index_name("runs"): "started_at",
        es_config.index_name("alerts"): "raised_at",
    }


@pytest.fixture(scope="module")
def alerted(tmp_path_factory):
    """A configuration whose sample source broke once (articles, runs, a health alert), with the
    exchange filings of the documents fixture."""
    tmp = tmp_path_factory.mktemp("alerted")
    shutil.copytree(SITES / "www", tmp / "www")
    server = serve(tmp / "www")
    config = new_config()
    sources = render_sources(SITES / "sources.yaml", server.base, tmp / "sources.yaml")
    crawl = ("--source", "jiangdong-gov", "--no-translate")
    watchlist = tmp / "watchlists.yaml"  # and watch alerts, for the alerts-by-watch panel
    watchlist.write_text("watches:\n  - id: ic\n    any: [集成电路, integrated circuit]\n")
    crawl += ("--watchlist", str(watchlist))
    try:
        crawl_json(sources, config, *crawl)
        for page in (tmp / "www/gov/zcwj").glob("index*.html"):
            page.write_bytes(page.read_bytes().replace(b'class="list"', b'class="items"'))
        crawl_json(sources, config, *crawl)
        docs = serve(SITES / "docs" / "www")
        install(docs)
        filings = render_sources(SITES / "docs" / "sources.yaml", docs.base, tmp / "docs.yaml")
        crawl_json(filings, config, "--source", "cninfo-huachen", "--no-translate")
        docs.shutdown()
        yield config
    finally:
        server.shutdown()
        delete_all(make_client(config), config)


def test_every_query_and_aggregation_runs_on_the_sample_data(two_crawls, alerted, es, es_config):
    ran = 0
    for obj in exported(es_config):
        request = es_request(obj)
        if request is None:
            continue
        ran += 1
        index, body = request
        # the news sample has no alerts (its crawls are healthy) and no filings: those objects run
        # on the data of `alerted` (a source that broke, and the exchange filings fixture)
        if index == es_config.index_name("alerts") or obj["id"].endswith("-filings"):
            same = alerted.index_prefix + obj["id"].removeprefix(es_config.index_prefix)
            obj = next(o for o in exported(alerted) if o["id"] == same)
            index, body = es_request(obj)
        response = es.search(index=index, **body)
        if obj["id"].endswith("-repealed-documents"):  # the samples repeal nothing: it runs on
            assert response["hits"]["total"]["value"] == 0  # test_references_crawl's repeals
        elif obj["type"] == "search":
            assert response["hits"]["total"]["value"] > 0, obj["attributes"]["title"]
        else:
            first = next(iter(response["aggregations"].values()))
            assert first["buckets"], obj["attributes"]["title"]
            if obj["id"].endswith("alerts-by-watch"):  # the watch alerts themselves
                groups = [g for b in first["buckets"] for g in next(iter(
                    v for v in b.values() if isinstance(v, dict) and "buckets" in v
                ))["buckets"]]  # fmt: skip
                assert {g["key"] for g in groups} == {"ic"}
    assert ran >= 8  # the searches and visualizations, not a loop over nothing


def test_the_miit_search_finds_both_languages(two_crawls, es, es_config):
    miit = next(o for o in exported(es_config) if o["id"].endswith("miit-semiconductor-policy"))
    index, body = es_request(miit)
    languages = {
        hit["_source"]["language"] for hit in es.search(index=index, **body)["hits"]["hits"]
    }
    assert languages == {"zh", "en"}


class _Kibana(BaseHTTPRequestHandler):
    received: list = []

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        ok = self.headers.get("Authorization") == "ApiKey s3cret"
        payload = (
            {"success": True, "successCount": body.count(b'"coreMigrationVersion"')}
            if ok
            else {"message": "no"}
        )
        data = json.dumps(payload).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_import_posts_the_objects_to_kibanas_api(es_config):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Kibana)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        result = run_monitor(
            "kibana", "import", "--url", url, "--api-key", "s3cret", config=es_config
        )
        assert result.returncode == 0, result.stderr
        assert "imported 19 saved objects" in result.stderr
        path, headers, body = _Kibana.received[-1]
        assert path == "/api/saved_objects/_import?overwrite=true"
        assert headers["kbn-xsrf"] and headers["content-type"].startswith(
            "multipart/form-data; boundary="
        )
        assert b'filename="news-monitor.ndjson"' in body and b'"type": "dashboard"' in body
        refused = run_monitor(
            "kibana", "import", "--url", url, "--api-key", "wrong", config=es_config
        )
        assert (
            refused.returncode == 3  # Kibana refused: as for Elasticsearch (exit codes)
            and "answered 401" in refused.stderr
            and "wrong" not in refused.stderr
        )
        no_scheme = run_monitor("kibana", "import", "--url", "localhost:5601", config=es_config)
        assert no_scheme.returncode == 2 and "expected an http(s) URL" in no_scheme.stderr
    finally:
        server.shutdown()


def test_the_miit_search_is_the_monitor_query_and_saved_searches_join(es, es_config):
    """Kibana's MIIT search carries the concept query of `monitor search` as its filter (policy on
    chips, not every title with 半导体), sorted by publication; saved searches become searches."""
    from bench.judged import index_set, load_set
    from monitor.es.schema import ensure_articles_index
    from monitor.kibana import saved_objects
    from monitor.search.saved import SavedSearch

    config = new_config()
    client = make_client(config)
    try:
        ensure_articles_index(client, config)
        alias = config.index_name("articles")
        index_set(client, alias, load_set()[0])
        objects = saved_objects(config, [SavedSearch("big fund", "Big Fund")])
        miit = next(o for o in objects if o["id"].endswith("miit-semiconductor-policy"))
        index, body = es_request(miit)
        found = [h["_id"] for h in client.search(index=index, **body)["hits"]["hits"]]
        assert {"z01", "z02", "z03", "e01", "e02"} <= set(found)
        assert not {"z04", "e04", "z05", "e05", "e06"} & set(found)  # telecom, apps, memory stocks
        dates = [
            h["_source"]["published_at"] for h in client.search(index=index, **body)["hits"]["hits"]
        ]
        assert dates == sorted(dates, reverse=True)
        saved = next(o for o in objects if o["attributes"]["title"] == "big fund")
        index, body = es_request(saved)
        assert {h["_id"] for h in client.search(index=index, **body)["hits"]["hits"]} == {
            "z26",
            "z27",
            "e23",
        }
    finally:
        delete_all(client, config)
