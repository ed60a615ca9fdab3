"""References by document number on the real node: a national notice, the province that
implements it and repeals its own older rule, a city that implements the province (three
levels), an English report, a look-alike; crawled in two rounds, the province last, so the city's
reference links up when its target arrives."""

from __future__ import annotations

import json
from html import escape

import pytest

from monitor.demo.server import serve
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from tests.conftest import crawl_json, new_config, run_monitor

NATIONAL = "国务院关于印发新时期促进集成电路产业高质量发展若干政策的通知"
PROVINCIAL = "江东省贯彻落实集成电路产业若干政策的实施意见"
PAGES = {
    "guofa": ("国务院", "国发〔2020〕8号", NATIONAL,
              "各省、自治区、直辖市人民政府：现将若干政策印发给你们，请认真贯彻执行。"),
    "old": ("江东省人民政府", "江政发[2019]12号", "江东省集成电路产业扶持办法",
            "为扶持集成电路产业发展，制定本办法。本办法自发布之日起施行。"),
    "province": ("江东省人民政府", "江政发〔2021〕5号", PROVINCIAL,
                 "为贯彻落实《国务院关于印发新时期促进集成电路产业高质量发展若干政策的通知》"
                 "（国发〔2020〕8号），结合本省实际，提出如下意见。本意见自印发之日起施行，"
                 "原《江东省集成电路产业扶持办法》（江政发[2019]12号）同时废止。"),
    "city": ("江城市人民政府", "江城发〔2022〕3号", "江城市落实省集成电路实施意见的工作方案",
             "根据《江东省贯彻落实集成电路产业若干政策的实施意见》（江政发〔2021〕5号），"
             "制定本方案。市工信局负责组织实施，联系电话：0571-87050000。"),
    # a repeal stored before what it repeals (that arrives with the province)
    "software": ("江东省人民政府", "江政发〔2020〕9号", "江东省软件和信息服务业发展办法",
                 "为促进软件和信息服务业发展，制定本办法。本办法自发布之日起施行，"
                 "原《江东省软件产业促进办法》（江政发〔2018〕7号）同时废止。"),
    "software-old": ("江东省人民政府", "江政发〔2018〕7号", "江东省软件产业促进办法",
                     "为促进软件产业发展，制定本办法。"),
    "lookalike": (None, None, "高新区第2号楼完成改造",
                  "高新区第2号楼改造工程近日完工，2024年第3号台风期间未受影响，入驻企业陆续搬入。"),
}  # fmt: skip
REPORT = (
    "Province rolls out chip incentives",
    "The province said its measures implement Guofa [2020] No. 8, the State Council's 2020 chip "
    "policy, and replace a 2019 support scheme for integrated circuit makers.",
)


def _page(issuer, number, title, text, lang="zh-CN") -> str:
    labels = f"<p>发文机关：{issuer}</p><p>发文字号：{number}</p>" if number else ""
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{escape(title)}"
        f"</title></head><body><article><h1>{escape(title)}</h1>{labels}<p>{escape(text)}</p>"
        "</article></body></html>"
    )


def _listing(root, names) -> None:
    links = "".join(f"<li><a href='/gov/{n}.html'>{n}</a></li>" for n in names)
    (root / "gov" / "index.html").write_text(
        f"<html><body><ul class='docs'>{links}</ul></body></html>"
    )


@pytest.fixture(scope="module")
def refs(tmp_path_factory):
    root = tmp_path_factory.mktemp("refs")
    (root / "gov").mkdir()
    for name, page in PAGES.items():
        (root / "gov" / f"{name}.html").write_text(_page(*page), encoding="utf-8")
    (root / "gov" / "report.html").write_text(_page(None, None, *REPORT, lang="en"), "utf-8")
    first = [n for n in [*PAGES, "report"] if n not in ("province", "software-old")]
    _listing(root, first)
    server = serve(root)
    sources = root.parent / f"{root.name}-sources.yaml"
    sources.write_text(
        "sources:\n  - id: refs\n    type: listing\n"
        f"    urls: {server.base}/gov/index.html\n    links: ul.docs li a\n    pages: none\n"
    )
    watchlist = root.parent / f"{root.name}-watchlists.yaml"
    watchlist.write_text(
        "watches:\n  - id: guofa-8\n    query: 'cites:国发〔2020〕8号'\n"
        "  - id: guofa-8-implemented\n    query: 'implements:\"Guofa [2020] No. 8\" 集成电路'\n",
        encoding="utf-8",
    )
    env = {"MONITOR_WATCHLIST_FILE": str(watchlist)}
    config = new_config()
    crawl_json(sources, config, env_extra=env)

    def show(name: str) -> dict:
        result = run_monitor("show", f"{server.base}/gov/{name}.html", "--json", config=config)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    show.base = server.base
    before = show("city")
    _listing(root, [*first, "province", "software-old"])
    crawl_json(sources, config, env_extra=env)
    show.sources = sources
    yield show, before, config
    delete_all(make_client(config), config)
    server.shutdown()


def test_a_reference_links_up_when_its_document_arrives(refs):
    show, before, _ = refs
    [ref] = before["cites"]
    assert (ref["key"], ref["kind"], ref["document"]) == ("江政发|2021|5", "implements", None)
    [ref] = show("city")["cites"]
    assert ref["document"]["title"] == "江东省贯彻落实集成电路产业若干政策的实施意见"
    assert ref["title"] == "江东省贯彻落实集成电路产业若干政策的实施意见"


def test_cited_by_across_levels_and_languages_and_a_repeal(refs):
    show, _, _ = refs
    province = show("province")
    assert province["number_key"] == "江政发|2021|5"
    assert sorted((r["key"], r["kind"]) for r in province["cites"]) == [
        ("国发|2020|8", "implements"), ("江政发|2019|12", "repeals")]  # fmt: skip
    assert [(d["title"], d["kind"]) for d in province["cited_by"]] == [
        ("江城市落实省集成电路实施意见的工作方案", "implements")]  # fmt: skip
    national = show("guofa")
    assert sorted(d["kind"] for d in national["cited_by"]) == ["implements", "implements"]
    assert {d["title"] for d in national["cited_by"]} == {
        "江东省贯彻落实集成电路产业若干政策的实施意见",
        REPORT[0],
    }
    old = show("old")
    assert [d["doc_number"] for d in old["repealed_by"]] == ["江政发〔2021〕5号"]
    assert show("lookalike")["cites"] == [] and show("city")["cites"][0]["kind"] == "implements"


@pytest.mark.parametrize(
    "query, titles",
    [
        ("cites:国发〔2020〕8号", {"江东省贯彻落实集成电路产业若干政策的实施意见", REPORT[0]}),
        ('implements:"Guofa [2020] No. 8"', {PROVINCIAL, REPORT[0]}),
        ('repeals:"江政发[2019]12号"', {"江东省贯彻落实集成电路产业若干政策的实施意见"}),
        ("implements:江政发〔2021〕5号", {"江城市落实省集成电路实施意见的工作方案"}),
    ],
)  # fmt: skip
def test_search_by_reference_in_any_written_form(refs, query, titles):
    _, _, config = refs
    result = run_monitor("search", query, "--json", "--expand-stories", config=config)
    assert result.returncode == 0, result.stderr
    assert {h["title"] for h in json.loads(result.stdout)["hits"]} == titles


def test_a_watch_on_a_document_number_hears_of_every_new_document_that_cites_it(refs):
    """Who implements this? A watch on the number alerts on each new document citing it (the
    English report in the first crawl, the province when it arrives), and only on those."""
    _, _, config = refs
    es = make_client(config)
    es.indices.refresh(index=config.index_name("alerts"))
    hits = es.search(index=config.index_name("alerts"), size=50, query={"term": {"kind": "watch"}})
    alerts = sorted((h["_source"]["watch_id"], h["_source"]["title"]) for h in hits["hits"]["hits"])
    assert alerts == [  # the English report is about integrated circuits too (集成电路)
        ("guofa-8", REPORT[0]),
        ("guofa-8", PROVINCIAL),
        ("guofa-8-implemented", REPORT[0]),
        ("guofa-8-implemented", PROVINCIAL),
    ]


def test_refs_prints_the_chain_both_ways(refs):
    """From the national notice down: the province implements it, the city the province (two
    levels); from the province up: what it implements and what it repealed."""
    show, _, config = refs
    result = run_monitor("refs", f"{show.base}/gov/guofa.html", "--json", config=config)
    tree = json.loads(result.stdout)
    [province] = [n for n in tree["cited_by"] if n["title"] == PROVINCIAL]
    assert province["kind"] == "implements"
    assert [(n["kind"], n["doc_number"]) for n in province["cited_by"]] == [
        ("implements", "江城发〔2022〕3号")]  # fmt: skip
    said = run_monitor("refs", f"{show.base}/gov/province.html", config=config).stdout
    assert "implements → 国发〔2020〕8号 " + NATIONAL in said
    assert "repeals    → 江政发〔2019〕12号 江东省集成电路产业扶持办法" in said  # as labelled
    assert "implemented by ← 江城发〔2022〕3号 江城市落实省集成电路实施意见的工作方案" in said


def test_search_hits_say_a_document_was_repealed(refs):
    _, _, config = refs
    result = run_monitor("search", "集成电路产业扶持办法", "--json", config=config)
    [old] = [
        h for h in json.loads(result.stdout)["hits"] if h["title"] == "江东省集成电路产业扶持办法"
    ]
    assert old["repealed_by"]["doc_number"] == "江政发〔2021〕5号"
    said = run_monitor("search", "集成电路产业扶持办法", config=config).stdout
    assert "REPEALED by 江政发〔2021〕5号" in said


def _titles(config, query: str) -> set[str]:
    result = run_monitor("search", query, "--json", "--expand-stories", config=config)
    assert result.returncode == 0, result.stderr
    return {h["title"] for h in json.loads(result.stdout)["hits"]}


REPEALED = {"江东省集成电路产业扶持办法", "江东省软件产业促进办法"}


def test_a_repealed_document_says_so_whichever_arrived_first(refs):
    """The 2019 rule was stored before the province repealed it, the 2018 one after the rule
    that repeals it: both carry `repealed_by`, and `repealed:` finds them."""
    show, _, config = refs
    es = make_client(config)
    alias = config.index_name("articles")
    by = {}
    for hit in es.search(index=alias, query={"exists": {"field": "repealed_by"}})["hits"]["hits"]:
        by[hit["_source"]["title"]] = hit["_source"]["repealed_by"]["doc_number"]
    assert by == {"江东省集成电路产业扶持办法": "江政发〔2021〕5号",
                  "江东省软件产业促进办法": "江政发〔2020〕9号"}  # fmt: skip
    assert _titles(config, "repealed:yes") == REPEALED
    in_force = _titles(config, "type:policy repealed:no")
    assert in_force and not in_force & REPEALED and PROVINCIAL in in_force
    assert show("software-old")["repealed_by"][0]["doc_number"] == "江政发〔2020〕9号"
    bad = run_monitor("search", "repealed:maybe", config=config)
    assert bad.returncode == 2 and "repealed:maybe is not yes or no" in bad.stderr


def test_kibana_gets_a_saved_search_of_the_documents_that_cite_a_number(refs, tmp_path):
    """`monitor kibana export --cites` adds one per number; run as Kibana would, it finds the
    citing documents, and the "in force" search leaves the repealed ones out."""
    from monitor.kibana import es_request

    _, _, config = refs
    out = tmp_path / "objects.ndjson"
    result = run_monitor("kibana", "export", "--out", str(out), "--cites", "Guofa [2020] No. 8",
                         config=config)  # fmt: skip
    assert result.returncode == 0, result.stderr
    objects = {o["id"]: o for o in map(json.loads, out.read_text("utf-8").splitlines())}
    prefix = config.index_prefix
    [cites] = [o for o in objects.values() if o["id"].startswith(f"{prefix}-cites-")]
    assert cites["attributes"]["title"] == "Documents that cite Guofa [2020] No. 8 (国发|2020|8)"
    es = make_client(config)

    def run(obj) -> set[str]:
        index, body = es_request(obj)
        return {h["_source"]["title"] for h in es.search(index=index, **body)["hits"]["hits"]}

    assert run(cites) == {PROVINCIAL, REPORT[0]}
    assert run(objects[f"{prefix}-repealed-documents"]) == REPEALED
    in_force = run(objects[f"{prefix}-policy-documents-in-force"])
    assert PROVINCIAL in in_force and not in_force & REPEALED
    bad = run_monitor("kibana", "export", "--cites", "第2号楼", config=config)
    assert bad.returncode == 2 and "is not a document number" in bad.stderr


def test_a_crawl_start_reconciles_only_the_repeals_written_since_the_last(refs):
    """The crawls kept when they last reconciled repeals in the index's `_meta`; a start reads
    only the repeals written since (less a margin): one written before is not read again, and
    without the mark every repeal is."""
    from monitor.es.references import RECONCILED, ReferenceStep

    _, _, config = refs
    es = make_client(config)
    alias = config.index_name("articles")
    [(index, found)] = es.indices.get_mapping(index=alias).items()
    meta = found["mappings"]["_meta"]
    assert meta[RECONCILED] and meta["schema"] == "news-monitor/articles"
    [hit] = es.search(index=alias, query={"exists": {"field": "repealed_by"}}, size=1)["hits"][
        "hits"
    ]
    stripped = {k: v for k, v in hit["_source"].items() if k != "repealed_by"}

    def marked_after_open(mark: str | None) -> bool:
        es.index(index=index, id=hit["_id"], document=stripped, refresh=True)
        kept = {k: v for k, v in meta.items() if k != RECONCILED}
        es.indices.put_mapping(index=index, meta={**kept, **({RECONCILED: mark} if mark else {})})
        ReferenceStep(alias).open(es)
        es.indices.refresh(index=index)
        return "repealed_by" in es.get(index=index, id=hit["_id"])["_source"]

    assert not marked_after_open("2999-01-01T00:00:00+00:00")  # its repealer is older: not read
    assert marked_after_open(None)  # no mark: every repeal, this one too
    after = es.indices.get_mapping(index=index)[index]["mappings"]["_meta"]
    assert after[RECONCILED] > meta[RECONCILED] and after["schema"] == meta["schema"]


def test_documents_stored_before_references_get_them_at_the_next_crawl(refs):
    """Documents written without references (as an older version stored them) are read again
    from their stored text when a crawl opens the index, and repeals marked again: nothing is
    fetched for it. (Last in the module: it strips the fields it then checks.)"""
    show, _, config = refs
    es = make_client(config)
    alias = config.index_name("articles")
    fields = ["number_key", "cites", "implements", "repeals", "amends", "references",
              "references_version", "repealed_by"]  # fmt: skip
    for hit in es.search(index=alias, size=100)["hits"]["hits"]:  # written again without them
        source = {k: v for k, v in hit["_source"].items() if k not in fields}
        es.index(index=hit["_index"], id=hit["_id"], document=source)
    es.indices.refresh(index=alias)
    assert not es.count(index=alias, query={"exists": {"field": "cites"}})["count"]
    assert show("province")["cites"] == []
    summary = crawl_json(show.sources, config)
    assert summary["refs"]["indexed"] == 0  # nothing new: the fields came from the stored text
    province = show("province")
    assert sorted((r["key"], r["kind"]) for r in province["cites"]) == [
        ("国发|2020|8", "implements"), ("江政发|2019|12", "repeals")]  # fmt: skip
    assert _titles(config, "repealed:yes") == REPEALED
