"""Searches in each language return the expected sample articles (real node, sample sites)."""

from __future__ import annotations

import json
from datetime import date

from monitor.search import SearchRequest, build_query, fields_for, search
from tests.conftest import run_monitor


def paths(result: dict, base: str) -> list[str]:
    return [hit["url"].removeprefix(base) for hit in result["hits"]]


def test_chinese_query_finds_chinese_articles(two_crawls, es, es_config, site_server):
    result = search(es, es_config.index_name("articles"), SearchRequest("光刻机", size=5))
    found = paths(result, site_server.base)
    assert found[0] == "/zhnews/2024/03/15/lithography.html"
    assert all(hit["language"] == "zh" for hit in result["hits"])


def test_english_query_finds_english_articles(two_crawls, es, es_config, site_server):
    result = search(
        es,
        es_config.index_name("articles"),
        SearchRequest("lithography export controls", language="en", size=5),
    )
    assert paths(result, site_server.base)[0] == "/ennews/2024/03/lithography-export-controls.html"


def test_policy_terms_in_both_languages(two_crawls, es, es_config, site_server):
    index = es_config.index_name("articles")
    big_fund_zh = paths(search(es, index, SearchRequest("大基金三期", size=3)), site_server.base)
    assert big_fund_zh[0] in (
        "/zhnews/2024/05/27/big-fund.html",
        "/zhnews/2024/05/29/big-fund-reprint.html",
    )
    big_fund_en = paths(search(es, index, SearchRequest("Big Fund", size=3)), site_server.base)
    assert big_fund_en[0] == "/ennews/2024/05/big-fund-iii.html"
    subsidies = paths(search(es, index, SearchRequest("subsidies", size=10)), site_server.base)
    assert "/ennews/2024/07/chip-subsidy-debate.html" in subsidies  # stemmed: subsidy/subsidies


def test_filters_by_source_and_date(two_crawls, es, es_config):
    request = SearchRequest("集成电路", source="jiangdong-gov", since=date(2024, 5, 1), size=20)
    result = search(es, es_config.index_name("articles"), request)
    assert result["total"] >= 2
    for hit in result["hits"]:
        assert hit["source_id"] == "jiangdong-gov" and hit["published_at"] >= "2024-05-01"


def test_cli_search_json_contract(two_crawls, es_config):
    result = run_monitor("search", "晶圆制造", "--json", "--size", "3", config=es_config)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["hits"] and len(payload["hits"]) <= 3
    for hit in payload["hits"]:
        assert {"url", "title", "language", "source_id", "score"} <= set(hit)
        assert "<em>" in hit["snippet"]


def test_cli_search_human_output(two_crawls, es_config):
    result = run_monitor("search", "robots", "--lang", "en", config=es_config)
    assert result.returncode == 0
    assert "Industrial robot output climbs as factories automate" in result.stdout
    assert "*robot" in result.stdout.lower()  # highlighted when not a terminal


def test_query_fields_follow_the_script():
    assert all(f.split("^")[0].endswith(("zh", ".zh")) for f in fields_for("光刻机"))
    assert "text_en^0.8" in fields_for("lithography") and "text.zh" not in fields_for("lithography")
    body = build_query(SearchRequest("x", language="zh", until=date(2024, 1, 1)))
    assert {"term": {"language": "zh"}} in body["query"]["bool"]["filter"]
