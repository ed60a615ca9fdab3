"""Article extraction with trafilatura, plus page-level fallbacks where it finds no body."""

from __future__ import annotations

import re
import warnings
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

import trafilatura
from lxml import html as lxml_html
from trafilatura.settings import DEFAULT_CONFIG

from monitor.text.body import NEARLY_NOTHING, clean_body, data_html_body, longer_source
from monitor.text.dates import labelled_date, parse_date
from monitor.text.han import HAN
from monitor.text.titles import article_object, headline, json_ld, stated_metadata

# Chosen with bench/extraction_quality.py on the shared 181-page benchmark, in one run:
#   trafilatura defaults F1 0.9525; these options F1 0.9623 (P 0.946, R 0.979);
#   favor_precision 0.9641 but 20% slower; favor_recall 0.9593; fast + favor_precision 0.9464.
# `fast` skips the comparison with the readability/justext fallbacks, which on this data helps.
TRAFILATURA_OPTIONS = {
    "fast": False,
    "include_comments": False,
    "include_tables": True,
    "favor_recall": False,
    "favor_precision": True,
    "with_metadata": True,
    "date_extraction_params": {"extensive_search": False, "original_date": True},
}

# trafilatura distrusts a body under `min_extracted_size` (250) characters and falls back to cruder
# output (one line, bylines and editor's notes included). One Han character carries about a word,
# so a complete short Chinese article is often under 250. For pages mostly in Han characters whose
# first extraction came out as that one-line fallback, a second pass with a lower minimum is tried
# and kept when it is cleaner (see _cleaner). Lowering it
# for the first pass instead is wrong twice: a government page's metadata table alone passes the
# lower bar and hides the body, and English F1 on the benchmark drops (0.9623 → 0.9594).
CJK_MIN_EXTRACTED_SIZE = 80
_CJK_CONFIG = deepcopy(DEFAULT_CONFIG)
_CJK_CONFIG.set("DEFAULT", "min_extracted_size", str(CJK_MIN_EXTRACTED_SIZE))
_HAN = HAN
_CJK_PUNCTUATION = re.compile(r"[。，；！？、]")
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.S | re.I)
_SPACES = re.compile(r"[ \t\u3000\xa0]+")


@dataclass
class Extraction:
    title: str | None = None
    text: str = ""
    description: str | None = None
    published_at: str | None = None
    authors: list[str] = field(default_factory=list)
    site: str | None = None
    tags: list[str] = field(default_factory=list)
    canonical_url: str | None = None  # as declared by the page; see urls.choose_canonical
    method: str = "none"  # trafilatura | baseline | none | unparsable (no HTML parser could)


def _mostly_han(html: str) -> bool:
    text = _TAGS.sub("", html[:200_000])
    return len(_HAN.findall(text)) > 0.3 * len(text.split()) + 50


def _trafilatura(html: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lxml FutureWarnings inside trafilatura
        doc = trafilatura.bare_extraction(html, url=None, **TRAFILATURA_OPTIONS)
        if doc is not None and "\n" not in (doc.text or "\n") and _mostly_han(html):
            second = trafilatura.bare_extraction(
                html, url=None, config=_CJK_CONFIG, **TRAFILATURA_OPTIONS
            )
            if second is not None and _cleaner(second.text or "", doc.text or ""):
                doc = second
    return doc


def _cleaner(candidate: str, fallback: str) -> bool:
    """Whether the second pass beats a fallback result: the fallback ran everything into one line,
    the candidate keeps paragraphs and nearly all the prose (a metadata table alone has none)."""
    prose = lambda text: len(_CJK_PUNCTUATION.findall(text))  # noqa: E731
    return fallback.count("\n") == 0 < candidate.count("\n") and prose(candidate) >= 0.8 * prose(
        fallback
    )


def _clean(text: str | None) -> str:
    if not text:
        return ""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _page_title(tree) -> str | None:
    for xpath in ("//meta[@property='og:title']/@content", "//title/text()", "//h1//text()"):
        found = [t.strip() for t in tree.xpath(xpath) if t and t.strip()]
        if found:
            return found[0]
    return None


def _fallback(html: str, result: Extraction) -> None:
    """Where trafilatura found no body: its baseline extractor, then the page's <title>."""
    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, lxml_html.etree.ParserError):
        if not result.text:
            result.method = "unparsable"
        return
    if not result.text:
        _, text, _ = trafilatura.baseline(html)
        if text:
            result.text, result.method = _clean(text), "baseline"
    result.title = result.title or _page_title(tree)


def extract(html: str, url: str | None = None, tree: Any = None) -> Extraction:
    """Title, text, date, authors, site and the page's declared canonical URL. `tree`: the page
    parsed by lxml, when the caller has it (the headline rules read it)."""
    result = Extraction()
    if not html or not html.strip():
        return result
    doc = _trafilatura(html)
    if doc is not None:
        result.title = (doc.title or "").strip() or None
        result.text = _clean(doc.text)
        result.description = (doc.description or "").strip() or None
        result.published_at = parse_date(doc.date)
        result.authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
        result.site = (doc.sitename or "").strip() or None
        result.tags = [t for t in (doc.tags or []) if t]
        result.canonical_url = doc.url
        result.method = "trafilatura" if result.text else "none"
    if not result.text or not result.title:
        _fallback(html, result)
    # Chinese official pages label their dates (发布日期：2024年3月5日); such a label beats a guess.
    labelled = labelled_date(result.text[:2000])
    if not labelled and ("日期" in html or "时间" in html):
        labelled = labelled_date(_TAGS.sub(" ", html[:300_000]))
    result.published_at = labelled or result.published_at
    article = article_object(json_ld(tree)) if tree is not None else {}  # read once, used twice
    result.title = headline(result.title, tree, url, article)
    stated = stated_metadata(tree, article)  # the page's JSON-LD beats trafilatura's reading
    # people named by the page first; an organisation only when no byline names anyone
    result.authors = stated.get("authors") or result.authors or stated.get("organizations", [])
    result.published_at = labelled or parse_date(stated.get("published")) or result.published_at
    if len(result.text) < NEARLY_NOTHING:
        embedded = data_html_body(html)  # a page rendered by script: its article in its data
        if len(embedded) > max(NEARLY_NOTHING, 2 * len(result.text)):
            result.text, result.method = embedded, "page_data"
    result.text = clean_body(longer_source(result.text, tree, article), result.title)
    return result

