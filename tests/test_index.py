"""The index schema on the real node: template, versioned index behind the alias, analysers,
strict mapping, per-document bulk errors, and create-races between crawlers."""

from __future__ import annotations

import pytest

from monitor.es.bulk import write
from monitor.es.client import make_client
from monitor.es.schema import ARTICLES_VERSION, delete_all, ensure_articles_index
from tests.conftest import new_config


@pytest.fixture
def index(es_config):  # es_config: the node is running, started if needed
    config = new_config()
    es = make_client(config)
    alias = ensure_articles_index(es, config)
    yield es, config, alias
    delete_all(es, config)


def tokens(es, index: str, field: str, text: str) -> list[str]:
    return [t["token"] for t in es.indices.analyze(index=index, field=field, text=text)["tokens"]]


def test_versioned_index_behind_alias_from_template(index):
    es, config, alias = index
    assert alias == f"{config.index_prefix}-articles"
    aliases = es.indices.get_alias(name=alias)
    assert list(aliases) == [f"{alias}-v{ARTICLES_VERSION}"]
    assert aliases[f"{alias}-v{ARTICLES_VERSION}"]["aliases"][alias]["is_write_index"] is True
    template = es.indices.get_index_template(name=alias)["index_templates"][0]["index_template"]
    assert template["index_patterns"] == [f"{alias}-v*"]
    ensure_articles_index(es, config)  # idempotent
    assert list(es.indices.get_alias(name=alias)) == [f"{alias}-v{ARTICLES_VERSION}"]


def test_analysers_per_language(index):
    es, _, alias = index
    assert tokens(es, alias, "title.zh", "集成电路产业") == ["集成", "成电", "电路", "路产", "产业"]
    assert tokens(es, alias, "text.en", "Subsidies for chips") == ["subsidi", "chip"]
    assert tokens(es, alias, "text_en", "lithography tools") == ["lithographi", "tool"]
    assert tokens(es, alias, "text_zh", "光刻机") == ["光刻", "刻机"]
    mapping = es.indices.get_mapping(index=alias)
    properties = next(iter(mapping.values()))["mappings"]["properties"]
    for field in ("source_id", "language", "url", "content_hash", "canonical_url"):
        assert properties[field]["type"] == "keyword"
    assert properties["published_at"]["type"] == properties["crawled_at"]["type"] == "date"


def test_bulk_reports_each_document_error_and_writes_the_rest(index):
    es, _, alias = index
    outcomes = write(
        es,
        alias,
        [
            ("create", "good", {"title": "ok", "language": "en"}),
            ("create", "bad-field", {"title": "x", "no_such_field": 1}),  # strict mapping
            ("create", "bad-date", {"title": "y", "published_at": "not a date"}),
            ("update", "good2", {"title": "also ok"}),
        ],
        refresh=True,
    )
    assert outcomes[0] == ("created", None) and outcomes[3] == ("created", None)
    assert outcomes[1][1].startswith("strict_dynamic_mapping_exception")
    assert outcomes[2][1].startswith("document_parsing_exception")
    assert es.count(index=alias)["count"] == 2


def test_create_race_is_reported_as_exists(index):
    es, _, alias = index
    assert write(es, alias, [("create", "same", {"title": "first"})]) == [("created", None)]
    assert write(es, alias, [("create", "same", {"title": "second"})]) == [("exists", None)]
    assert es.get(index=alias, id="same")["_source"]["title"] == "first"
    assert write(es, alias, [("update", "same", {"title": "changed"})]) == [("updated", None)]


def test_an_update_keeps_fields_it_does_not_name(index):
    es, _, alias = index
    write(es, alias, [("create", "d", {"title": "v1", "first_seen_at": "2024-01-01T00:00:00Z"})])
    write(es, alias, [("update", "d", {"title": "v2", "indexed_at": "2024-02-01T00:00:00Z"})])
    stored = es.get(index=alias, id="d")["_source"]
    assert stored["title"] == "v2" and stored["first_seen_at"] == "2024-01-01T00:00:00Z"


def test_large_documents_are_split_across_bulk_requests(index, monkeypatch):
    import monitor.es.bulk as bulk

    es, _, alias = index
    monkeypatch.setattr(bulk, "MAX_BULK_BYTES", 50_000)  # the real limit is 20 MB
    calls = []
    original = es.bulk
    monkeypatch.setattr(es, "bulk", lambda **kw: calls.append(1) or original(**kw))
    docs = [("create", f"big{i}", {"title": "x", "text": "晶圆" * 10_000}) for i in range(6)]
    assert write(es, alias, docs, refresh=True) == [("created", None)] * 6
    assert len(calls) == 6 and es.count(index=alias)["count"] == 6
