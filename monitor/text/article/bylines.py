"""Who wrote an article, and who edited it.

Authors are taken from the most explicit statement the page makes, in this order:

1. the people its JSON-LD article names as `author` (monitor.text.article.titles.stated_metadata);
2. labelled credits: 记者/作者/文 in Chinese, "Autor:", "Author:", "By …" on a byline line, and a
   label in one element with the names in the next ("<strong>Autor</strong> Jane Roe");
3. trafilatura's reading, without the site's name;
4. byline markup (`itemprop="author"`, `rel="author"`, a class word `byline` or `author`) and
   `<meta name="author">` values that are not the site's name;
5. an organisation the JSON-LD names as `author` (a news agency: "dpa");
6. trafilatura's reading even when it is the site's name (better than nothing).

Names are cleaned: no "By"/"Von", no roles (기자, 记者, "Staff Writer"), no e-mail addresses, no
links. Editors are a separate field: 责任编辑/编辑/责编 and "Editor:"/"Edited by"; a name the page
labels as its editor is not an author.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from monitor.text.article.titles import name_key

MAX_NAME = 60  # characters: longer "names" are sentences or bios
MAX_NAMES = 10
MAX_SCAN = 300_000  # characters of the page's text searched for labelled credits

_PREFIX = re.compile(
    r"^\s*(?:by|von|por|par|di|door|av|af|text|texto|texte|written by|words by)\s*[:：]?\s+",
    re.IGNORECASE,
)
_ROLE = re.compile(
    r"\s*(?:기자|특파원|记者|特约记者|通讯员|评论员|実習記者|記者|reporter|correspondent"
    r"|staff writer|senior writer|contributor|editor)\s*$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\S+@\S+")
_URL = re.compile(r"https?://|www\.|\.(?:com|de|org|net)\b", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:,|;|/|&|、|，|；|\band\b|\bund\b|\bog\b|\boch\b|\bet\b|\by\b|\be\b)\s*")
_HAN_NAMES = re.compile(r"^[\u4e00-\u9fff·]{2,4}(?:\s+[\u4e00-\u9fff·]{2,4})+$")
_LETTER = re.compile(r"[^\W\d_]")

_HAN_NAME_LIST = r"[\u4e00-\u9fff·]{2,4}(?:[ \u3000、，,]+[\u4e00-\u9fff·]{2,4}){0,5}"
# where a run of Chinese names ends: a bracket, the line's end, a space, 报道 ("reports"), 摄
_HAN_NAMES_END = r"(?=\s*(?:[)）\]】]|$|报道|摄|\n)|\s)"
# 本报记者 王五 / （记者 张三 李四） / 本报记者张三报道 / 作者：赵六 / 文/孙七. Without the end
# condition "记者从工信部获悉" (the reporter learned from MIIT) would name 从工信部.
_ZH_AUTHOR = re.compile(
    r"(?:本报记者|新华社记者|特约记者|记者|通讯员|本报特约评论员|特约评论员|评论员|作者|撰文|文(?=\s*[:：/]))\s*[:：/|]?\s*("
    + _HAN_NAME_LIST
    + ")"
    + _HAN_NAMES_END,
    re.MULTILINE,
)
# a line that is only a credit ("文/许宁", "（记者 张三 李四）"): not part of the article's prose
AUTHOR_CREDIT_LINE = re.compile(
    r"^[（(【]?\s*(?:本报记者|特约记者|记者|通讯员|本报特约评论员|特约评论员|作者|撰文|文)\s*[:：/|]?\s*"
    + _HAN_NAME_LIST
    + r"\s*[）)】]?$"
)
_ZH_EDITOR = re.compile(
    r"(?:责任编辑|值班编辑|责编|编辑)\s*[:：]\s*(" + _HAN_NAME_LIST + ")" + _HAN_NAMES_END,
    re.MULTILINE,
)
# a label and the names after it, on one line or the next ("Autorin/Autor\nRoman Goncharenko")
_LABEL_AUTHOR = re.compile(
    r"^[ \t]*(?:autor(?:in)?(?:/autor(?:in)?)?|autoren|author|authors|written by"
    r"|auteur|autore|forfatter|författare)\b[ \t]*[:：]?[ \t]*(?:\n[ \t]*)?([^\n]{2,80})$",
    re.IGNORECASE | re.MULTILINE,
)
_LABEL_EDITOR = re.compile(
    r"^[ \t]*(?:editor|edited by|redakteur(?:in)?|redacteur|redaktør)\b[ \t]*[:：]?[ \t]*"
    r"(?:\n[ \t]*)?([^\n]{2,80})$",
    re.IGNORECASE | re.MULTILINE,
)
_BYLINE_LINE = re.compile(
    r"^[ \t]*(?:by|von|por|par|door|av|af)[ \t]+((?:[A-ZÀ-ÖØ-Þ][\w.'-]*,?[ \t]*"
    r"(?:and|und|&|og|och|y|et)?[ \t]*){1,6})$",
    re.MULTILINE,
)
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.S | re.I)
_BLANKS = re.compile(r"[ \t\u3000\xa0]+")
_BOX_WORDS = {"byline", "author", "authors", "autor", "author-name", "byline-name"}
_WORD = re.compile(r"[a-z]+")


def clean_name(raw: str) -> str | None:
    """A person's or organisation's name without "By", roles, e-mail addresses; None when what
    is left is not a name (empty, a link, a sentence, digits only)."""
    name = _EMAIL.sub("", " ".join(str(raw).split()))
    name = _ROLE.sub("", _PREFIX.sub("", name)).strip(" ,;|:：-–—()（）[]")
    if not name or len(name) > MAX_NAME or _URL.search(name) or not _LETTER.search(name):
        return None
    return name


def split_names(text: str) -> list[str]:
    """The names in a credit: "Jane Roe and John Doe", "张三、李四", "张三 李四"."""
    text = _ROLE.sub("", _PREFIX.sub("", _EMAIL.sub("", " ".join(text.split()))))
    if _URL.search(text):  # a profile link, not a name
        return []
    parts = text.split() if _HAN_NAMES.match(text) else _SPLIT.split(text)
    names: list[str] = []
    for part in parts:
        name = clean_name(part)
        if name and name not in names:
            names.append(name)
    return names[:MAX_NAMES]


def page_lines(html: str) -> str:
    """The page's text, one element's text per line (for labels and the names after them)."""
    lines = (
        _BLANKS.sub(" ", line).strip() for line in _TAGS.sub("\n", html[:MAX_SCAN]).split("\n")
    )
    return "\n".join(line for line in lines if line)


# words of a name that are not capitalised: "Ursula von der Leyen", "Ahmed bin Ali"
_PARTICLES = {
    "von",
    "van",
    "der",
    "den",
    "de",
    "da",
    "del",
    "di",
    "du",
    "la",
    "le",
    "bin",
    "al",
    "ibn",
}


def proper_name(name: str) -> bool:
    """A person's or agency's name as bylines write it: Han characters, or one to four words
    that are capitalised (or name particles): not a menu item or a sentence."""
    if _HAN_NAMES.match(name + " " + name) or re.fullmatch(r"[\u4e00-\u9fff·]{2,4}", name):
        return True
    words = name.split()
    return 1 <= len(words) <= 4 and all(w[:1].isupper() or w in _PARTICLES for w in words)


def labelled_credits(text: str, lines: str) -> tuple[list[str], list[str]]:
    """(authors, editors) a page labels as such: in the article's text, then the page's."""
    authors: list[str] = []
    editors: list[str] = []
    for source in (text, lines):
        for pattern in (_ZH_EDITOR, _LABEL_EDITOR):
            for match in pattern.finditer(source):
                editors.extend(n for n in _names(match[1]) if n not in editors)
        if not authors:
            # "By Jane Roe" lines only in the article: a page's teasers have bylines of their own
            for pattern in (_ZH_AUTHOR, _LABEL_AUTHOR) + (
                (_BYLINE_LINE,) if source is text else ()
            ):
                for match in pattern.finditer(source):
                    authors = [n for n in _names(match[1]) if n not in editors]
                    if authors:
                        break
                if authors:
                    break
    return authors[:MAX_NAMES], editors[:MAX_NAMES]


def _names(credit: str) -> list[str]:
    """The names of a labelled credit, when all of them look like names."""
    names = split_names(credit)
    return names if names and all(proper_name(n) for n in names) else []


def markup_bylines(tree: Any) -> list[str]:
    """Names in byline markup: `itemprop="author"`, `rel="author"`, a class word byline/author."""
    if tree is None:
        return []
    names: list[str] = []
    for element in tree.xpath(
        "//*[@itemprop='author' or @rel='author' or contains(@class, 'author')"
        " or contains(@class, 'byline') or contains(@class, 'Author')]"
    )[:30]:
        words = set(_WORD.findall(element.get("class", "").lower()))
        if not (
            element.get("itemprop") == "author"
            or element.get("rel") == "author"
            or words & _BOX_WORDS
        ):
            continue
        named = element.xpath(".//*[@itemprop='name']")
        text = " ".join((named[0] if named else element).text_content().split())
        if 2 <= len(text) <= MAX_NAME:
            names.extend(n for n in split_names(text) if n not in names)
        if names:
            break
    return names[:MAX_NAMES]


def meta_authors(tree: Any) -> list[str]:
    if tree is None:
        return []
    names: list[str] = []
    for value in tree.xpath("//meta[@name='author' or @property='article:author']/@content")[:10]:
        names.extend(n for n in split_names(value) if n not in names)
    return names[:MAX_NAMES]


def names_site(names: list[str], sites: list[str]) -> bool:
    """Whether every name is the site's name (trafilatura often reads the publisher as author)."""
    keys = [k for k in (name_key(s) for s in sites) if len(k) >= 2]
    return bool(names) and all(
        any(
            name_key(n) == k or name_key(n).startswith(k) or k.startswith(name_key(n)) for k in keys
        )
        for n in names
    )


def choose_authors(
    stated: dict[str, Any],
    labelled: list[str],
    guessed: list[str],
    markup: Callable[[], list[str]],
    editors: list[str],
    sites: list[str],
) -> list[str]:
    """The authors, by the order of trust in the module's docstring, editors left out. `markup`
    is a function: reading the byline markup is only worth it when the sources before fail."""
    not_site = lambda names: [n for n in names if not names_site([n], sites)]  # noqa: E731
    for names in (
        lambda: stated.get("authors") or [],
        lambda: labelled,
        lambda: not_site(guessed),
        lambda: not_site(markup()),
        lambda: stated.get("organizations") or [],
        lambda: guessed,
    ):
        found = [n for n in names() if n not in editors]
        if found:
            return found[:MAX_NAMES]
    return []
