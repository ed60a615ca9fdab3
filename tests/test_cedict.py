"""How CC-CEDICT's glosses become senses for query translation (monitor.search.cedict): names of
places from their own entries, "or" only between single words, characters only by their first
sense, the shorter of two words that contain each other, plurals and -ing forms; and, against a
real node, the collection's choice among a sense's many words (monitor.search.senses)."""

from __future__ import annotations

import pytest

from monitor.es.client import make_client
from monitor.es.schema import delete_all, ensure_articles_index
from monitor.search.cedict import _read, load
from monitor.search.concepts import Lexicon
from monitor.search.engine import SearchRequest, search
from monitor.search.glossary import Glossary
from tests.conftest import new_config

LINES = """\
深圳 深圳 [Shen1 zhen4] /Shenzhen subprovincial city in Guangdong, special economic zone/
深圳河 深圳河 [Shen1 zhen4 he2] /Shenzhen or Shamchun river Guangdong, the border/
粵繡 粤绣 [Yue4 xiu4] /Guangdong embroidery/
廣東 广东 [Guang3 dong1] /Guangdong province (Kwangtung) in south China/
會館 会馆 [hui4 guan3] /provincial or county guild hall/
省 省 [sheng3] /to save/to economize/province/
省份 省份 [sheng3 fen4] /province/
鎵 镓 [jia1] /gallium (chemistry)/
南山 南山 [Nan2 shan1] /Nanshan or Namsan, common place name/
標準 标准 [biao1 zhun3] /(an official) standard/norm/criterion/
價值標準 价值标准 [jia4 zhi2 biao1 zhun3] /values/standards/
""".splitlines()


@pytest.mark.fast
def test_glosses_become_the_senses_an_analyst_means():
    found = _read(LINES)
    assert found.candidates("Shenzhen") == (("深圳",), ())  # not the river, nor its compound
    assert found.candidates("Guangdong") == (("广东",), ())  # not the embroidery
    assert found.candidates("provincial") == ((), ())  # not a guild hall
    assert found.candidates("county guild hall") == ((), ())
    assert found.candidates("province") == (("省份",), ())  # 省 only by its first sense, "save"
    assert found.candidates("save") == (("省",), ())
    assert found.candidates("gallium") == (("镓",), ())  # the qualifier goes, the character stays
    assert found.candidates("nanshan") == (("南山",), ())  # "or" between two names: two senses
    assert found.candidates("namsan") == ((), ("南山",))
    assert found.candidates("standards")[0] == ("标准",)  # the plural: the first sense first
    assert found.candidates("standards")[1] == ()  # 价值标准 contains 标准: it adds nothing


@pytest.mark.fast
def test_the_real_dictionary_gives_ordinary_words_and_names():
    lexicon = Lexicon(Glossary(()))
    of = {c.text: c for c in lexicon.concepts("Shenzhen manufacturing notice germanium")}
    assert of["Shenzhen"].chinese == ("深圳",)
    assert "制造" in of["manufacturing"].chinese  # from "manufacture"
    assert "通知" in of["notice"].chinese + of["notice"].alternatives  # a later sense, offered
    assert "锗" in of["germanium"].chinese
    assert load().candidates("export controls") == load().candidates("export control")
    gallium = {c.text: c for c in lexicon.concepts("镓 出口管制")}
    assert gallium["镓"].english == ("gallium",)  # a character written as a word is kept
    named = {c.text: c for c in lexicon.concepts("BYD sodium-ion")}
    assert named["BYD"].chinese == ("比亚迪",)  # "BYD Company (company name)"
    assert named["sodium-ion"].chinese == ("钠离子",)  # composed: 钠 + 离子
    assert lexicon.parts("动力电池") == ("动力", "电池") and lexicon.parts("电池") == ()


@pytest.mark.fast
def test_words_no_dictionary_has_are_put_together_from_those_it_has():
    """A Chinese word nobody listed is searched in English as its words' senses put together
    (the phrase finds where a document writes it); a character left between words is a word;
    an English adjective in -al is looked up by its noun."""
    lexicon = Lexicon(Glossary(()))
    [ore] = lexicon.concepts("锂矿")
    assert ore.origin == "composed" and ore.chinese == ("锂矿",)
    assert "lithium ore" in ore.english and "lithium mine" in ore.english
    assert {c.text: c.english for c in lexicon.concepts("锗晶圆")}["锗"] == ("germanium",)
    [province] = lexicon.concepts("provincial")
    assert "省份" in province.chinese
    assert lexicon.concept("锂矿").origin == "composed"  # a watch's term too
    [guess] = lexicon.concepts("流片")  # a guess from two characters: the Chinese as written
    assert guess.chinese == ("流片",) and len(guess.english) == 16  # at most MAX_COMPOSED


def _indexed(texts: dict[str, tuple[str, str]]):
    """A throw-away index of {id: (title, text)}, English when the title is ASCII."""
    config = new_config()
    es = make_client(config)
    ensure_articles_index(es, config)
    alias = config.index_name("articles")
    for doc_id, (title, text) in texts.items():
        language = "en" if title.isascii() else "zh"
        es.index(index=alias, id=doc_id, document={"title": title, "text": text,
                 "language": language, "story_id": doc_id})  # fmt: skip
    es.indices.refresh(index=alias)
    yield es, alias
    delete_all(es, config)


@pytest.fixture()
def notices():
    texts = {
        "a": ("关于开展数据安全检查的通知", "现将有关事项通知如下。"),
        "b": ("关于印发管理办法的通知", "请认真贯彻执行。"),
        "c": ("Notice on inspections", "The ministry issued a notice."),
        "d": ("电动汽车用动力蓄电池安全要求", "标准要求电池不起火、不爆炸。"),
        "e": ("动力电池企业扩产", "多家动力电池企业宣布扩产。"),
    }
    yield from _indexed(texts)


def test_the_collection_chooses_among_a_senses_words(notices):
    es, alias = notices
    result = search(es, alias, SearchRequest("notice", size=10))
    [concept] = result["concepts"]
    assert concept["chinese"] == ["通知"]  # the word the documents use; 布告, 告示牌 dropped
    assert {h["id"] for h in result["hits"]} == {"a", "b", "c"}


def test_a_compound_written_apart_is_found_below_the_compound(notices):
    es, alias = notices
    result = search(es, alias, SearchRequest("动力电池", size=10))
    assert [h["id"] for h in result["hits"]] == ["e", "d"]  # 动力蓄电池: its words, lower


@pytest.fixture()
def industry():
    texts = {
        # "control": first senses 管制, 控制, 管控 in documents on other subjects; a later sense,
        # 调控, beside the query's other words
        "x1": ("镓出口管制", "出口管制正式实施。"),
        "x2": ("无人机出口管制", "部分无人机实施出口管制。"),
        "x3": ("疫情防控", "控制传播，加强管控。"),
        "x4": ("质量控制", "企业加强质量控制和风险管控。"),
        "s1": ("继续开展粗钢产量调控", "坚持以产定需，严禁新增钢铁产能，开展钢铁产量调控。"),
        # a name no dictionary renders (CATL) and the Chinese documents on the same thing
        "c1": ("CATL starts sodium-ion battery output", "CATL said its sodium-ion battery ..."),
        "c2": ("宁德时代钠离子电池量产", "钠离子电池实现量产装车。"),
        "c3": ("Sodium-ion battery prices fall", "A sodium-ion battery costs less ..."),
        "c4": ("电池回收新规", "动力电池回收利用管理办法发布。"),
    }
    yield from _indexed(texts)


def test_the_sense_found_beside_the_other_concepts_is_chosen(industry):
    """Ballesteros & Croft's co-occurrence: of the words for "controls" the documents use, the
    one found beside the query's steel and output comes first, though the dictionary lists it
    among its later senses and three first-sense words are used more."""
    es, alias = industry
    result = search(es, alias, SearchRequest("steel output controls", size=10))
    concepts = {c["text"]: c for c in result["concepts"]}
    assert concepts["controls"]["chinese"][0] == "调控"
    assert [h["id"] for h in result["hits"]][:1] == ["s1"]


def test_a_name_without_a_chinese_form_is_not_required_of_chinese_documents(industry):
    """The query "CATL sodium-ion battery": English documents must name CATL (its key concept);
    Chinese ones cannot, so there its other concepts decide, all of them."""
    es, alias = industry
    result = search(es, alias, SearchRequest("CATL sodium-ion battery", size=10))
    assert [h["id"] for h in result["hits"]] == ["c1", "c2"]  # not c3 (no CATL), c4 (电池 only)
    assert result["required"] == 1 and result["required_by_language"] == [
        "Chinese documents: 2 of 'sodium-ion', 'battery' (a key concept has no form in their "
        "language)"
    ]
    everywhere = search(es, alias, SearchRequest("sodium-ion battery", size=10))
    assert everywhere["required_by_language"] == []  # every concept reaches both: one rule
    assert {h["id"] for h in everywhere["hits"]} == {"c1", "c2", "c3"}
