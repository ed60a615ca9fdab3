"""Structured query translation: a query's words become concepts (the glossary first, CC-CEDICT for
what it does not cover), each with its surface forms in both languages."""

from __future__ import annotations

import pytest

from monitor.errors import ConfigError
from monitor.search.concepts import Lexicon
from monitor.search.glossary import load_glossary

pytestmark = pytest.mark.fast  # no Elasticsearch, Redis or browser


def concepts(query: str, **kw) -> dict[str, object]:
    return {c.text: c for c in Lexicon(load_glossary(**kw)).concepts(query)}


def test_english_terms_map_to_chinese_and_back():
    found = concepts("MIIT semiconductor policy")
    assert list(found) == ["MIIT", "semiconductor", "policy"]
    assert found["MIIT"].chinese == ("工业和信息化部", "工信部")
    # one concept for what Chinese policy calls 集成电路 or 芯片 and English news calls a chip
    assert {"半导体", "集成电路", "芯片"} <= set(found["semiconductor"].chinese)
    assert "chip" in found["semiconductor"].english
    assert "政策" in found["policy"].chinese
    assert "export controls" in concepts("出口管制 光刻机")["出口管制"].english


def test_longest_match_makes_multi_word_terms_one_concept():
    found = concepts("value-added tax refund for foundries")
    assert list(found) == ["value-added tax refund", "foundries"]
    assert "增值税退税" in found["value-added tax refund"].chinese
    assert list(concepts("光刻机出口管制")) == ["光刻机", "出口管制"]


def test_two_names_of_one_concept_make_one_concept():
    found = concepts("SMIC 中芯国际")
    assert list(found) == ["SMIC 中芯国际"]


def test_quantities_in_three_spellings():
    for query in ("14 nanometres", "14nm", "14纳米", "14-nanometer"):
        (concept,) = concepts(query).values()
        assert concept.origin == "number"
        assert {"14nm", "14 nanometre"} <= set(concept.english) and "14纳米" in concept.chinese


def test_single_han_characters_never_stand_alone_beside_a_word():
    # 流片 is a word of its own (glossary); no stray single character becomes a concept
    assert all(len(text) > 1 for text in concepts("流片的补助"))
    assert list(concepts("芯")) == ["芯"]  # a query of one character still searches it
    unknown = concepts("晶闪测补助")  # characters nothing knows stay together, as written
    assert all(len(text) >= 2 for text in unknown)


def test_words_are_matched_whole():
    assert "AI" not in concepts("Thailand battery plants")  # not the "ai" in Thailand
    assert concepts("EVs abroad")["EVs"].chinese == ("新能源汽车",)


def test_cc_cedict_covers_what_the_glossary_does_not():
    found = concepts("自行车")["自行车"]
    assert found.origin == "cedict" and "bicycle" in found.english
    bicycle = concepts("bicycle factories")["bicycle"]
    assert bicycle.origin == "cedict" and "自行车" in bicycle.chinese
    # a word's first sense wins: "battery" is 电池, not 殴打 (assault and battery)
    assert concepts("battery")["battery"].chinese[0] == "电池"


def test_function_words_are_not_concepts():
    assert list(concepts("what did the MIIT say about lithography")) == [
        "MIIT",
        "say",
        "lithography",
    ]
    assert list(concepts("关于光刻机的政策")) == ["光刻机", "政策"]


def test_users_extend_the_glossary(tmp_path, monkeypatch):
    extra = tmp_path / "glossary.yaml"
    extra.write_text(
        "terms:\n  - en: [YMTC, Yangtze Memory]\n    zh: [长江存储]\n", encoding="utf-8"
    )
    monkeypatch.setenv("MONITOR_GLOSSARY", str(extra))
    assert concepts("YMTC output")["YMTC"].chinese == ("长江存储",)


def test_a_broken_glossary_names_the_line(tmp_path):
    bad = tmp_path / "glossary.yaml"
    bad.write_text(
        "terms:\n  - en: [ok]\n    zh: [好]\n  - en: [missing chinese]\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"glossary.yaml:4: term needs a non-empty `zh` list"):
        load_glossary(extra=str(bad))


def test_a_watch_requires_every_word_of_a_short_query_a_search_ranks_by_them():
    """光伏 and 支持 are general-dictionary words, 政策 a glossary term: a search requires 政策 and
    ranks documents with the others higher; a watch, which decides, counts all three (two of
    them must match). A long question's general words stay weak for both."""
    from monitor.search.query import SHORT_QUERY, compile_query

    lexicon = Lexicon(load_glossary())
    ranked = compile_query("光伏 支持政策", lexicon)
    decided = compile_query("光伏 支持政策", lexicon, decision=True)
    assert (ranked.key_concepts, ranked.required) == (1, 1)
    assert (decided.key_concepts, decided.required) == (3, 2) == (len(decided.concepts), 2)
    assert [w.split(":")[0] for w in ranked.why] == ["weak", "weak", "key"]
    assert [w.split(":")[0] for w in decided.why] == ["key", "key", "key"]
    question = "how are Dutch lithography export controls affecting SMIC"
    long = compile_query(question, lexicon, decision=True)
    assert len(long.concepts) > SHORT_QUERY
    assert long.key_concepts == compile_query(question, lexicon).key_concepts < len(long.concepts)
