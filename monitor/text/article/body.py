"""The article's body after trafilatura: the longer text when trafilatura kept only a part, and
without the lines that are not the article's prose.

Each rule is general and measured with bench/extraction_quality.py on both shared sets (the
figures are in bench/README.md):

- **A longer source.** When the extraction is much shorter than the page's JSON-LD `articleBody`
  or its densest block of prose (density.py) and agrees with it, the longer one is the
  article: trafilatura kept one container of an article split over several.
- **Article HTML in the page's data.** Pages rendered by script carry their article as an HTML
  string inside a `<script>` (`"contentHtml":"<p>…"`), and the markup has none of it. Where the
  extraction found (almost) nothing, such a string is parsed and its densest block used.
- **Lines that are not prose**: a government page's metadata table (its fields are stored apart:
  monitor.text.govdoc), the headline repeated as the first line (alone or with the site's name),
  author and editor credits on lines of their own (文/许宁, 责任编辑：…: kept as `authors` and
  `editors` by monitor.text.article.bylines), a Chinese page's date-and-source line (… 来源：…),
  "Read also: …" links to other stories, photo credits, and lines that are all a link's text
  (teaser cards for other stories: 16 such lines on the news-metadata set, 14 on the article set).
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import html as lxml_html

from monitor.text.article.bylines import AUTHOR_CREDIT_LINE
from monitor.text.article.density import densest_block
from monitor.text.govdoc import ANY_LABEL

MUCH_LONGER = 2.0  # 1.5 also took a review site's other reviews and live pages' next story
AGREEMENT = 0.8  # share of the extraction's 4-word shingles the longer text must contain
NEARLY_NOTHING = 200  # characters: an extraction this short is worth a look at the page's data
MAX_DATA_SCAN = 3_000_000  # characters of a page searched for article HTML in its data
_TOKEN = re.compile(r"[\u3400-\u9fff]|[^\W\u3400-\u9fff]+")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
# a JSON string of at least 200 characters holding escaped paragraphs ("\u003cp" or "<p")
_DATA_HTML = re.compile(r'"((?:[^"\\]|\\.){200,}?(?:\\u003c|<)/p(?:\\u003e|>)(?:[^"\\]|\\.)*)"')


def clean_lines(text: str) -> str:
    """Lines with their blanks collapsed, empty ones dropped."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _shingles(text: str) -> set[tuple[str, ...]]:
    tokens = _TOKEN.findall(text.casefold())
    return {tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3)}


def longer_source(text: str, tree: Any, article: dict[str, Any]) -> str:
    """The extraction, or the page's JSON-LD `articleBody` or its densest block of prose when
    that is much longer and contains most of the extraction."""
    if not text or tree is None:
        return text
    stated = article.get("articleBody")
    for candidate in (stated if isinstance(stated, str) else "", None):
        if candidate is None:
            candidate = densest_block(tree, text)  # computed only when the stated body did not do
        candidate = clean_lines(candidate)
        if len(candidate) > MUCH_LONGER * len(text):
            own = _shingles(text)
            if own and len(own & _shingles(candidate)) >= AGREEMENT * len(own):
                return candidate
    return text


def data_html_body(html: str) -> str:
    """The densest block of the longest article HTML carried as a JSON string in the page's
    scripts, or ""."""
    best = ""
    for match in _DATA_HTML.finditer(html, 0, MAX_DATA_SCAN):
        try:
            fragment = json.loads(f'"{match.group(1)}"')
        except ValueError:
            continue
        if fragment.count("<p") < 2:
            continue
        try:
            block = densest_block(lxml_html.fromstring(fragment))
        except (ValueError, lxml_html.etree.ParserError):
            continue
        if len(block) > len(best):
            best = block
    return clean_lines(best)


# --- lines that are not the article's prose -------------------------------------------------------

_CREDIT_LINE = re.compile(
    r"^[（(【\[]?\s*(?:责任编辑|编辑|责编|校对|审校|审核|值班编辑)\s*[:：][^）)】\]]{0,40}[）)】\]]?$"
)
_TABLE_ROW = re.compile(r"^\|.*\|$")
_TITLE_LABEL = re.compile(r"标\s*题\s*[:：]")
# "Read more: <another story>" and its translations: a link to another story, not this one's text
_READ_ALSO = re.compile(
    r"^(?:read (?:more|also|next)|see also|lesen sie (?:auch|mehr)|auch interessant|mehr zum thema"
    r"|les også|les mer|läs också|läs mer|lees ook|leia também|leia mais|lee también|lea también"
    r"|lire aussi|à lire aussi|leggi anche|czytaj (?:więcej|też|także)|zobacz (?:też|także)"
    r"|ayrıca okuyun|baca juga|相关阅读|延伸阅读|阅读更多|推荐阅读|相关新闻|관련기사|関連記事)"
    r"(?:\s*[:：]|\s*$|(?=\s.{0,110}(?<![.!?。！？])$))",
    re.IGNORECASE,
)  # followed by a colon, nothing, or a headline (no full stop): "Read more about …." is prose
# "Photo: AFP", "Foto: dpa", "图片来源：新华社": who took a picture, on a line of its own
_PHOTO_CREDIT = re.compile(
    r"^[(\[（]?(?:photo|photos|foto|fotos|bild|image|picture|credit|quelle|source|zdjęcie"
    r"|图片来源|图片|摄影|写真)\s*[:：/]\s*\S.{0,80}$",
    re.IGNORECASE,
)
# "2024-07-20 16:42:05 来源：华夏网": the page's date and source line, not prose
_SOURCE_LINE = re.compile(r"^(?=.{0,60}$)[^。！？]*(?:来源|來源|稿源)\s*[:：][^。！？]*$")
_SEPARATORS = "|-–—·｜ㅣ"
SITE_NAME = 40  # characters: what follows a repeated headline and a separator is the site's name


def _not_prose(line: str) -> bool:
    return bool(
        (_TABLE_ROW.match(line) and (ANY_LABEL.search(line) or _TITLE_LABEL.search(line)))
        or _CREDIT_LINE.match(line)
        or AUTHOR_CREDIT_LINE.match(line)
        or _READ_ALSO.match(line)
        or _PHOTO_CREDIT.match(line)
        or _SOURCE_LINE.match(line)
    )


def _repeats_title(line: str, title: str) -> bool:
    """The headline again, alone or followed by the site's name ("Headline | wdr aktuell")."""
    line, title = _squash(line), _squash(title)
    if not title or not line.startswith(title):
        return False
    rest = line[len(title) :]
    return not rest or (rest[0] in _SEPARATORS and len(rest) <= SITE_NAME)


LINKED_LINE = 40  # characters: a line this long that is all a link's text is a teaser
_IN_LINK = ("p", "h1", "h2", "h3", "h4", "div", "span", "font")


def linked_texts(links: list[tuple[Any, str]]) -> set[str]:
    """The texts (at least LINKED_LINE long) of the page's links (links.link_texts) and of the
    blocks inside them: teaser cards, "related" headlines with their summaries."""
    found: set[str] = set()
    for anchor, raw in links:
        text = " ".join(raw.split())
        if len(text) < LINKED_LINE:
            continue
        found.add(text)
        for inner in anchor.iter(*_IN_LINK):
            inner_text = " ".join(inner.text_content().split())
            if len(inner_text) >= LINKED_LINE:
                found.add(inner_text)
    return found


def clean_body(text: str, title: str | None, links: list[tuple[Any, str]] | None = None) -> str:
    """The text without the lines that are not prose (see the module's docstring); the text as
    it was when that would leave nothing. With the page's `links` (links.link_texts), a line that
    is all the text of a link is left out too: a teaser for another page, not this one's prose."""
    linked = linked_texts(links or [])
    kept = [
        line
        for line in text.split("\n")
        if not _not_prose(line.strip()) and " ".join(line.split()) not in linked
    ]
    if kept and title and _repeats_title(kept[0], title):
        kept = kept[1:]
    return "\n".join(kept) if any(line.strip() for line in kept) else text


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()
