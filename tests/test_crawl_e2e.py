"""End to end: the sample sites crawled twice into the real Elasticsearch node."""

from __future__ import annotations

import pytest

ALIAS_KIND = "articles"


def stored(es, es_config) -> list[dict]:
    response = es.search(index=es_config.index_name(ALIAS_KIND), size=1000, query={"match_all": {}})
    return [hit["_source"] | {"_id": hit["_id"]} for hit in response["hits"]["hits"]]


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.mark.smoke
def test_first_crawl_indexes_every_sample_article(two_crawls):
    first, count = two_crawls.first, two_crawls.count
    assert count == 31  # 30 articles and a broken PDF kept for its title (see below)
    assert first["jiangdong-gov"]["indexed"] == 10
    assert first["dongfang-tech"]["indexed"] == 10
    assert first["pacific-atom"]["indexed"] + first["pacific-sitemap"]["indexed"] == 11
    assert not any(summary["failed"] for summary in first.values())


def test_every_article_stored_once_with_its_written_body(
    two_crawls, es, es_config, site_server, expected_articles
):
    docs = [d for d in stored(es, es_config) if not d["document"]]
    by_url = {}
    for doc in docs:
        path = doc["canonical_url"].removeprefix(site_server.base)
        assert path not in by_url, f"{path} stored twice"
        by_url[path] = doc
    assert len(by_url) == len(expected_articles)
    for article in expected_articles:
        # an article with a reprint is stored once, under whichever URL the crawl met first
        found = [p for p in (article["path"], *article.get("alternates", ())) if p in by_url]
        assert len(found) == 1, f"{article['path']}: stored as {found}"
        doc = by_url[found[0]]
        assert doc["language"] == article["language"], article["path"]
        if found[0] == article["path"]:  # a reprint has its own headline and date
            assert doc["title"] == article["title"], article["path"]
            assert (doc["published_at"] or "")[:10] == article["published_at"][:10], article["path"]
        assert doc["source_id"] in article["sources"]
        body = squash(doc["text"])
        for paragraph in article["paragraphs"]:
            assert squash(paragraph) in body, (
                f"{article['path']}: paragraph missing: {paragraph[:30]}"
            )
        for junk in article["boilerplate"]:
            assert junk not in doc["text"], f"{article['path']}: boilerplate kept: {junk}"
        for author in article.get("authors", []) if found[0] == article["path"] else []:
            assert author in doc["authors"], article["path"]
        if found[0] == article["path"]:  # stored and searchable as a field of its own
            assert doc["editors"] == article.get("editors", []), article["path"]
        assert "\ufffd" not in doc["text"], f"{article['path']}: decoding damage"
        assert doc["first_seen_at"] and doc["first_seen_at"] <= doc["indexed_at"]


@pytest.mark.smoke
def test_second_crawl_adds_no_document_and_fetches_no_article(two_crawls, es, es_config):
    second = two_crawls.second
    assert es.count(index=es_config.index_name(ALIAS_KIND))["count"] == two_crawls.count
    assert all(s["indexed"] == 0 and not s["failed"] for s in second.values())
    # every listing page, feed and sitemap was fetched conditionally and answered 304
    assert second["jiangdong-gov"]["not_modified"] == 3
    assert second["dongfang-tech"]["not_modified"] == 1
    fetched = [path for path, status in two_crawls.second_requests if status == 200]
    assert all(path.endswith(("robots.txt", "sitemap_index.xml")) for path in fetched), fetched


def test_nasty_pages_crash_nothing_and_lose_nothing(two_crawls, es, es_config, site_server):
    first = two_crawls.first
    docs = stored(es, es_config)
    urls = " ".join(d["url"] for d in docs)
    # robots.txt: the private page is never requested at all
    assert not any("/zhnews/private/" in path for path in site_server.requests)
    # the empty page is not indexed; the reprint or its original is, not both
    assert "empty.html" not in urls
    # a PDF that cannot be read is kept for its sitemap title, flagged with the reason
    [pdf] = [d for d in docs if d["url"].endswith("annual-report.pdf")]
    assert pdf["title"] == "Annual report" and pdf["text"] == ""
    assert pdf["document"]["format"] == "pdf" and "cannot read pdf" in pdf["document"]["error"]
    assert ("big-fund-reprint" in urls) != ("2024/05/27/big-fund.html" in urls)
    assert first["dongfang-tech"]["skipped"] >= 4  # empty, reprint, duplicate URL, robots.txt
    # the 404 in the sitemap is an error of that source, the others are untouched
    assert first["pacific-sitemap"]["errors"] == 1
    assert first["jiangdong-gov"]["errors"] == 0
    # the page whose server declares UTF-8 but sends GBK is decoded as GB18030
    wrong = next(d for d in docs if d["canonical_url"].endswith("t20240428_106.html"))
    assert wrong["extraction"]["encoding"] == "gb18030"
    assert "晶圆制造是集成电路产业链的核心环节" in wrong["text"]
    # the broken-HTML page is extracted completely
    broken = next(d for d in docs if d["canonical_url"].endswith("2024/07/02/equipment.html"))
    assert "多家设备企业表示" in broken["text"]


def test_stats_are_namespaced_and_language_counted(two_crawls):
    first = two_crawls.first
    # the summary is computed from the crawler stats under monitor/...; pages include listings/feeds
    assert first["jiangdong-gov"]["pages"] >= 13  # robots.txt + 3 listing pages + 10 articles
