"""Stories across reprints: twenty edited reprints of one story, spread over three sites, get one
story_id (MinHash LSH over Han-character shingles); two other stories on the same topic stay
apart; search shows the story once, as its earliest document, with "N similar"."""

from __future__ import annotations

import json
import random

import pytest

from monitor.demo.server import serve
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from monitor.text.stories import signature, similarity
from tests.conftest import crawl_json, new_config, run_monitor

STORY = [
    "工业和信息化部日前召开集成电路产业发展推进会，部署下一阶段重点工作。会议指出，"
    "今年以来我国集成电路产业保持较快增长，前四个月规模以上企业营业收入同比增长百分之十八。",
    "会议提出，要加快关键装备和材料攻关，支持十二英寸晶圆制造线建设，"
    "推动设计、制造、封装测试各环节协同发展，提升产业链供应链韧性和安全水平。",
    "会议强调，国家集成电路产业投资基金三期将重点投向光刻设备、电子设计自动化软件和高端芯片，"
    "引导地方基金和社会资本跟进，形成多元化投入格局。",
    "会议要求，各地要因地制宜布局特色工艺和化合物半导体项目，避免低水平重复建设，"
    "对已建成产线的产能利用率开展评估，防止盲目上马。",
    "在人才方面，会议提出扩大集成电路学院招生规模，完善工程师职称评审办法，"
    "支持企业与高校共建实训基地，缓解设计和工艺人才紧缺问题。",
    "会议还部署了标准体系建设工作，提出年内发布车规级芯片、功率半导体等领域二十项行业标准，"
    "加快检测认证平台建设，服务企业产品验证。",
    "据介绍，工业和信息化部将会同有关部门建立重点项目调度机制，按季度通报进展，"
    "及时协调解决企业在用地、用能和融资方面遇到的困难。",
]
OTHER_STORIES = {
    "talent": [
        "江南省近日印发《集成电路人才引育若干措施》，从引进、培养、评价、激励四个方面提出十八条举措。",
        "措施提出，对全职引进的集成电路领军人才给予最高五百万元安家补助，对团队给予项目经费支持。",
        "在培养方面，支持省内高校设立集成电路一级学科，每年定向培养硕士、博士研究生一千名以上。",
        "措施明确，企业引进的高层次人才可直接申报正高级工程师职称，不受任职年限限制。",
        "江南省工业和信息化厅有关负责人表示，将建立人才服务专员制度，为人才提供住房、医疗、子女入学等服务。",
    ],
    "exports": [
        "海关总署最新数据显示，今年前五个月我国集成电路出口数量同比增长百分之九，出口金额增长百分之二十一。",
        "从产品结构看，存储芯片和功率半导体出口增长较快，模拟芯片出口保持平稳，逻辑芯片出口有所回落。",
        "从贸易伙伴看，对东盟出口增长最快，对欧盟出口增速放缓，对韩国出口基本持平。",
        "分析人士指出，出口增长主要受益于全球消费电子需求回暖和汽车电子订单增加，但价格竞争加剧值得关注。",
        "业内预计，下半年半导体行业景气度将继续回升，出口有望保持增长态势，但外部环境不确定性依然较大。",
    ],
}
HEADLINES = ["工信部部署集成电路产业发展重点工作", "集成电路产业推进会召开 大基金三期投向明确",
             "工信部：加快关键装备和材料攻关", "重磅！集成电路产业迎来新部署"]  # fmt: skip
BYLINES = ["（记者 王晓明）", "（本报记者 李华）", "来源：新华社", "（综合报道）", ""]


def reprint(n: int, rng: random.Random) -> tuple[str, list[str]]:
    """The story as reprint n tells it: another headline and byline, and 0–30 % edited (a
    paragraph cut or reworded, a sentence added)."""
    paragraphs = list(STORY)
    edits = n % 4  # 0 to 3 edited paragraphs (up to about 30 %)
    if n:  # every reprint differs from the others (an exact copy is dropped by the hash dedupe)
        paragraphs[n % len(paragraphs)] += f"本文为第{n}次转载。"
    for _ in range(edits):
        kind = rng.choice(["cut", "reword", "add"])
        at = rng.randrange(len(paragraphs))
        if kind == "cut" and len(paragraphs) > 5:
            del paragraphs[at]
        elif kind == "reword":
            paragraphs[at] = paragraphs[at].replace("会议", "推进会").replace("要", "须")
        else:
            paragraphs.insert(
                at, "编者按：集成电路是信息产业的基础，本文报道相关部署，供读者参考。"
            )
    byline = BYLINES[n % len(BYLINES)]
    return HEADLINES[n % len(HEADLINES)], ([byline] if byline else []) + paragraphs


def article(title: str, paragraphs: list[str], date: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="publishdate" content="{date}"></head><body><div class="nav">首页 | 产业</div>'
        f"<article><h1>{title}</h1><p>发布时间：{date}</p>{body}</article>"
        '<div class="footer">版权所有</div></body></html>'
    )


@pytest.fixture()
def reprints(tmp_path):
    root = tmp_path / "www"
    rng = random.Random(11)
    sites = ["huaxia", "dongfang", "nanfang"]
    pages: dict[str, list[str]] = {site: [] for site in sites}
    for n in range(20):
        site = sites[n % 3]
        title, paragraphs = reprint(n, rng)
        path = f"{site}/2024/05/{n:02d}.html"
        (root / site / "2024" / "05").mkdir(parents=True, exist_ok=True)
        (root / path).write_text(article(title, paragraphs, f"2024-05-{6 + n % 5:02d}"), "utf-8")
        pages[site].append(path)
    for name, paragraphs in OTHER_STORIES.items():
        path = f"dongfang/2024/05/{name}.html"
        (root / path).write_text(article(paragraphs[0][:20], paragraphs, "2024-05-07"), "utf-8")
        pages["dongfang"].append(path)
    server = serve(root)
    lines = ["sources:"]
    for site, paths in pages.items():
        (root / site / "index.html").write_text(
            '<ul class="list">' + "".join(f'<li><a href="/{p}">{p}</a></li>' for p in paths)
            + "</ul>", "utf-8",
        )  # fmt: skip
        lines += [f"  - id: {site}", "    type: listing", f"    urls: {server.base}/{site}/",
                  "    links: ul.list li a", "    next: a.next", "    language: zh"]  # fmt: skip
    sources = tmp_path / "sources.yaml"
    sources.write_text("\n".join(lines) + "\n")
    config = new_config()
    yield sources, config
    server.shutdown()
    delete_all(make_client(config), config)


def test_reprints_share_a_story_and_other_stories_on_the_topic_stay_apart(reprints):
    sources, config = reprints
    summaries = crawl_json(sources, config)
    es = make_client(config)
    alias = config.index_name("articles")
    es.indices.refresh(index=alias)
    docs = [h["_source"] for h in es.search(index=alias, size=100)["hits"]["hits"]]
    assert sum(s["indexed"] for s in summaries.values()) == len(docs) == 22
    story_of = {d["url"].rsplit("/", 1)[1]: d["story_id"] for d in docs}
    reprinted = {story_of[f"{n:02d}.html"] for n in range(20)}
    assert len(reprinted) == 1, story_of
    assert len({story_of["talent.html"], story_of["exports.html"], *reprinted}) == 3
    collapsed = run_monitor("search", "集成电路", "--json", config=config)
    hits = json.loads(collapsed.stdout)["hits"]
    assert len(hits) == 3, [h["title"] for h in hits]
    story = next(h for h in hits if h["similar"])
    assert story["similar"] == 19 and story["published_at"].startswith("2024-05-06")
    assert {m["source_id"] for m in story["story"]} == {"huaxia", "dongfang", "nanfang"}
    text = run_monitor("search", "集成电路", config=config).stdout
    assert "+ 19 similar" in text
    expanded = run_monitor("search", "集成电路", "--expand-stories", "--json", config=config)
    assert len(json.loads(expanded.stdout)["hits"]) == 10  # a page of the 22
    assert json.loads(expanded.stdout)["total"] == 22
    # documents stored before stories existed (no story_id): the next crawl's opening of the
    # index gives each a story of its own; search only reads
    bare = {hit["_id"]: hit["_source"] for hit in es.search(index=alias, size=2)["hits"]["hits"]}
    for doc_id, source in bare.items():
        es.index(index=alias, id=doc_id, document={k: v for k, v in source.items()
                                                     if k != "story_id"}, refresh=True)  # fmt: skip
    missing = {"bool": {"must_not": {"exists": {"field": "story_id"}}}}
    unfolded = json.loads(run_monitor("search", "集成电路", "--json", config=config).stdout)
    assert unfolded["unstoried"] == 2 and not unfolded["collapsed"]  # not folded together
    assert (
        "2 documents have no story yet" in run_monitor("search", "集成电路", config=config).stderr
    )
    assert es.count(index=alias, query=missing)["count"] == 2  # search only reads
    crawl_json(sources, config)
    es.indices.refresh(index=alias)
    assert es.count(index=alias, query=missing)["count"] == 0
    for doc_id in bare:
        assert es.get(index=alias, id=doc_id)["_source"]["story_id"] == doc_id


def test_signatures_tell_edited_reprints_from_other_stories():
    rng = random.Random(3)
    original = signature("\n".join(STORY))
    for n in range(20):
        _, paragraphs = reprint(n, rng)
        assert similarity(original["minhash"], signature("\n".join(paragraphs))["minhash"]) > 0.5
    for paragraphs in OTHER_STORIES.values():
        other = signature("\n".join(paragraphs))
        assert similarity(original["minhash"], other["minhash"]) < 0.1
    assert signature("短讯。") is None  # too short to be a story
