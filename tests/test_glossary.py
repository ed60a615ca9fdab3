"""Query expansion: the domain glossary first, CC-CEDICT for the words it does not cover."""

from __future__ import annotations

import pytest

from monitor.errors import ConfigError
from monitor.search.glossary import load_glossary


def terms(query: str, **kw) -> dict[str, tuple]:
    return {e.source: e.terms for e in load_glossary(**kw).expand(query)}


def test_english_terms_map_to_chinese_and_back():
    assert terms("MIIT semiconductor policy") == {
        "MIIT": ("工业和信息化部", "工信部"),
        "semiconductor": ("半导体",),
    }
    assert terms("出口管制 光刻机")["出口管制"] == ("export control", "export controls")
    assert terms("SMIC filings")["SMIC"] == ("中芯国际", "中芯国际集成电路制造有限公司")


def test_words_are_matched_whole():
    assert "AI" not in terms("Thailand battery plants")  # not the "ai" in Thailand
    assert terms("EVs abroad")["EVs"] == ("新能源汽车",)


def test_cc_cedict_covers_what_the_glossary_does_not():
    found = load_glossary().expand("自行车")
    assert [(e.source, e.origin) for e in found] == [("自行车", "cedict")]
    assert "bicycle" in found[0].terms[0]
    english = {e.source: e for e in load_glossary().expand("bicycle factories")}
    assert english["bicycle"].origin == "cedict" and "自行车" in english["bicycle"].terms


def test_users_extend_the_glossary(tmp_path, monkeypatch):
    extra = tmp_path / "glossary.yaml"
    extra.write_text(
        "terms:\n  - en: [YMTC, Yangtze Memory]\n    zh: [长江存储]\n", encoding="utf-8"
    )
    monkeypatch.setenv("MONITOR_GLOSSARY", str(extra))
    assert terms("YMTC output")["YMTC"] == ("长江存储",)


def test_a_broken_glossary_names_the_line(tmp_path):
    bad = tmp_path / "glossary.yaml"
    bad.write_text(
        "terms:\n  - en: [ok]\n    zh: [好]\n  - en: [missing chinese]\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"glossary.yaml:4: term needs a non-empty `zh` list"):
        load_glossary(extra=str(bad))
