"""Evidence and change: raw captures (WARC) that give back the bytes served and replay to the
stored text, versions kept when a page's text changes (and not for page furniture), on a local
site whose pages the tests edit between crawls."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from monitor.crawl.capture import read_capture, records
from monitor.demo.server import serve
from monitor.errors import CaptureError
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from tests.conftest import crawl_json, new_config, run_monitor

POLICY = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>关于加快集成电路产业链协同发展的若干措施_江北省工业和信息化厅</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/zcwj/">政策文件</a></div>
<div class="article"><h1>关于加快集成电路产业链协同发展的若干措施</h1>
<p class="info">发布日期：2024-05-06</p>
{paragraphs}
</div>
<div class="side"><h3>热点</h3><p>更新时间：{stamp}</p>
<ul><li><a href="/zcwj/old.html">往期文件</a></li></ul></div>
<div class="footer">江北省工业和信息化厅 版权所有</div></body></html>"""

PARAGRAPHS = [
    "一、支持设计企业流片。对首轮流片的集成电路设计企业，按照流片费用的百分之三十给予补助，"
    "单个企业每年最高补助一千万元，鼓励设计企业与本省制造企业开展协同攻关。",
    "二、推动制造能力提升。对新建十二英寸晶圆生产线的项目，按照设备投资额的百分之十给予奖励，"
    "并在土地、能耗指标等方面优先保障，支持企业扩大成熟制程产能。",
    "三、加强人才引育。对引进的集成电路领军人才给予一次性安家补贴，支持高校与企业共建产业学院，"
    "每年培养不少于五千名专业技术人才，并落实住房、子女入学等配套服务。",
    "四、优化产业生态。建设集成电路公共服务平台，为中小企业提供设计工具、测试验证和知识产权服务，"
    "对平台运营单位按照服务绩效给予运营补贴。",
]


def page(paragraphs: list[str], stamp: str = "2024-05-06 09:00") -> str:
    return POLICY.format(paragraphs="\n".join(f"<p>{p}</p>" for p in paragraphs), stamp=stamp)


@pytest.fixture()
def site(tmp_path):
    """A listing with three policy pages; b.html is served gzip-coded."""
    root = tmp_path / "www"
    (root / "zcwj").mkdir(parents=True)
    links = "".join(f'<li><a href="/zcwj/{n}.html">文件{n}</a></li>' for n in "abc")
    (root / "zcwj" / "index.html").write_text(
        f'<html><body><ul class="list">{links}</ul></body></html>', encoding="utf-8"
    )
    write(root, "a", page(PARAGRAPHS))
    other = [p.replace("集成电路", "新型显示") for p in PARAGRAPHS]
    (root / "zcwj" / "b.html").write_bytes(gzip.compress(page(other).encode("utf-8")))
    (tmp_path / "headers.json").write_text(
        json.dumps({"/zcwj/b.html": {"Content-Encoding": "gzip"}})
    )
    third = [p.replace("集成电路", "工业软件") for p in PARAGRAPHS]
    write(root, "c", page(third))
    server = serve(root)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        f"  - id: jiangbei\n    type: listing\n    urls: {server.base}/zcwj/index.html\n"
        "    links: ul.list li a\n    next: a.next\n    language: zh\n"
    )
    config = new_config()
    yield root, server, sources, config
    server.shutdown()
    delete_all(make_client(config), config)


def write(root: Path, name: str, html: str) -> None:
    (root / "zcwj" / f"{name}.html").write_text(html, encoding="utf-8")


def stored(config, name: str) -> dict:
    es = make_client(config)
    es.indices.refresh(index=config.index_name("articles"))
    hits = es.search(
        index=config.index_name("articles"), query={"wildcard": {"url": f"*/{name}.html"}}
    )["hits"]["hits"]
    assert len(hits) == 1, hits
    return {"id": hits[0]["_id"], **hits[0]["_source"]}


def versions(config, doc_id: str) -> list[dict]:
    es = make_client(config)
    index = config.index_name("versions")
    if not es.indices.exists_alias(name=index):
        return []
    es.indices.refresh(index=index)
    hits = es.search(index=index, query={"term": {"document_id": doc_id}}, sort=["version"])
    return [h["_source"] for h in hits["hits"]["hits"]]


def test_a_capture_gives_back_the_bytes_served_and_replays_to_the_stored_text(site, warc_dir):
    root, server, sources, config = site
    crawl_json(sources, config)
    doc = stored(config, "b")
    assert doc["capture"]["file"].endswith(".warc.gz") and doc["capture"]["status"] == 200
    served = (root / "zcwj" / "b.html").read_bytes()  # gzip-coded, as sent
    raw = run_monitor("capture", doc["id"], "--out", str(root.parent / "b.http"), config=config)
    assert raw.returncode == 0, raw.stderr
    http = (root.parent / "b.http").read_bytes()
    head, _, body = http.partition(b"\r\n\r\n")
    assert body == served  # the body as the server sent it, content coding kept
    assert head.startswith(b"HTTP/1.1 200") and b"Content-Encoding: gzip" in head
    decoded = run_monitor("capture", doc["url"], "--body", config=config)
    assert decoded.stdout == gzip.decompress(served).decode("utf-8")
    replay = run_monitor("capture", "--replay", doc["id"], "--json", config=config)
    assert replay.returncode == 0, replay.stderr
    assert json.loads(replay.stdout)["same_text"] is True
    # every stored page replays to its stored text
    for name in "ac":
        again = run_monitor("capture", "--replay", stored(config, name)["id"], config=config)
        assert again.returncode == 0 and "the stored text, exactly" in again.stdout


def test_a_torn_last_record_is_skipped_and_reported(site, warc_dir):
    """A crawl killed with -9 while writing: the whole records before stay readable, the torn one
    is skipped on reading, and a capture pointing into it fails with one line and exit 8."""
    root, server, sources, config = site
    crawl_json(sources, config)
    doc = stored(config, "a")
    path = warc_dir / doc["capture"]["file"]
    whole = list(records(path))
    size = path.stat().st_size
    data = path.read_bytes()
    first = data[: whole[1][0]]  # the first record's gzip member, whole
    with open(path, "ab") as handle:  # a record cut half-way: what kill -9 leaves
        handle.write(first[: len(first) // 2])
    assert [offset for offset, _ in records(path)] == [offset for offset, _ in whole]
    assert read_capture(warc_dir, doc["capture"]).status == 200
    with pytest.raises(CaptureError, match="torn"):
        read_capture(warc_dir, {"file": path.name, "offset": size})
    path.unlink()
    missing = run_monitor("capture", doc["id"], config=config)
    assert missing.returncode == 8 and missing.stderr.count("\n") == 1, missing.stderr


@pytest.mark.smoke
def test_a_changed_page_makes_one_version_with_its_diff_and_furniture_makes_none(site):
    root, server, sources, config = site
    crawl_json(sources, config)
    first = stored(config, "a")
    assert first.get("version") in (None, 1) and versions(config, first["id"]) == []
    # a: the second measure rewritten, a fifth added
    revised = list(PARAGRAPHS)
    revised[1] = revised[1].replace("百分之十", "百分之十五").replace("成熟制程", "先进制程")
    revised.append(
        "五、本措施自发布之日起施行，有效期三年。此前规定与本措施不一致的，以本措施为准。"
    )
    write(root, "a", page(revised))
    # c: only the sidebar's "updated" stamp moved
    third = [p.replace("集成电路", "工业软件") for p in PARAGRAPHS]
    write(root, "c", page(third, stamp="2024-06-30 17:45"))
    summary = crawl_json(sources, config, "--full")["jiangbei"]
    assert summary["indexed"] == 1, summary  # a changed; b and c unchanged
    now = stored(config, "a")
    assert now["version"] == 2 and now["changed_at"] and "先进制程" in now["text"]
    assert now["changes"] == {"added": 2, "removed": 1, "summary": "+2 −1 paragraphs"}
    kept = versions(config, now["id"])
    assert len(kept) == 1 and kept[0]["version"] == 1
    assert "成熟制程" in kept[0]["text"] and kept[0]["content_hash"] == first["content_hash"]
    assert kept[0]["capture"] == first["capture"]  # the evidence of the old text stays reachable
    assert stored(config, "c").get("version") in (None, 1)
    assert versions(config, stored(config, "c")["id"]) == []
    # the same text again: no new version
    crawl_json(sources, config, "--full")
    assert stored(config, "a")["version"] == 2 and len(versions(config, now["id"])) == 1
    diff = run_monitor("diff", now["id"], config=config)
    assert diff.returncode == 0, diff.stderr
    lines = diff.stdout.splitlines()
    assert any(line.startswith("- ") and "成熟制程" in line for line in lines), diff.stdout
    assert any(line.startswith("+ ") and "先进制程" in line for line in lines)
    assert any(line.startswith("+ ") and "五、本措施" in line for line in lines)
    assert not any(line.startswith(("+ ", "- ")) and "三、加强人才引育" in line for line in lines)
    listing = run_monitor("show", now["id"], "--versions", "--json", config=config)
    shown = json.loads(listing.stdout)
    assert [v["version"] for v in shown["versions"]] == [1, 2]


def test_a_withdrawn_page_is_marked_kept_and_hidden_from_search(site):
    """A re-check (recheck: 1s) that gets 404, or a redirect to the home page, marks the document
    withdrawn: still stored, hidden from search unless --include-withdrawn, shown marked; a page
    that comes back is unmarked."""
    root, server, sources, config = site
    (root / "index.html").write_text("<html><body><h1>江北省工业和信息化厅</h1></body></html>")
    sources.write_text(sources.read_text() + "    recheck: 1s\n")
    crawl_json(sources, config)
    server.fail["/zcwj/a.html"] = 404
    server.routes["/zcwj/c.html"] = lambda method, query, body: (
        301, {"Location": f"{server.base}/"}, b""
    )  # fmt: skip
    import time

    time.sleep(1.2)  # the records are older than `recheck`
    summary = crawl_json(sources, config)["jiangbei"]
    gone, moved = stored(config, "a"), stored(config, "c")
    assert gone["withdrawn_at"] and gone["withdrawn_reason"] == "HTTP 404"
    assert moved["withdrawn_at"] and moved["withdrawn_reason"] == "redirected to the home page"
    assert stored(config, "b").get("withdrawn_at") is None
    assert summary["errors"] >= 1  # the 404 is still reported as a fetch error
    hidden = run_monitor("search", "--json", config=config)
    ids = {h["id"] for h in json.loads(hidden.stdout)["hits"]}
    assert ids == {stored(config, "b")["id"]}
    shown = run_monitor("search", "--include-withdrawn", "--expand-stories", config=config)
    assert shown.stdout.count("WITHDRAWN") == 2, shown.stdout
    first_date = gone["withdrawn_at"]
    time.sleep(1.2)
    crawl_json(sources, config)  # still gone: the first date stays
    assert stored(config, "a")["withdrawn_at"] == first_date
    del server.fail["/zcwj/a.html"]
    time.sleep(1.2)
    crawl_json(sources, config)  # back again
    assert stored(config, "a").get("withdrawn_at") is None


def test_watches_hear_of_new_versions_and_withdrawals_when_they_ask(site, tmp_path):
    """`on: [changed, withdrawn]`: a watch gets an alert for a new version of a matching page and
    for a matching page found gone; a watch with the default `on: [new]` gets neither; three
    pages of one story (one word apart) are one `new` alert."""
    root, server, sources, config = site
    (root / "index.html").write_text("<html><body><h1>江北省工业和信息化厅</h1></body></html>")
    sources.write_text(sources.read_text() + "    recheck: 1s\n")
    watchlist = tmp_path / "watchlists.yaml"
    watchlist.write_text(
        "watches:\n"
        "  - id: chips-events\n    any: [流片]\n    on: [new, changed, withdrawn]\n"
        "  - id: chips-new\n    any: [流片]\n"
    )
    env = {"MONITOR_WATCHLIST_FILE": str(watchlist)}
    crawl_json(sources, config, env_extra=env)
    revised = [PARAGRAPHS[0].replace("百分之三十", "百分之四十"), *PARAGRAPHS[1:]]
    write(root, "a", page(revised))  # a new version of a page that matches
    server.fail["/zcwj/b.html"] = 404  # a matching page gone
    import time

    time.sleep(1.2)
    crawl_json(sources, config, env_extra=env)
    es = make_client(config)
    es.indices.refresh(index=config.index_name("alerts"))
    alerts = [
        h["_source"]
        for h in es.search(index=config.index_name("alerts"), size=100)["hits"]["hits"]
        if h["_source"]["kind"] == "watch"
    ]
    everything = es.search(index=config.index_name("alerts"), size=100)["hits"]["hits"]
    events = sorted((a["watch_id"], a["event"], a["url"].rsplit("/", 1)[1]) for a in alerts)
    # a, b and c differ by one word: one story, so `new` alerts once per watch, naming the
    # story's first document, the other two `also_in` it (changed and withdrawn: per document)
    news = {a["watch_id"]: a for a in alerts if a["event"] == "new"}
    story = news["chips-new"]["url"].rsplit("/", 1)[1]
    assert events == sorted([
        ("chips-events", "changed", "a.html"),
        ("chips-events", "new", story),
        ("chips-events", "withdrawn", "b.html"),
        ("chips-new", "new", story),
    ]), (events, everything)  # fmt: skip
    for alert in news.values():
        others = {m["url"].rsplit("/", 1)[1] for m in alert["also_in"]}
        assert others | {story} == {"a.html", "b.html", "c.html"} and story not in others
    changed = next(a for a in alerts if a["event"] == "changed")
    assert changed["changes"]["summary"] == "+1 −1 paragraphs"


def test_an_article_a_listing_drops_is_rechecked_before_its_time(site):
    """A source that re-checks weekly: its listing page stops linking an article that was taken
    down. The article is re-checked in that very crawl (found gone: withdrawn), while the
    articles still listed are not fetched again before their re-check is due."""
    root, server, sources, config = site
    sources.write_text(sources.read_text() + "    recheck: 7d\n")
    crawl_json(sources, config)
    links = "".join(f'<li><a href="/zcwj/{n}.html">文件{n}</a></li>' for n in "bc")
    (root / "zcwj" / "index.html").write_text(
        f'<html><body><ul class="list">{links}</ul></body></html>', encoding="utf-8"
    )
    server.fail["/zcwj/a.html"] = 410
    mark = len(server.log)
    summary = crawl_json(sources, config)["jiangbei"]
    fetched = [path for path, _ in server.log[mark:]]
    assert "/zcwj/a.html" in fetched, fetched
    assert "/zcwj/b.html" not in fetched and "/zcwj/c.html" not in fetched
    gone = stored(config, "a")
    assert gone["withdrawn_at"] and gone["withdrawn_reason"] == "HTTP 410"
    assert summary["errors"] == 1, summary
    mark = len(server.log)
    crawl_json(sources, config)  # the listing as last time: nothing is re-checked again
    assert "/zcwj/a.html" not in [path for path, _ in server.log[mark:]]
