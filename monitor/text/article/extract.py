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

from monitor.text.article.body import (
    NEARLY_NOTHING,
    clean_body,
    clean_lines,
    data_html_body,
    longer_source,
)
from monitor.text.article.bylines import (
    choose_authors,
    labelled_credits,
    markup_bylines,
    meta_authors,
    page_lines,
)
from monitor.text.article.links import link_texts
from monitor.text.article.published import publication_date
from monitor.text.article.titles import (
    article_object,
    headline,
    json_ld,
    site_names,
    stated_metadata,
)
from monitor.text.dates import parse_date
from monitor.text.han import HAN

# Chosen with bench/extraction_quality.py on both shared sets, in one run (body F1, article set /
# news-metadata set; trafilatura's defaults 0.9525 / 0.9225):
#   fast                      0.9651 / 0.9206   (fast skips the readability/justext comparison)
#   fast=False                0.9627 / 0.9254
#   fast=False + precision    0.9658 / 0.9299   <- these options
#   fast + precision          0.9481 / 0.9048
#   favor_recall (either)     0.9659 / 0.9236
# The rest of the gain is ours (body.py). The precision mode keeps only the metadata
# table of a Chinese government page (its short paragraphs read as boilerplate), so pages mostly in
# Han characters are extracted without it, and with `fast` (the comparison keeps a government
# page's share and print links): CJK_OPTIONS, checked on tests/sites/zh_layouts and the demo sites.
TRAFILATURA_OPTIONS = {
    "fast": False,
    "include_comments": False,
    "include_tables": True,
    "favor_recall": False,
    "favor_precision": True,
    "with_metadata": True,
    "date_extraction_params": {"extensive_search": False, "original_date": True},
}
CJK_OPTIONS = {**TRAFILATURA_OPTIONS, "fast": True, "favor_precision": False}


def _skip_unused_metadata() -> None:
    """trafilatura's metadata reader always looks for a licence (every link of the page, about
    1.2 ms of a page's 8 in trafilatura) and for categories: we store neither. It looks both
    readers up in its module when it runs, so they are replaced here by ones that find nothing;
    title, author, date, site name and tags are read as before (bench/extraction_quality.py gives
    the same figures)."""
    from trafilatura import metadata

    if hasattr(metadata, "extract_license"):
        metadata.extract_license = lambda tree: None
    if hasattr(metadata, "extract_catstags"):
        read_catstags = metadata.extract_catstags

        def tags_only(kind: str, tree: Any) -> list[str]:
            return read_catstags(kind, tree) if kind == "tag" else []

        metadata.extract_catstags = tags_only


_skip_unused_metadata()

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
_CJK_PUNCTUATION = re.compile(r"[。，；！？、]")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")


@dataclass
class Extraction:
    title: str | None = None
    text: str = ""
    found_text: str = ""  # what trafilatura found, before body.py: pagekind judges the page on it
    links: list[tuple[Any, str]] = field(default_factory=list, repr=False)  # links.link_texts
    description: str | None = None
    published_at: str | None = None
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)  # 责任编辑/编辑, "Editor:" (bylines.py)
    site: str | None = None
    tags: list[str] = field(default_factory=list)
    canonical_url: str | None = None  # as declared by the page; see urls.choose_canonical
    # trafilatura | baseline | page_data (an article HTML string in the page's scripts: body.py)
    # | none | unparsable (no HTML parser could)
    method: str = "none"


def _mostly_han(lines: str) -> bool:
    """Whether the page's text (page_lines) is mostly Han characters."""
    return len(HAN.findall(lines)) > 0.3 * len(lines.split()) + 50


def _trafilatura(html: str, lines: str, tree: Any = None):
    """trafilatura's reading; `tree`: the page as its loader parses it (each pass prunes a copy,
    instead of parsing the page again)."""
    source = (lambda: deepcopy(tree)) if tree is not None else (lambda: html)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lxml FutureWarnings inside trafilatura
        han = _mostly_han(lines)
        options = CJK_OPTIONS if han else TRAFILATURA_OPTIONS
        doc = trafilatura.bare_extraction(source(), url=None, **options)
        if doc is not None and "\n" not in (doc.text or "\n") and han:
            second = trafilatura.bare_extraction(source(), url=None, config=_CJK_CONFIG, **options)
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


def _page_title(tree) -> str | None:
    for xpath in ("//meta[@property='og:title']/@content", "//title/text()", "//h1//text()"):
        found = [t.strip() for t in tree.xpath(xpath) if t and t.strip()]
        if found:
            return found[0]
    return None


def _fallback(html: str, result: Extraction, tree: Any) -> None:
    """Where trafilatura found no body: its baseline extractor, then the page's <title>. `tree`:
    the page as the caller parsed it (parsed here when it has not)."""
    if tree is None:
        try:
            tree = lxml_html.fromstring(html)
        except (ValueError, lxml_html.etree.ParserError):
            if not result.text:
                result.method = "unparsable"
            return
    if not result.text:
        _, text, _ = trafilatura.baseline(html)
        if text:
            result.text, result.method = clean_lines(text), "baseline"
    result.title = result.title or _page_title(tree)


def _raw_title(tree: Any) -> str | None:
    found = tree.xpath("//title/text()") if tree is not None else []
    return found[0] if found else None


def _credits(
    result: Extraction, lines: str, tree: Any, stated: dict[str, Any], sites: list[str]
) -> None:
    """Authors and editors (bylines.py), before the body's credit lines are cleaned."""
    labelled, editors = labelled_credits(result.text, lines)
    result.editors = editors
    result.authors = choose_authors(  # the markup is read only when the sources before it fail
        stated, labelled, result.authors, lambda: markup_bylines(tree) or meta_authors(tree),
        editors, sites,
    )  # fmt: skip


def extract(
    html: str, url: str | None = None, tree: Any = None, shared: bool = False
) -> Extraction:
    """Title, text, date, authors, site and the page's declared canonical URL. `tree`: the page
    parsed by lxml, when the caller has it (the headline rules read it); `shared`: it is the tree
    trafilatura's loader makes, so trafilatura reads a copy instead of parsing again."""
    result = Extraction()
    if not html or not html.strip():
        return result
    lines = page_lines(html)  # the page's text, an element per line: labels and what follows
    doc = _trafilatura(html, lines, tree if shared else None)
    if doc is not None:
        result.title = (doc.title or "").strip() or None
        result.text = clean_lines(doc.text or "")
        result.description = (doc.description or "").strip() or None
        result.published_at = parse_date(doc.date)
        result.authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
        result.site = (doc.sitename or "").strip() or None
        result.tags = [t for t in (doc.tags or []) if t]
        result.canonical_url = doc.url
        result.method = "trafilatura" if result.text else "none"
    if not result.text or not result.title:
        _fallback(html, result, tree)
    article = article_object(json_ld(tree)) if tree is not None else {}  # read once, used twice
    result.title = headline(result.title, tree, url, article)
    stated = stated_metadata(tree, article)  # the page's JSON-LD beats trafilatura's reading
    sites = site_names(tree, article, url) if tree is not None else []
    _credits(result, lines, tree, stated, sites)
    result.published_at = publication_date(
        stated=stated,
        tree=tree,
        text=result.text,
        lines=lines,
        page_title=_raw_title(tree),
        headline=result.title,
        guessed=result.published_at,
        url=url,
    )
    if len(result.text) < NEARLY_NOTHING:
        embedded = data_html_body(html)  # a page rendered by script: its article in its data
        if len(embedded) > max(NEARLY_NOTHING, 2 * len(result.text)):
            result.text, result.method = embedded, "page_data"
    result.found_text = result.text
    result.links = link_texts(tree)  # read once: the teaser rule here, pagekind after
    result.text = clean_body(longer_source(result.text, tree, article), result.title, result.links)
    return result
