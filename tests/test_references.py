"""References by document number (文号): every written form to one key, the kind from the words
of its sentence, look-alike numbers left out."""

from __future__ import annotations

import pytest

from monitor.text.references import find_references, number_key

pytestmark = pytest.mark.fast


def keys(text: str, own: str | None = None) -> list[tuple[str, str]]:
    return [(r.key, r.kind) for r in find_references(text, own)]


@pytest.mark.parametrize(
    "written",
    ["国发〔2020〕8号", "国发[2020]8号", "国发【2020】8号", "国发（2020）8号", "国发(2020)8号",
     "国发〔2020〕第8号", "国发 〔 2020 〕 08 号"],
)  # fmt: skip
def test_every_bracket_gives_one_key(written):
    assert number_key(written) == "国发|2020|8"
    assert keys(f"现将有关事项通知如下（{written}）。") == [("国发|2020|8", "cites")]


def test_announcements_orders_and_joint_issuers():
    assert keys("商务部 海关总署公告2023年第23号") == [("商务部海关总署公告|2023|23", "cites")]
    assert keys("工业和信息化部令第57号公布") == [("工业和信息化部令||57", "cites")]
    assert keys("按照工信部联电子【2021】15号文件要求") == [("工信部联电子|2021|15", "implements")]


def test_the_kind_comes_from_the_words_around_it():
    text = (
        "为贯彻落实《国务院关于印发若干政策的通知》（国发〔2020〕8号），制定本措施。"
        "《江东省工业和信息化厅关于修订〈产业扶持办法〉的通知》（江工信规〔2022〕3号）所附办法作如下修订。"
        "本办法自发布之日起施行，原《江东省集成电路产业扶持办法》（江政发[2019]12号）同时废止。"
        "详见财税〔2023〕17号。"
    )
    found = {r.key: r for r in find_references(text)}
    assert {k: r.kind for k, r in found.items()} == {
        "国发|2020|8": "implements",
        "江工信规|2022|3": "amends",
        "江政发|2019|12": "repeals",
        "财税|2023|17": "cites",
    }
    assert found["国发|2020|8"].title == "国务院关于印发若干政策的通知"
    assert found["江政发|2019|12"].title == "江东省集成电路产业扶持办法"


def test_english_reports_cite_the_same_numbers():
    text = (
        "The province said its measures implement Guofa [2020] No. 8. Beijing's State Council "
        "Document No. 8 [2020] set the tax breaks; Caishui [2023] No. 17 was repealed."
    )
    assert keys(text) == [("国发|2020|8", "implements"), ("财税|2023|17", "repeals")]


def test_look_alikes_are_not_references():
    text = "联系电话：010-68208888，地址：高新区第2号楼。2024年第3号台风登陆。房间号（2024）。"
    assert keys(text) == []


def test_a_document_does_not_cite_itself_and_each_number_counts_once():
    text = (
        "江工信电子〔2024〕63号 ……根据国发〔2020〕8号……国发〔2020〕8号规定，废止国发〔2020〕8号。"
    )
    own = number_key("江工信电子〔2024〕63号")
    assert keys(text, own) == [("国发|2020|8", "implements")]
