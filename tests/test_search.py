"""Searches in each language return the expected sample articles (real node, sample sites)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from monitor.search.engine import SearchRequest, build_query, search
from tests.conftest import run_monitor


def paths(result: dict, base: str) -> list[str]:
    return [hit["url"].removeprefix(base) for hit in result["hits"]]


def test_chinese_query_finds_chinese_articles(two_crawls, es, es_config, site_server):
    result = search(es, es_config.index_name("articles"), SearchRequest("光刻机", size=5))
    found = paths(result, site_server.base)
    assert found[0] == "/zhnews/2024/03/15/lithography.html"
    assert result["hits"][0]["language"] == "zh"


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
    # the English report and the Chinese one (大基金, through the glossary) lead, in either order
    assert "/ennews/2024/05/big-fund-iii.html" in big_fund_en[:2]
    subsidies = paths(search(es, index, SearchRequest("subsidies", size=10)), site_server.base)
    assert "/ennews/2024/07/chip-subsidy-debate.html" in subsidies  # stemmed: subsidy/subsidies


def test_filters_by_source_and_date(two_crawls, es, es_config):
    since = datetime(2024, 5, 1, tzinfo=UTC)
    request = SearchRequest("集成电路", sources=("jiangdong-gov",), since=since, size=20)
    result = search(es, es_config.index_name("articles"), request)
    assert result["total"] >= 2
    for hit in result["hits"]:
        assert hit["source_id"] == "jiangdong-gov" and hit["published_at"] >= "2024-05-01"


@pytest.mark.smoke
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


def test_filters_join_the_query():
    until = datetime(2024, 1, 1, tzinfo=UTC)
    body, _ = build_query(SearchRequest("x", language="zh", until=until))
    assert {"term": {"language": "zh"}} in body["query"]["bool"]["filter"]


# --- across languages, through the glossary alone (no translation model) --------------------------


def cli_paths(query: str, es_config, base: str, *flags: str) -> list[str]:
    result = run_monitor("search", query, "--json", "--size", "20", *flags, config=es_config)
    assert result.returncode == 0, result.stderr
    return [hit["url"].removeprefix(base) for hit in json.loads(result.stdout)["hits"]]


@pytest.mark.smoke
def test_english_query_finds_chinese_documents_on_the_same_subject(
    two_crawls, es_config, site_server
):
    found = cli_paths("lithography export controls", es_config, site_server.base)
    assert found[0] == "/ennews/2024/03/lithography-export-controls.html"
    assert "/zhnews/2024/03/15/lithography.html" in found  # 光刻机 ... 出口管制
    # both concepts are required: export controls on rare earths alone do not answer
    assert "/zhnews/2024/06/12/rare-earth.html" not in found


def test_chinese_query_finds_english_documents(two_crawls, es_config, site_server):
    found = cli_paths("光刻机", es_config, site_server.base)
    assert found[0] == "/zhnews/2024/03/15/lithography.html"
    assert "/ennews/2024/03/lithography-export-controls.html" in found


def test_mission_query_ranks_the_miit_documents(two_crawls, es_config, site_server):
    found = cli_paths("MIIT semiconductor policy", es_config, site_server.base)
    top = found[:3]  # the English report and the Chinese 工信部 notice both lead
    assert "/zhnews/2024/03/08/chip-chain.html" in top
    assert "/ennews/2024/03/miit-chip-supply-chain.html" in top


def test_no_expand_stays_in_the_query_language(two_crawls, es_config, site_server):
    found = cli_paths("lithography export controls", es_config, site_server.base, "--no-expand")
    assert found and all(path.startswith("/ennews/") for path in found)


def test_explain_shows_the_concepts(two_crawls, es_config):
    result = run_monitor("search", "Big Fund", "--json", "--explain", config=es_config)
    payload = json.loads(result.stdout)
    assert payload["concepts"] == [
        {
            "text": "Big Fund",
            "english": ["Big Fund", "National Integrated Circuit Industry Investment Fund"],
            "chinese": ["大基金", "国家集成电路产业投资基金"],
            "origin": "glossary",
            "why": "key: a term of the glossary (the domain's vocabulary)",
        }
    ]
    assert "query_dsl" in payload
    said = run_monitor("search", "Big Fund investors", "--explain", config=es_config).stdout
    assert "    key: a term of the glossary" in said
    assert "    weak: a general-dictionary word beside key concepts" in said
    assert "required: 1 of the 1 key concepts" in said
