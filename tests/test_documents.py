"""Government documents, filings and PDFs: saved pages → metadata, files → text, and the documents
fixture (GBK policy site with a JavaScript pager and attachments, a JSON list, CNINFO- and
HKEX-style announcement APIs) crawled into the real node, every field checked."""

from __future__ import annotations

import io
import json

import pytest

from monitor.demo.server import render_sources, serve
from monitor.demo.sites import SITES
from monitor.demo.sites.docs.apis import install
from monitor.demo.sites.docs.build import FILINGS
from monitor.errors import ConfigError
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from monitor.sources import load_sources
from monitor.text.analyse import analyse_page
from monitor.text.documents import extract_document
from monitor.text.govdoc import normalise_doc_number, policy_metadata
from tests.conftest import FAST, crawl_json, new_config, run_monitor

DOCS = SITES / "docs"
WWW = DOCS / "www"
EXPECTED = json.loads((DOCS / "expected.json").read_text(encoding="utf-8"))


def squash(text: str) -> str:
    return "".join(text.split())


# --- saved page → metadata; file → text ---------------------------------------------------------


@pytest.mark.parametrize("page", EXPECTED["policy"], ids=[p["path"] for p in EXPECTED["policy"]])
def test_saved_policy_page_gives_its_metadata(page):
    body = (WWW / page["path"].lstrip("/")).read_bytes()
    doc = analyse_page(body, f"http://gov.test{page['path']}", content_type="text/html")
    assert doc["policy"] == page["policy"]  # every field, in either layout (table or lines)
    assert doc["title"] == page["title"]
    for paragraph in page["paragraphs"]:
        assert paragraph in doc["text"]


@pytest.mark.parametrize(
    "text, number",
    [
        ("工信部联电子[2024]12号", "工信部联电子〔2024〕12号"),
        ("沪经信规范（2023）3号", "沪经信规范〔2023〕3号"),
        ("根据国发〔2023〕5号文件", "国发〔2023〕5号"),
        ("粤工信规字〔2024〕 第 7 号", "粤工信规字〔2024〕第7号"),
    ],
)
def test_document_numbers_are_normalised(text, number):
    assert normalise_doc_number(text) == number


def test_chinese_dates_and_label_variants():
    html = (
        "<p>发布时间：2024年3月5日 10:30　发文机构：某某市工业和信息化局</p>"
        "<table><tr><td>成文日期</td><td>2024/2/29</td></tr>"
        "<tr><td>效力状态：</td><td>部分失效</td></tr></table>"
    )
    assert policy_metadata(html) == {
        "published_date": "2024-03-05",
        "issuer": "某某市工业和信息化局",
        "written_date": "2024-02-29",
        "status": "部分失效",
    }
    assert policy_metadata("<p>A news page, no labels.</p>") == {}


def test_pdf_docx_scan_and_unsupported_files():
    files = WWW / "policy" / "files"
    pdf = extract_document((files / "202403/P020240308_1.pdf").read_bytes(), "http://x/a.pdf")
    assert pdf["format"] == "pdf" and pdf["pages"] == 1 and not pdf["scanned"]
    assert "首次完成流片的设计企业" in pdf["text"] and "Article 2: first tape-out" in pdf["text"]
    docx = extract_document((files / "202403/P020240308_2.docx").read_bytes(), "http://x/b.docx")
    assert docx["format"] == "docx" and "流片补助申请表" in docx["text"]
    scan = extract_document((files / "202403/P020240308_3.pdf").read_bytes(), "http://x/c.pdf")
    assert scan["scanned"] and scan["text"] == "" and "scanned" in scan["error"]
    wps = extract_document((files / "202403/P020240315_1.wps").read_bytes(), "http://x/d.wps")
    assert wps["format"] == "wps" and "unsupported" in wps["error"]
    broken = extract_document(b"%PDF-1.7\nnothing else", "http://x/e.pdf")
    assert broken["text"] == "" and broken["error"].startswith("cannot read pdf")


def test_page_cap_truncates_long_pdfs():
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    for n in range(5):
        page.drawString(72, 700, f"Page {n} of a long industrial policy annex with enough text.")
        page.showPage()
    page.save()
    found = extract_document(out.getvalue(), "http://x/long.pdf", max_pages=2)
    assert found["pages"] == 5 and found["truncated"]
    assert "Page 1 of" in found["text"] and "Page 2 of" not in found["text"]


# --- the fixture crawled end to end ---------------------------------------------------------------


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory):
    server = serve(WWW)
    install(server)
    sources = render_sources(
        DOCS / "sources.yaml", server.base, tmp_path_factory.mktemp("docs") / "sources.yaml"
    )
    yield server, sources
    server.shutdown()


@pytest.fixture(scope="module")
def crawled(docs_site, tmp_path_factory):
    server, sources = docs_site
    config = new_config()
    glossary = tmp_path_factory.mktemp("glossary") / "glossary.yaml"
    glossary.write_text(
        "terms:\n  - zh: 华辰半导体\n    en: [Huachen Semiconductor, HUACHEN SEMI]\n",
        encoding="utf-8",
    )
    summary = crawl_json(sources, config, "--no-translate")
    es = make_client(config)
    es.indices.refresh(index=config.index_name("articles"))
    hits = es.search(index=config.index_name("articles"), size=100)["hits"]["hits"]
    docs = {hit["_source"]["url"].removeprefix(server.base): hit["_source"] for hit in hits}
    yield summary, docs, config, glossary
    delete_all(es, config)


def test_the_javascript_pager_is_followed(crawled, docs_site):
    server, _ = docs_site
    summary, docs, _, _ = crawled
    requested = {path for path, _ in server.log}
    assert {"/policy/index_1.html", "/policy/index_2.html"} <= requested
    policy = summary["xiling-policy"]  # the JSON-list source may store four of them first
    assert policy["indexed"] + policy["unchanged"] == 5 and not policy["failed"]


def test_policy_documents_carry_every_field(crawled):
    _, docs, _, _ = crawled
    assert len(EXPECTED["policy"]) == 4  # the loop below checks something
    for page in EXPECTED["policy"]:
        doc = docs[page["path"]]
        assert doc["doc_type"] == "policy"
        assert doc["source_id"] in ("xiling-policy", "xiling-policy-api")  # whichever came first
        assert doc["policy"] == page["policy"]
        assert doc["published_at"] == page["policy"]["published_date"]
        assert [a["name"] for a in doc["attachments"]] == [a["name"] for a in page["attachments"]]
        for stored, expected in zip(doc["attachments"], page["attachments"], strict=True):
            assert stored["url"].startswith("http")
            for line in expected.get("lines", []):  # PDFs wrap long lines
                assert squash(line) in squash(stored["text"]), (page["path"], line)
            if expected.get("scanned"):
                assert stored["scanned"] and stored["text"] == "" and "scanned" in stored["error"]
            if expected.get("error") == "unsupported":
                assert stored["format"] == "wps" and "unsupported" in stored["error"]
            if expected.get("error") == "HTTP 404":
                assert stored["error"] == "HTTP 404"


def test_a_pdf_linked_from_the_listing_is_a_document(crawled):
    _, docs, _, _ = crawled
    pdf = docs["/policy/" + EXPECTED["listing_pdf"]["path"]]
    assert pdf["title"] == EXPECTED["listing_pdf"]["first_line"]
    assert pdf["document"]["format"] == "pdf" and not pdf["document"]["scanned"]
    assert squash(EXPECTED["listing_pdf"]["text"][1]) in squash(pdf["text"])
    assert pdf["doc_type"] == "policy"


def test_the_json_list_reaches_the_same_documents(crawled):
    summary, _, _, _ = crawled
    api = summary["xiling-policy-api"]
    # four pages, over two JSON pages; stored once, whichever source came first
    assert api["indexed"] + api["unchanged"] == 4 and not api["failed"]


@pytest.mark.parametrize("exchange", ["cninfo", "hkex"])
def test_filings_from_both_api_shapes(crawled, exchange):
    _, docs, _, _ = crawled
    expected = [f for f in FILINGS if f[0] == exchange]
    stored = {p: d for p, d in docs.items() if p.startswith(f"/{exchange}/")}
    assert len(stored) == len(expected)
    for _, path, day, title, lines in expected:
        doc = stored[f"/{exchange}/{path}"]
        filing = doc["filing"]
        assert doc["doc_type"] == "filing" and doc["title"] == title  # <em> highlighting removed
        assert doc["published_at"][:10] == day and filing["announced_at"][:10] == day
        assert squash(lines[1]) in squash(doc["text"]) and doc["document"]["format"] == "pdf"
        if exchange == "cninfo":
            assert (filing["exchange"], filing["company_code"]) == ("SSE", "688999")
            # epoch milliseconds of midnight in Beijing: the same instant, in the source's zone
            assert doc["published_at"] == f"{day}T00:00:00+08:00"
            assert filing["company_name"] == "华辰半导体" and filing["category"]
        else:
            # two counters: one document, both codes and names as lists; entities decoded
            assert filing["exchange"] == "HKEX"
            assert filing["company_code"] == ["09999", "89999"]
            assert filing["company_name"] == ["HUACHEN SEMI", "HUACHEN SEMI-R"]
            assert filing["category"] == "Announcements and Notices - [Results / Others]"
            # 19:05 in Hong Kong, stated without a zone: stored with Hong Kong's offset
            assert doc["published_at"] == f"{day}T19:05:00+08:00"


def test_a_company_is_searched_across_filings_and_policy_in_both_languages(crawled, docs_site):
    server, _ = docs_site
    _, _, config, glossary = crawled
    result = run_monitor(
        "search",
        "Huachen Semiconductor",
        "--json",
        "--size",
        "20",
        config=config,
        env_extra={"MONITOR_GLOSSARY": str(glossary)},
    )
    assert result.returncode == 0, result.stderr
    paths = {hit["url"].removeprefix(server.base) for hit in json.loads(result.stdout)["hits"]}
    assert {f"/{e}/{p}" for e, p, *_ in FILINGS} <= paths  # Chinese and English filings
    assert "/policy/202403/t20240308_201.html" in paths  # the policy naming 华辰半导体


def test_every_counter_of_a_stock_finds_its_filings(crawled, docs_site):
    server, _ = docs_site
    _, _, config, _ = crawled
    for code in ("09999", "89999"):
        result = run_monitor("search", f"company:{code}", "--json", config=config)
        assert result.returncode == 0, result.stderr
        paths = {hit["url"].removeprefix(server.base) for hit in json.loads(result.stdout)["hits"]}
        assert {f"/hkex/{p}" for e, p, *_ in FILINGS if e == "hkex"} <= paths, code


def test_the_org_id_is_looked_up_once_and_a_wrong_one_fails_in_one_line(
    crawled, docs_site, lookups_file, tmp_path
):
    server, sources = docs_site
    assert "gshk0009999" in lookups_file.read_text()  # cached by the crawl above
    mark = len(server.requests)
    config = new_config()
    summary = crawl_json(sources, config, "--source", "cninfo-huachen")
    assert summary["cninfo-huachen"]["indexed"] == 3
    assert not any("topSearch" in r for r in server.requests[mark:])  # from the cache
    wrong = tmp_path / "sources.yaml"
    wrong.write_text(
        sources.read_text().replace('match: {code: "688999"}', 'match: {code: "688000"}')
    )
    result = run_monitor(
        "crawl", "--sources", str(wrong), "--source", "cninfo-huachen", "--no-translate", *FAST,
        config=config,
    )  # fmt: skip
    assert result.returncode != 0
    assert "no orgId for code 688000" in result.stderr + result.stdout
    delete_all(make_client(config), config)


CHECK = ("sources", "check", "--delay", "0", "--json")
LOCAL = {"MONITOR_PRIVATE_NETWORKS": "127.0.0.1/32"}


def test_sources_check_reports_each_source(docs_site):
    _, sources = docs_site
    result = run_monitor(*CHECK, "--sources", str(sources), "--sample", "2", env_extra=LOCAL)
    assert result.returncode == 0, result.stderr
    checked = {r["source"]: r for r in json.loads(result.stdout)["sources"]}
    assert all(r["ok"] and r["links"] >= 2 and r["chars"] >= 40 for r in checked.values())
    assert all(r["verdict"] == "ok" and r["robots"] == "allowed" for r in checked.values())
    assert all(len(r["articles"]) == 2 and len(r["examples"]) >= 2 for r in checked.values())
    assert all(r["seconds"] >= 0 and r["status"] == 200 for r in checked.values())


def test_sources_check_names_what_broke(docs_site, tmp_path):
    """A layout change that leaves the selector with nothing, a page its address makes
    unreachable for the crawler, a pager that leads nowhere: each says so, exit 1."""
    _, sources = docs_site
    broken = tmp_path / "sources.yaml"
    broken.write_text(sources.read_text().replace("ul.zcwj-list li a", "ul.gone a"))
    result = run_monitor(
        *CHECK, "--sources", str(broken), "--source", "xiling-policy", env_extra=LOCAL
    )
    assert result.returncode == 1
    [report] = json.loads(result.stdout)["sources"]
    assert not report["ok"] and report["verdict"] == "no links"
    assert "no article links" in report["error"]
    result = run_monitor(*CHECK, "--sources", str(sources), "--source", "xiling-policy")
    [report] = json.loads(result.stdout)["sources"]
    assert result.returncode == 1 and report["verdict"] == "blocked"
    assert "private_address" in report["error"]


@pytest.mark.parametrize(
    "api, line, words",
    [
        ("    api: {fields: {url: u}}\n", 5, "'items'"),
        ("    api: {items: x, fields: {title: t}}\n", 5, "'fields' must map at least 'url'"),
        ("    api: {items: x, fields: {url: u}, method: PUT}\n", 5, "'method'"),
        ("    api: {items: x, fields: {url: u}, window: soon}\n", 5, "'window'"),
        ("    api: {items: x, fields: {url: u, colour: c}}\n", 5, "unknown field"),
    ],
)
def test_bad_api_config_names_the_line(tmp_path, api, line, words):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - id: x\n    type: api\n    urls: http://x.test/list\n" + api)
    with pytest.raises(ConfigError) as error:
        load_sources(path)
    assert f"sources.yaml:{line}:" in str(error.value) and words in str(error.value)


def test_an_attachment_that_failed_is_fetched_again_next_run(tmp_path):
    server = serve(WWW)
    config = new_config()
    sources = render_sources(DOCS / "sources.yaml", server.base, tmp_path / "sources.yaml")
    annex = "/policy/files/202403/P020240308_1.pdf"
    page = server.base + "/policy/202403/t20240308_201.html"
    crawl = ("--source", "xiling-policy", "--no-translate")
    es = make_client(config)
    try:
        server.fail[annex] = 503  # the file server is down during the first crawl
        crawl_json(sources, config, *crawl)
        first = es.search(index=config.index_name("articles"), query={"term": {"url": page}})
        [stored] = [hit["_source"] for hit in first["hits"]["hits"]]
        assert stored["attachments_complete"] is False
        assert stored["attachments"][0]["error"] == "HTTP 503"
        del server.fail[annex]
        mark = len(server.log)
        second = crawl_json(sources, config, *crawl)["xiling-policy"]
        es.indices.refresh(index=config.index_name("articles"))
        again = es.search(index=config.index_name("articles"), query={"term": {"url": page}})
        [stored] = [hit["_source"] for hit in again["hits"]["hits"]]
        assert stored["attachments_complete"] is True and second["indexed"] == 1
        assert "首次完成流片" in stored["attachments"][0]["text"]
        fetched = [p for p, status in server.log[mark:] if status == 200]
        # only that page (and its attachments) again; the others are known
        assert "/policy/202403/t20240308_201.html" in fetched
        assert "/policy/202404/t20240418_204.html" not in fetched
    finally:
        server.shutdown()
        delete_all(es, config)


def test_show_a_policy_page_with_its_attachments(crawled, docs_site):
    server, _ = docs_site
    _, _, config, _ = crawled
    es = make_client(config)  # as stored now (other tests crawl again)
    query = {"term": {"doc_type": "policy"}}
    hits = es.search(index=config.index_name("articles"), query=query, size=50)["hits"]["hits"]
    doc = next(
        h["_source"]
        for h in hits
        if any(a.get("text") for a in h["_source"].get("attachments") or [])
    )
    path = doc["url"].removeprefix(server.base)
    by_url = run_monitor("show", server.base + path, "--json", config=config)
    assert by_url.returncode == 0, by_url.stderr
    shown = json.loads(by_url.stdout)
    assert shown["policy"] == doc["policy"] and shown["attachments"] == doc["attachments"]
    human = run_monitor("show", shown["id"], config=config)
    assert human.returncode == 0, human.stderr
    out = human.stdout
    assert doc["title"] in out and doc["policy"]["doc_number"] in out and "文号" in out
    assert doc["policy"]["issuer"] in out and (doc.get("canonical_url") or doc["url"]) in out
    first = next(a for a in doc["attachments"] if a.get("text"))
    assert f"attachment {doc['attachments'].index(first) + 1}: {first['name']}" in out
    assert first["text"].split("\n")[0].strip()[:20] in out.replace("\n", "")
    for paragraph in doc["text"].split("\n")[:3]:
        assert paragraph.strip()[:20] in out.replace("\n", "")
    missing = run_monitor("show", "0" * 40, config=config)
    assert missing.returncode == 2 and "no document" in missing.stderr


def test_pdf_text_has_no_split_words():
    """The sample PDFs are typeset as real ones (Latin text broken between words), and a word
    the typesetter hyphenated at a line end comes out whole."""
    from monitor.text.documents import _tidy

    for pdf in (WWW / "hkex").rglob("*.pdf"):
        text = extract_document(pdf.read_bytes(), pdf.name, "application/pdf", 10)["text"]
        assert "wort\nh" not in text and "12-in\nch" not in text
        assert all(word.isalpha() or not word.isascii() for word in text.split() if len(word) == 1)
    assert _tidy("manufac-\nturing of 12-inch wafers") == "manufacturing of 12-inch wafers"
