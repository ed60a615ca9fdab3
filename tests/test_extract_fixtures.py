"""Page → item: every saved sample page, analysed as the crawl does, matches what was written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.demo.sites import SITES
from monitor.text.analyse import analyse_page

pytestmark = pytest.mark.fast  # no Elasticsearch, Redis or browser

EXPECTED = json.loads((SITES / "expected.json").read_text(encoding="utf-8"))
HEADERS = json.loads((SITES / "headers.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("article", EXPECTED, ids=[a["path"] for a in EXPECTED])
def test_saved_page_gives_the_written_article(article):
    body = (SITES / "www" / article["path"].lstrip("/")).read_bytes()
    content_type = HEADERS.get(article["path"], {}).get("Content-Type", "text/html")
    doc = analyse_page(body, f"http://sample.test{article['path']}", content_type=content_type)
    assert doc["title"] == article["title"]
    assert doc["language"] == article["language"]
    assert doc["published_at"][:10] == article["published_at"][:10]
    lines = doc["text"].splitlines()
    for paragraph in article["paragraphs"]:
        assert paragraph in lines, f"paragraph not extracted as its own line: {paragraph[:40]}"
    for junk in article["boilerplate"]:
        assert junk not in doc["text"]
    for author in article.get("authors", []):
        assert author in doc["authors"]
    assert doc["editors"] == article.get("editors", [])
    assert doc["extraction"]["method"] == "trafilatura"


def test_reprint_has_the_same_content_hash_as_its_original():
    def analysed(path: str) -> dict:
        return analyse_page((SITES / "www" / path).read_bytes(), f"http://sample.test/{path}")

    original = analysed("zhnews/2024/05/27/big-fund.html")
    reprint = analysed("zhnews/2024/05/29/big-fund-reprint.html")
    other = analysed("zhnews/2024/03/08/chip-chain.html")
    assert original["title"] != reprint["title"]
    assert original["content_hash"] == reprint["content_hash"] != other["content_hash"]


ZH_LAYOUTS = Path(__file__).parent / "sites" / "zh_layouts"
ZH_TRUTH = json.loads((ZH_LAYOUTS / "truth.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(ZH_TRUTH))
def test_chinese_layouts_give_title_date_authors_editors_and_body(name):
    """Government and news layouts (metadata tables, info bars, 本报记者/文/ bylines, 责任编辑,
    a reprint in GBK, an article split by ads, one rendered from script data): what the crawl
    indexes, field by field. bench/extraction_quality.py scores the same set."""
    want = ZH_TRUTH[name]
    doc = analyse_page((ZH_LAYOUTS / name).read_bytes(), want["url"])
    assert doc["title"] == want["title"]
    assert doc["published_at"][:10] == want["published_date"]
    assert doc["authors"] == want["authors"]
    assert doc["editors"] == want["editors"]
    assert doc["text"].split("\n") == want["text"].split("\n")
    assert doc["not_article"] is None
