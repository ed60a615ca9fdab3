"""Pages that are not articles, though they answer 200 and have text: kept out of the index.

- `soft_404`: an error page served with 200 (页面不存在, "Page not found"), told by its title or
  its text, when the text is short.
- `section_front`: a section's front page or a listing (sitemaps list them beside articles): its
  text is mostly the titles of the links it lists; or mostly teasers (what extraction keeps of a
  home page: the paragraph under each linked headline, the headlines dropped as links); or a
  site's root page, which is never an article.
- `empty_article`: a page whose article container is empty, so what extraction found is chrome:
  navigation, a sidebar, a footer (mostly link text, or a few words without one sentence).

Each is counted by the extract stage as `skipped/<kind>` (monitor.crawl.summary).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from monitor.text.article.links import link_texts

_ERROR_PAGE = (
    r"页面不存在|页面未找到|找不到(?:该|您要的|您访问的)?页面|您访问的页面(?:不存在|已删除)|"
    r"页面已删除|信息已删除|文章不存在|内容不存在|该页面已失效|^\s*404\b|\berror 404\b|"
    r"\b404 (?:error|not found|page)\b|page not found|"
    r"page (?:does not|doesn't) exist|page (?:is )?no longer available"
)
_SOFT_404_TITLE = re.compile(_ERROR_PAGE, re.IGNORECASE)
_SOFT_404_TEXT = re.compile(_ERROR_PAGE + r"|\bnot found\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[。！？!?]|\.(?:\s|$)")
# an error page says so in a few words: a longer text that mentions "not found" is an article
SOFT_404_MAX_CHARS = 400
_TITLE_PARTS = re.compile(r"\s+[-|–—_·]\s+|_|\|")  # "页面不存在 - 东方科技报": the page, the site
MIN_HEADLINES = 3  # linked lines as long as a headline: a list of articles
HEADLINE_CHARS = 12
PARAGRAPH_CHARS = 80  # a line of prose this long, not a link, makes the page an article
LINK_TEXT_SHARE = 0.6  # of the text's characters in lines that are link titles


MIN_ITEMS = 3  # headlines each followed by its teaser: a list of items, not one article
TEASER_CHARS = 30
TEASER_SHARE = 0.5  # of the extracted text's characters in those teasers
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_ROOT = re.compile(r"^/?(?:(?:index|default|home)\.(?:s?html?|php|aspx?|jsp))?$", re.IGNORECASE)

# a listing's line is a link's title, after a bullet and before the date beside it
_BULLET = re.compile(r"^(?:[-*•·]|\d{1,3}[.、])\s*")
_TRAILING_DATE = re.compile(r"[\[(（]?\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?[\])）]?$")


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _entry(line: str) -> str:
    return _TRAILING_DATE.sub("", _BULLET.sub("", _norm(line)))


def link_text_share(
    tree: Any, text: str, links: list[tuple[Any, str]] | None = None
) -> tuple[float, int, bool]:
    """(the share of the text's characters in lines that are a link's text, how many of those
    lines are as long as a headline, whether a line that is no link is a paragraph)."""
    found = links if links is not None else link_texts(tree)
    anchors = {_norm(link_text) for _, link_text in found}
    anchors.discard("")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    total = sum(len(_norm(line)) for line in lines)
    if not total:
        return 0.0, 0, False
    linked = [_norm(line) for line in lines if _norm(line) in anchors or _entry(line) in anchors]
    headlines = sum(1 for line in linked if len(line) >= HEADLINE_CHARS)
    paragraph = any(
        len(line) >= PARAGRAPH_CHARS and _SENTENCE_END.search(line) and _norm(line) not in anchors
        for line in lines
    )
    return sum(len(line) for line in linked) / total, headlines, paragraph


def _error_title(title: str) -> bool:
    """A title that is an error message (a part of it is the message and little else), not a
    headline that mentions one ("Error 404 pages cost retailers sales")."""
    for part in _TITLE_PARTS.split(title):
        found = _SOFT_404_TITLE.search(part)
        if found and len(part.strip()) - len(found[0]) <= 8:
            return True
    return False


def site_root(url: str | None) -> bool:
    """Whether the URL is a site's home page (/, /index.html, /default.aspx), with no query."""
    if not url:
        return False
    parts = urlsplit(url)
    return not parts.query and bool(_ROOT.match(parts.path))


def teaser_list(tree: Any, text: str) -> bool:
    """Whether the text is mostly teasers: paragraphs that each follow a linked headline (a
    home page or a section's front, whose headlines extraction drops as links)."""
    lines = {_norm(line) for line in text.splitlines() if line.strip()}
    total = sum(map(len, lines))
    items, teasers = 0, 0
    for link in tree.iter("a"):
        if len(_norm(link.text_content())) < HEADLINE_CHARS:
            continue
        parent = link.getparent()
        head = parent if parent is not None and parent.tag in _HEADINGS else link
        following = head.getnext()
        if following is None or following.tag != "p":
            continue
        teaser = _norm(following.text_content())
        if len(teaser) >= TEASER_CHARS:
            items += 1
            teasers += len(teaser) if teaser in lines else 0
    return items >= MIN_ITEMS and total > 0 and teasers / total >= TEASER_SHARE


def not_an_article(
    tree: Any,
    title: str | None,
    text: str,
    method: str,
    links: list[tuple[Any, str]] | None = None,
    url: str | None = None,
) -> str | None:
    """Why the page is not an article, or None. `tree`: the parsed page (lxml), or None;
    `links`: its links, when the caller has read them (links.link_texts); `url`: the page's."""
    if _error_title(title or "") or (
        len(text) <= SOFT_404_MAX_CHARS and _SOFT_404_TEXT.search(text)
    ):
        return "soft_404"
    if site_root(url):
        return "section_front"
    if tree is None or not text:
        return None
    if teaser_list(tree, text):
        return "section_front"
    share, headlines, paragraph = link_text_share(tree, text, links)
    if share >= LINK_TEXT_SHARE and not paragraph:  # one real paragraph: an article in chrome
        return "section_front" if headlines >= MIN_HEADLINES else "empty_article"
    if method == "baseline" and not _SENTENCE_END.search(text):
        return "empty_article"  # trafilatura found no body; what is left has no sentence
    return None
