"""Kibana 8 saved objects for news-monitor: data views, saved searches, visualizations, a dashboard.

`monitor kibana export` writes them as NDJSON; `monitor kibana import --url` loads them through
Kibana's saved objects API. Saved searches use Lucene syntax (Kibana runs it as a `query_string`
query) and visualizations are aggregation-based (`count`, `date_histogram`, `terms`), so the tests
can run exactly what Kibana would send against the real node (`es_request`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from typing import Any

from monitor.es.config import EsConfig

MIGRATION = {"coreMigrationVersion": "8.8.0"}
# The version of each type's shape the objects are written in (`typeMigrationVersion`, Kibana
# 8.8+): Kibana migrates an object up from the version it declares, and refuses one that declares
# a version newer than it knows, so each is the oldest 8.x shape these objects already have (an
# 8.8 … 8.19 Kibana imports them: docs/operations.md).
TYPE_MIGRATION = {"index-pattern": "8.0.0", "search": "8.0.0", "visualization": "8.5.0",
                  "dashboard": "8.7.0"}  # fmt: skip
ALL_CONCEPTS = 1000
SEARCH_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"

# (id, title, query, columns): searches analysts start from, across both languages. A query
# starting with "monitor:" is in `monitor search`'s language: monitor.search compiles it (concepts
# in both languages, coordination) into an Elasticsearch filter of the saved search, so Kibana
# shows what `monitor search` finds; the others are Lucene, as Kibana runs them.
SEARCHES = [
    (
        "miit-semiconductor-policy",
        "MIIT semiconductor policy (中文 + English)",
        "monitor:MIIT semiconductor policy",
        ["title", "title_en", "doc_type", "language", "source_id"],
    ),
    (
        "export-controls",
        "Export controls (出口管制)",
        'text.en:"export controls" OR text.zh:"出口管制" OR text_en:"export controls"',
        ["title", "title_en", "language", "source_id"],
    ),
    (
        "waiting-for-translation",
        "Chinese documents waiting for a translation",
        "language:zh AND translation.status:(pending OR unavailable)",
        ["title", "source_id", "crawled_at"],
    ),
    (
        "policy-documents-in-force",
        "Policy documents in force (政策文件)",
        "doc_type:policy AND NOT policy.status:(废止 OR 失效) AND NOT _exists_:repealed_by",
        ["title", "policy.issuer", "policy.doc_number", "policy.published_date"],
    ),
    (
        "repealed-documents",
        "Repealed documents (已废止), and what repealed them",
        "_exists_:repealed_by",
        ["title", "policy.doc_number", "repealed_by.doc_number", "repealed_by.published_at"],
    ),
    (
        "filings",
        "Regulatory filings (公告)",
        "doc_type:filing",
        ["title", "filing.company_name", "filing.category", "filing.announced_at"],
    ),
]

# (id, title, data view, chart type, aggregation params): the dashboard's panels
VISUALIZATIONS = [
    (
        "documents-over-time-by-language",
        "Documents over time by language",
        "articles",
        "histogram",
        [
            (
                "date_histogram",
                "segment",
                {"field": "crawled_at", "interval": "auto", "min_doc_count": 1},
            ),
            ("terms", "group", {"field": "language", "size": 5}),
        ],
    ),
    (
        "documents-by-source-type",
        "Documents by source type",
        "articles",
        "pie",
        [("terms", "segment", {"field": "source_type", "size": 10})],
    ),
    (
        "top-sources",
        "Top sources",
        "articles",
        "horizontal_bar",
        [("terms", "segment", {"field": "source_id", "size": 15})],
    ),
    (
        "translation-status",
        "Translation status",
        "articles",
        "pie",
        [("terms", "segment", {"field": "translation.status", "size": 10})],
    ),
    (
        "crawl-health",
        "Crawl errors by source (runs)",
        "runs",
        "horizontal_bar",
        [
            ("terms", "segment", {"field": "source_id", "size": 20}),
            ("terms", "group", {"field": "failed", "size": 2}),
        ],
    ),
    (
        "policy-by-issuer",
        "Policy documents by issuing body (发文机关)",
        "articles",
        "horizontal_bar",
        [("terms", "segment", {"field": "policy.issuer", "size": 20})],
    ),
    (
        "health-alerts",
        "Source health alerts by state",
        "alerts",
        "horizontal_bar",
        [
            ("terms", "segment", {"field": "source_id", "size": 20}),
            ("terms", "group", {"field": "state", "size": 3}),
        ],
    ),
    (
        "alerts-by-watch",
        "Watch alerts by watch over time",
        "alerts",
        "histogram",
        [
            (
                "date_histogram",
                "segment",
                {"field": "raised_at", "interval": "auto", "min_doc_count": 1},
            ),
            ("terms", "group", {"field": "watch_id", "size": 20}),
        ],
    ),
]

# data view → (index kind, time field): articles by when they were published (Discover's time
# picker and the saved searches), and a second view of them by when they were crawled (operations)
DATA_VIEWS = {
    "articles": ("articles", "published_at"),
    "articles-crawled": ("articles", "crawled_at"),
    "runs": ("runs", "started_at"),
    "alerts": ("alerts", "raised_at"),
}


def _data_view(config: EsConfig, view: str) -> dict[str, Any]:
    kind, time_field = DATA_VIEWS[view]
    alias = config.index_name(kind)
    suffix = view.removeprefix(kind)  # "" or "-crawled"
    return {
        "type": "index-pattern",
        "id": alias + suffix,
        "references": [],
        **MIGRATION,
        "attributes": {
            "title": alias,
            "name": f"news-monitor {kind}" + (f" (by {time_field})" if suffix else ""),
            "timeFieldName": time_field,
        },
    }


def _search(
    config: EsConfig, sid: str, title: str, query: str, columns: list[str]
) -> dict[str, Any]:
    filters: list[dict[str, Any]] = []
    if query.startswith("monitor:"):
        from monitor.search.engine import SearchRequest, build_query

        # a filter does not rank: it requires every key concept (a search only ranks by them)
        request = SearchRequest(query.removeprefix("monitor:").strip())
        dsl = build_query(request, floor=ALL_CONCEPTS)[0]["query"]
        meta = {"alias": title, "type": "custom", "disabled": False, "negate": False}
        filters.append({"meta": {**meta, "index": config.index_name("articles")}, "query": dsl})
        query = ""
    source = {
        "query": {"query": query, "language": "lucene"},
        "filter": filters,
        "indexRefName": SEARCH_REF,
    }
    return {
        "type": "search",
        "id": f"{config.index_prefix}-{sid}",
        **MIGRATION,
        "attributes": {
            "title": title,
            "columns": columns,
            "sort": [["published_at", "desc"]],
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source, ensure_ascii=False)},
        },
        "references": [
            {"name": SEARCH_REF, "type": "index-pattern", "id": config.index_name("articles")}
        ],
    }


def _visualization(
    config: EsConfig, vid: str, title: str, kind: str, chart: str, aggs: list
) -> dict[str, Any]:
    vis_aggs = [{"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}]
    vis_aggs += [
        {"id": str(i + 2), "enabled": True, "type": t, "schema": schema, "params": params}
        for i, (t, schema, params) in enumerate(aggs)
    ]
    state = {
        "title": title,
        "type": chart,
        "aggs": vis_aggs,
        "params": {"addLegend": True, "addTooltip": True},
    }
    source = {
        "query": {"query": "", "language": "lucene"},
        "filter": [],
        "indexRefName": SEARCH_REF,
    }
    return {
        "type": "visualization",
        "id": f"{config.index_prefix}-{vid}",
        **MIGRATION,
        "attributes": {
            "title": title,
            "visState": json.dumps(state),
            "uiStateJSON": "{}",
            "description": "",
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source)},
        },
        "references": [
            {"name": SEARCH_REF, "type": "index-pattern", "id": config.index_name(kind)}
        ],
    }


def _dashboard(config: EsConfig, visualizations: list[dict[str, Any]]) -> dict[str, Any]:
    panels, references = [], []
    for i, vis in enumerate(visualizations):
        grid = {"x": 24 * (i % 2), "y": 15 * (i // 2), "w": 24, "h": 15, "i": str(i + 1)}
        panels.append(
            {
                "panelIndex": str(i + 1),
                "gridData": grid,
                "embeddableConfig": {},
                "panelRefName": f"panel_{i}",
                "version": "8.8.0",
            }
        )
        references.append({"name": f"panel_{i}", "type": "visualization", "id": vis["id"]})
    source = {"query": {"query": "", "language": "lucene"}, "filter": []}
    return {
        "type": "dashboard",
        "id": f"{config.index_prefix}-overview",
        **MIGRATION,
        "references": references,
        "attributes": {
            "title": "news-monitor overview",
            "panelsJSON": json.dumps(panels),
            "optionsJSON": json.dumps({"useMargins": True, "hidePanelTitles": False}),
            "timeRestore": False,
            "description": "Documents, sources, translation and crawl health",
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source)},
        },
    }


def citing(number: str) -> tuple[str, str, str, list[str]]:
    """The saved search of the documents that refer to a document number (any written form:
    monitor.text.references), as (id, title, Lucene query, columns): the query names the number's
    key (`cites:"国发|2020|8"`), which Discover's query bar takes as it is, to edit for another."""
    from monitor.errors import QueryError
    from monitor.text.references import number_key

    key = number_key(number)
    if key is None:
        raise QueryError(
            f'{number!r} is not a document number (国发〔2020〕8号, "Guofa [2020] No. 8")'
        )
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return (
        f"cites-{digest}",
        f"Documents that cite {number.strip()} ({key})",
        f'cites:"{key}"',
        ["title", "policy.doc_number", "implements", "repeals", "amends", "source_id"],
    )


def saved_objects(
    config: EsConfig, saved: Iterable[Any] = (), cites: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Every object; `saved`: the cluster's saved searches (monitor.search.saved), which become
    Kibana saved searches too; `cites`: document numbers, each a saved search of the documents
    that refer to it."""
    views = [_data_view(config, view) for view in DATA_VIEWS]
    specs = list(SEARCHES) + [
        (
            f"saved-{s.name.replace(' ', '-')}",
            s.name,
            f"monitor:{s.query}",
            ["title", "title_en", "source_id"],
        )
        for s in saved
    ]
    specs += [citing(number) for number in cites]
    searches = [_search(config, *spec) for spec in specs]
    visualizations = [_visualization(config, *spec) for spec in VISUALIZATIONS]
    objects = [*views, *searches, *visualizations, _dashboard(config, visualizations)]
    return [{**o, "typeMigrationVersion": TYPE_MIGRATION[o["type"]], "managed": False}
            for o in objects]  # fmt: skip


def to_ndjson(objects: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects)


def es_request(obj: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(index, search body) that Kibana would send for a saved search or visualization."""
    if obj["type"] not in ("search", "visualization"):
        return None
    index = obj["references"][0]["id"]
    source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    text = source["query"]["query"]
    query = (
        {"query_string": {"query": text, "analyze_wildcard": True}} if text else {"match_all": {}}
    )
    active = [f["query"] for f in source.get("filter", []) if not f["meta"].get("disabled")]
    if active:
        query = {"bool": {"must": [query], "filter": active}}
    if obj["type"] == "search":
        return index, {"query": query, "size": 50, "sort": [{"published_at": "desc"}]}
    state = json.loads(obj["attributes"]["visState"])
    aggs: dict[str, Any] = {}
    level = aggs
    for agg in state["aggs"]:
        if agg["type"] == "count":
            continue
        params = dict(agg["params"])
        if agg["type"] == "date_histogram":
            body = {
                "date_histogram": {
                    "field": params["field"],
                    "calendar_interval": "1d",
                    "min_doc_count": params.get("min_doc_count", 1),
                }
            }
        else:
            body = {"terms": {"field": params["field"], "size": params["size"]}}
        level[agg["id"]] = body
        level = body.setdefault("aggs", {})
    return index, {"query": query, "size": 0, "aggs": aggs}


def import_objects(
    url: str,
    ndjson: str,
    api_key: str | None = None,
    auth: tuple[str, str] | None = None,
    timeout: float = 60,
) -> dict[str, Any]:
    """POST the objects to Kibana's saved objects import API (overwrite=true)."""
    import base64
    import urllib.error
    import urllib.parse
    import urllib.request

    from monitor.errors import ConfigError, KibanaError

    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--url: expected an http(s) URL (http://localhost:5601), got {url!r}")
    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; "
        f'name="file"; filename="news-monitor.ndjson"\r\n'
        f"Content-Type: application/ndjson\r\n\r\n{ndjson}\r\n--{boundary}--\r\n"
    ).encode()
    headers = {
        "kbn-xsrf": "news-monitor",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    if api_key:
        headers["Authorization"] = f"ApiKey {api_key}"
    elif auth:
        headers["Authorization"] = (
            "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        )
    request = urllib.request.Request(
        f"{url.rstrip('/')}/api/saved_objects/_import?overwrite=true",
        data=body,
        headers=headers,
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            result = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise KibanaError(
            f"Kibana at {url} answered {exc.code}: {exc.read()[:300].decode(errors='replace')}"
        ) from None
    except urllib.error.URLError as exc:
        raise KibanaError(f"cannot reach Kibana at {url}: {exc.reason}") from None
    if not result.get("success", False):
        raise KibanaError(
            f"Kibana refused some objects: {json.dumps(result.get('errors', []))[:500]}"
        )
    return result
