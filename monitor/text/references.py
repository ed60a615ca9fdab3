"""References between policy documents, by their number (文号): found in a text, normalised to one
key, each with its kind.

Chinese documents cite each other as 《title》（国发〔2020〕8号）: an issuer's
abbreviation, the year in brackets (〔〕 [] 【】 （） ()), the number, 号; announcements as
公告2023年第23号, orders as 令第57号. English reports write "Guofa [2020] No. 8" or
"State Council Document No. 8 [2020]".
Every form becomes one key, `issuer|year|number` (`国发|2020|8`; an order has no year:
`工业和信息化部令||57`), so that a document's own number and the references to it meet.

A reference's kind comes from the words of its sentence: `repeals` (废止, 停止执行,
不再执行, "repeal", "abolish"), `amends` (修订, 修改, "amend"), `implements` (根据, 按照,
依据, 贯彻落实, 落实, "implement", "pursuant to"), else `cites`. Numbers that only look like
one (第2号楼, a phone number, 2024年第3号台风) are not references: a 文号 needs its
bracketed year and 号, an announcement 公告 before its year.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

HAN = "\u4e00-\u9fff"
_OPEN, _CLOSE = "〔\\[【（(", "〕\\]】）)"
# issuer abbreviation (a run of Han characters), the bracketed year, the number, 号
_NUMBER = re.compile(
    rf"(?P<issuer>[{HAN}]{{1,16}})\s*[{_OPEN}]\s*(?P<year>(?:19|20)\d\d)\s*[{_CLOSE}]\s*"
    rf"第?\s*(?P<number>\d{{1,5}})\s*号"
)
_NOTICE = re.compile(
    rf"(?P<issuer>[{HAN}][{HAN} ]{{0,24}}?)\s*公告\s*(?P<year>(?:19|20)\d\d)\s*年"
    rf"\s*第\s*(?P<number>\d{{1,5}})\s*号"
)
_ORDER = re.compile(rf"(?P<issuer>[{HAN}]{{2,24}}?)\s*令\s*第\s*(?P<number>\d{{1,5}})\s*号")
# words that open a sentence before the issuer's abbreviation, not part of it (verbs only: a
# one-character word such as 和 is inside names, 工业和信息化部)
_LEAD = re.compile(
    r"^.*(?:根据|按照|依据|依照|贯彻落实|贯彻|落实|执行|参照|对照|遵照|遵循|详见|参见|见|以及|同时|印发|"
    r"转发|下发|发布|出台|通过|废止|修订|修改|决定|关于)"
)
_TITLE_BEFORE = re.compile(r"《([^《》]{2,120})》\s*[（(]?\s*$")
# English: a pinyin abbreviation and [year] No. n, or "Document No. n [year]"
_PINYIN = re.compile(
    r"\b(?P<issuer>Guofa|Guobanfa|Guohan|Guobanhan|Caishui|Caijian|Fagai\w*|Gongxinbu\w*|"
    r"Shangwubu\w*|Yinfa)\s*[\[(〔]\s*(?P<year>(?:19|20)\d\d)\s*[\])〕]\s*No\.?\s*(?P<number>\d{1,5})\b",
    re.IGNORECASE,
)
_DOCUMENT = re.compile(
    r"\b(?P<who>State Council|General Office of the State Council|MIIT|Ministry of Finance)?"
    r"\s*(?:Document|Circular|Notice)\s+No\.?\s*(?P<number>\d{1,5})\s*[\[(]\s*(?P<year>(?:19|20)\d\d)"
    r"\s*[\])]",
    re.IGNORECASE,
)
# the abbreviations English reports spell out (the issuers' own 文号 prefixes)
_PINYIN_ISSUERS = {"guofa": "国发", "guobanfa": "国办发", "guohan": "国函", "guobanhan": "国办函",
                   "caishui": "财税", "caijian": "财建", "yinfa": "银发"}  # fmt: skip
_WHO = {"state council": "国发", "general office of the state council": "国办发"}
_KINDS = (
    ("repeals", re.compile(r"废止|停止执行|不再执行|同时失效|"
                           r"\brepeal|\babolish|\brescind", re.I)),
    ("amends", re.compile(r"修订|修改|修正|\bamend", re.I)),
    ("implements", re.compile(r"根据|按照|依据|依照|贯彻落实|落实|贯彻|"
                              r"\bimplement|pursuant to|in line with", re.I)),
)  # fmt: skip
_SENTENCE = re.compile(r"[。；;！!？?\n]|\.\s")


@dataclass(frozen=True)
class Reference:
    key: str  # issuer|year|number
    number: str  # as written
    kind: str  # implements | repeals | amends | cites
    title: str | None = None  # 《title》 written before it

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


_CONJUNCTION = re.compile(r"^(?:和|及|与|或|并|暨)+")  # an abbreviation never starts with one


def _issuer(raw: str) -> str:
    """The abbreviation without the words a sentence puts before it (根据国发 → 国发,
    和商务部 → 商务部)."""
    stripped = _CONJUNCTION.sub("", _LEAD.sub("", raw))
    return stripped or raw


def number_key(number: str | None) -> str | None:
    """The key of a document's own number as written (`国发〔2020〕8号` → `国发|2020|8`), or
    None."""
    if not number:
        return None
    found = find_references(number)
    return found[0].key if found else None


def _kind(text: str, start: int, end: int) -> str:
    """The kind from the reference's own sentence: the nearest word of a kind before it
    (根据…, 为贯彻落实…), else one just after it (…同时废止), else `cites`."""
    left = max((m.end() for m in _SENTENCE.finditer(text, 0, start)), default=0)
    right_match = _SENTENCE.search(text, end)
    right = right_match.start() if right_match else len(text)
    before = text[left:start]
    nearest = max(
        ((m.end(), kind) for kind, pattern in _KINDS for m in pattern.finditer(before)),
        default=None,
    )
    if nearest is not None:
        return nearest[1]
    after = text[end : min(right, end + 24)]
    return next((kind for kind, pattern in _KINDS if pattern.search(after)), "cites")


def find_references(text: str, own: str | None = None) -> list[Reference]:
    """The references a text makes, in order, once each (the first kind found wins, except
    that a later `repeals` or `amends` of the same number overrides `cites`); `own`: the
    document's own key, left out."""
    text = _plain(text or "")
    found: dict[str, Reference] = {}

    def add(key: str, number: str, start: int, end: int) -> None:
        if key == own:
            return
        title = _TITLE_BEFORE.search(text[max(0, start - 130) : start])
        reference = Reference(key, number, _kind(text, start, end), title[1] if title else None)
        before = found.get(key)
        if before is None or (before.kind == "cites" and reference.kind != "cites"):
            found[key] = (
                reference
                if before is None
                else Reference(key, before.number, reference.kind, before.title or reference.title)
            )

    for match in _NUMBER.finditer(text):
        issuer = _issuer(match["issuer"])
        start = match.start("issuer") + (len(match["issuer"]) - len(issuer))
        number = text[start : match.end()]
        add(f"{issuer}|{match['year']}|{int(match['number'])}", number, start, match.end())
    for match in _NOTICE.finditer(text):
        issuer = _issuer(match["issuer"].replace(" ", ""))
        start = match.end("issuer") - len(issuer) if " " not in match["issuer"] else match.start()
        add(f"{issuer}公告|{match['year']}|{int(match['number'])}", text[start : match.end()],
            start, match.end())  # fmt: skip
    for match in _ORDER.finditer(text):
        issuer = _issuer(match["issuer"])
        start = match.end("issuer") - len(issuer)
        add(f"{issuer}令||{int(match['number'])}", text[start : match.end()], start, match.end())
    for match in _PINYIN.finditer(text):
        name = match["issuer"].lower()
        issuer = _PINYIN_ISSUERS.get(name)
        if issuer:
            add(
                f"{issuer}|{match['year']}|{int(match['number'])}",
                match[0],
                match.start(),
                match.end(),
            )
    for match in _DOCUMENT.finditer(text):
        issuer = _WHO.get((match["who"] or "").lower())
        if issuer:
            add(
                f"{issuer}|{match['year']}|{int(match['number'])}",
                match[0].strip(),
                match.start(),
                match.end(),
            )
    return list(found.values())


# The extractor's version, stored with each document's references (`references_version`): the
# documents read by an older one are read again when a crawl opens the index
# (monitor.es.references), so a better extractor reaches what is stored without a re-crawl.
VERSION = 1
MAX_REFERENCES = 200  # kept per document


def reference_fields(
    text: str | None, doc_number: str | None, attachments: list[dict[str, Any]] = ()
) -> dict[str, Any]:
    """A document's own number as a key (`number_key`), and the numbers its text and
    attachments refer to: all (`cites`), by kind (`implements`, `repeals`, `amends`), and each
    as written (`references`)."""
    own = number_key(doc_number)
    texts = [text or "", *((a.get("text") or "") for a in attachments)]
    found = find_references("\n".join(texts), own)[:MAX_REFERENCES]
    return {
        "number_key": own,
        "cites": [r.key for r in found],
        **{
            kind: [r.key for r in found if r.kind == kind]
            for kind in ("implements", "repeals", "amends")
        },  # fmt: skip
        "references": [r.as_dict() for r in found],
        "references_version": VERSION,
    }
