"""When an article was published: the page's statements first, guesses last.

In order of trust, the first found wins:

1. JSON-LD `datePublished` of the article object (monitor.text.article.titles.stated_metadata);
2. `<meta>` publication times: `article:published_time`, `og:published_time`, `pubdate`,
   `publishdate`, `DC.date.issued`, `itemprop="datePublished"`;
3. a labelled date in the article or on the page: 发布日期/发布时间/成文日期 (monitor.text.dates),
   or a date followed by 来源 ("2024-08-06 07:58 来源：东方科技报");
4. a date among the parts of the page's `<title>` ("… | DW | 28.04.2023");
5. a full date in the first lines under the headline ("东方科技报　2024年05月12日");
6. trafilatura's reading of the page;
7. a date in the URL: `/2024/07/10/`, `/2024/0710/`, `t20240305_101.html`, `-2024-07-10-`, or an
   article number that begins with the date and a time (`A2026012914320005196`).

The time and zone are kept when the statement has them. `published_at` is also never later than
the fetch (pipelines.index via monitor.text.dates.not_after).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from monitor.text.dates import BARE, labelled_date, parse_date

_META_XPATH = (
    "//meta[@property='article:published_time' or @name='article:published_time'"
    " or @property='og:published_time' or @name='pubdate' or @name='publishdate'"
    " or @name='PubDate' or @name='DC.date.issued' or @name='dc.date.issued'"
    " or @itemprop='datePublished']/@content"
    " | //*[@itemprop='datePublished']/@datetime"
)
# "2024-08-06 07:58:21　来源：…": Chinese news pages put the date before the source
_BEFORE_SOURCE = re.compile(
    r"((?:19|20)\d{2}\s*[年\-/.]\s*\d{1,2}\s*[月\-/.]\s*\d{1,2}\s*日?"
    r"(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?)\s*(?:来源|來源|稿源)\s*[:：]"
)
_DAY_FIRST = re.compile(r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>(?:19|20)\d{2})$")
_YEAR_FIRST = re.compile(r"^(?P<y>(?:19|20)\d{2})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$")
_TITLE_PARTS = re.compile(r"\s+[|\-–—_·]\s+|\s*[｜|]\s*|,\s+")
UNDER_HEADLINE = 4  # lines after the headline searched for a date
_URL_DATES = (
    re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})(?:/|$)"),  # /2024/07/10/
    re.compile(r"/((?:19|20)\d{2})/(\d{2})(\d{2})(?:/|$)"),  # /2024/0710/
    re.compile(r"(?<![\d])((?:19|20)\d{2})-(\d{2})-(\d{2})(?!\d)"),  # -2024-07-10-
    # t20240305_101.html, /20240710/, an 8-digit run alone
    re.compile(r"(?<![\d])((?:19|20)\d{2})(\d{2})(\d{2})(?![\d])"),
    # A2026012914320005196: a date and a time at the head of a long article number
    re.compile(r"(?<![\d])((?:19|20)\d{2})(\d{2})(\d{2})(?=[0-2]\d[0-5]\d\d{4,})"),
)


def _valid(year: str, month: str, day: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def meta_date(tree: Any) -> str | None:
    for value in tree.xpath(_META_XPATH)[:10]:
        found = parse_date(str(value))
        if found:
            return found
    return None


def title_date(title: str | None) -> str | None:
    """A date that is one of the parts of the page's `<title>`: year first, or day first with
    dots (the European order; slashes are ambiguous and left)."""
    for part in _TITLE_PARTS.split(title or ""):
        part = part.strip()
        match = _YEAR_FIRST.match(part) or _DAY_FIRST.match(part)
        if match:
            return _valid(match["y"], match["m"], match["d"])
    return None


def date_under_headline(lines: str, headline: str | None) -> str | None:
    """A full date in the first lines after the headline in the page's text."""
    if not headline:
        return None
    rows = lines.split("\n")
    squashed = "".join(headline.split())
    for i, row in enumerate(rows):
        if "".join(row.split()) == squashed:
            for below in rows[i + 1 : i + 1 + UNDER_HEADLINE]:
                match = BARE.search(below)
                if match:
                    return parse_date(match[0])
            return None
    return None


def url_date(url: str | None) -> str | None:
    path = urlsplit(url or "").path
    for pattern in _URL_DATES:
        for match in pattern.finditer(path):
            found = _valid(*match.groups())
            if found:
                return found
    return None


def publication_date(
    *,
    stated: dict[str, Any],
    tree: Any,
    text: str,
    lines: str,
    page_title: str | None,
    headline: str | None,
    guessed: str | None,
    url: str | None,
) -> str | None:
    """The publication date by the order of trust in the module's docstring."""
    found = parse_date(stated.get("published"))
    if found:
        return found
    if tree is not None:
        found = meta_date(tree)
        if found:
            return found
    found = labelled_date(text[:2000]) or labelled_date(lines)
    if found:
        return found
    source = _BEFORE_SOURCE.search(lines)
    if source:
        found = parse_date(source[1])
        if found:
            return found
    return (
        title_date(page_title)
        or date_under_headline(lines, headline)
        or parse_date(guessed)
        or url_date(url)
    )
