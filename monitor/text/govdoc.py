"""Government-document metadata: the labelled fields Chinese government sites print above a policy
document, in an information-disclosure table (信息公开 / 索引号 ... 有效性) or in label lines
(发文字号：工信部联电子〔2024〕12号).

`policy_metadata(html)` returns the fields it found (none when the page has none):
issuer (发文机关), doc_number (文号), written_date (成文日期), published_date (发布日期),
category (主题分类), status (有效性: 有效 / 废止 / 失效 ...), index_number (索引号).
Dates become ISO dates (2024年3月5日, 2024-03-05 and 2024/3/5 alike). When no label gives a document
number, the first number of the usual shape found in the text is used.
"""

from __future__ import annotations

import re
import unicodedata
from copy import deepcopy
from typing import Any

import lxml.html

from monitor.text.dates import parse_date
from monitor.text.han import HAN_RANGES

# label (without the colon) → field; several sites, several wordings
LABELS: dict[str, str] = {
    "发文机关": "issuer",
    "发文机构": "issuer",
    "发布机构": "issuer",
    "发文单位": "issuer",
    "发布单位": "issuer",
    "制发机关": "issuer",
    "发文字号": "doc_number",
    "发文文号": "doc_number",
    "文号": "doc_number",
    "成文日期": "written_date",
    "印发日期": "written_date",
    "发文日期": "written_date",
    "发布日期": "published_date",
    "公布日期": "published_date",
    "发布时间": "published_date",
    "主题分类": "category",
    "分类": "category",
    "有效性": "status",
    "时效性": "status",
    "效力状态": "status",
    "索引号": "index_number",
}
DATE_FIELDS = ("written_date", "published_date")
ANY_LABEL = re.compile("|".join(k for k in LABELS if len(k) > 2) + "|文号|索引号")
_LABEL_ALT = "|".join(sorted(LABELS, key=len, reverse=True))
# "label：value" runs inside one line; a value ends where the next label starts
_PAIR = re.compile(
    rf"(?P<label>{_LABEL_ALT})\s*[:：]\s*(?P<value>.*?)(?=\s*(?:{_LABEL_ALT})\s*[:：]|$)"
)
# 工信部联电子〔2024〕12号, 国发[2024]7号, 沪经信规范（2023）3号
DOC_NUMBER = re.compile(
    rf"[{HAN_RANGES}]{{1,16}}\s*[〔\[［(（【]\s*(?:19|20)\d{{2}}\s*[〕\]］)）】]\s*第?\s*\d{{1,5}}\s*号"
)
_BRACKETS = str.maketrans({"[": "〔", "［": "〔", "(": "〔", "（": "〔", "【": "〔",
                           "]": "〕", "］": "〕", ")": "〕", "）": "〕", "】": "〕"})  # fmt: skip
_LEAD = re.compile(r"根据|按照|依据|参照|贯彻|落实|印发|转发|关于|以及|和|及|与|的|是|为|《|》|、")
STATUS_WORDS = ("有效", "废止", "失效", "已修订", "已修改", "部分失效", "尚未生效")


def _clean(text: str) -> str:
    """White space collapsed (ideographic spaces too); the characters themselves kept."""
    return " ".join(text.replace("\u3000", " ").split())


def _label(text: str) -> str | None:
    """The field of a table cell that is only a label ('发文字号：', '有 效 性：')."""
    key = re.sub(r"[\s:：]", "", unicodedata.normalize("NFKC", text))
    return LABELS.get(key)


def normalise_doc_number(text: str) -> str:
    found = DOC_NUMBER.search(text)
    number = "".join((found.group(0) if found else text).split())
    head, bracket, tail = number.partition(next((b for b in "〔[［(（【" if b in number), "〔"))
    head = _LEAD.split(head)[-1]  # "根据国发〔2023〕5号" cites 国发〔2023〕5号
    return (head + bracket + tail).translate(_BRACKETS)


def _normalise(field: str, value: str) -> str | None:
    value = value.strip(" ;；,，")
    if not value:
        return None
    if field in DATE_FIELDS:
        found = parse_date(value)
        return found[:10] if found else None
    if field == "doc_number":
        return normalise_doc_number(value)
    if field == "status":
        return next((w for w in sorted(STATUS_WORDS, key=len, reverse=True) if w in value), value)
    return value


def _from_tables(root: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for row in root.iter("tr"):
        cells = [_clean(c.text_content()) for c in row if c.tag in ("td", "th")]
        for i, cell in enumerate(cells):
            field = _label(cell)
            if field and i + 1 < len(cells) and not _label(cells[i + 1]):
                found.setdefault(field, cells[i + 1])
    return found


def _from_lines(root: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for block in root.iter("p", "div", "li", "span", "td", "dd"):
        if len(block) > 12:  # a container of many blocks: its children are visited anyway
            continue
        for match in _PAIR.finditer(_clean(block.text_content())):
            found.setdefault(LABELS[match["label"]], match["value"])
    return found


def policy_metadata(html: str, tree: Any = None) -> dict[str, str]:
    """The labelled policy-document fields of a decoded HTML page ({} when there are none).
    `tree`: the page already parsed (read from a copy: its scripts are blanked here)."""
    if not ANY_LABEL.search(html):  # most pages: no second parse
        return {}
    try:
        root = deepcopy(tree) if tree is not None else lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return {}
    for bad in root.iter("script", "style"):
        bad.text = ""
    raw = _from_lines(root) | _from_tables(root)  # a table is the more reliable layout
    fields = {}
    for field, value in raw.items():
        normalised = _normalise(field, value)
        if normalised:
            fields[field] = normalised
    if "doc_number" not in fields:
        match = DOC_NUMBER.search(_clean(root.text_content()))
        if match and len(fields) >= 2:  # a bare number counts only on a page with labels
            fields["doc_number"] = normalise_doc_number(match.group(0))
    return fields
