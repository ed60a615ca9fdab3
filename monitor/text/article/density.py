"""The page's densest block of prose: where most of its long paragraphs are.

trafilatura picks one container for the article. Pages that split the article over several sibling
containers (a long feature in chunks between ads, a body continued after a newsletter box) lose
everything after the first: on the news-metadata set one feature kept 47 % of its text. The block
found here is the deepest element holding most of the page's prose; `extract` uses it when the main
extraction is much shorter and agrees with it (see `extract._prose_fallback`).

Prose is a `<p>` with enough text (a Han character counts as about three Latin letters), few of
its characters in links, and not inside navigation, asides, figures or boxes whose class or id says
they are comments, related links, sharing or promotion. The tree is read, never changed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from monitor.text.han import HAN

LONG_PARAGRAPH = 100  # weighted characters: a paragraph this long is prose, not a teaser or label
SHORT_PARAGRAPH = 25  # inside the block, shorter paragraphs (one-line answers, datelines) count too
MAJORITY = 0.7  # the block holds at least this share of the page's long paragraphs' text
MAX_LINK_SHARE = 0.3  # more of a paragraph in links: a list of links, not prose
MAX_PARAGRAPHS = 5000  # a bound on the work for hostile pages

_SKIP_TAGS = {"nav", "header", "footer", "aside", "form", "figure", "figcaption", "noscript"}
# class/id words of boxes beside an article (compared as whole words of the attribute)
_BOX_WORDS = {
    "comment", "comments", "related", "recommended", "recommendations", "share", "sharing",
    "social", "footer", "sidebar", "newsletter", "promo", "teaser", "teasers", "advert", "ad",
    "ads", "cookie", "cookies", "nav", "navigation", "menu", "breadcrumb", "breadcrumbs",
    "subscribe", "subscription", "paywall", "caption", "byline", "author", "bio", "more",
}  # fmt: skip
_WORD = re.compile(r"[a-z]+")


def _weight(text: str) -> int:
    return len(text) + 2 * len(HAN.findall(text))


def _boxed(element: Any, cache: dict[Any, bool]) -> bool:
    """Whether the element sits in navigation, an aside, a figure or a box beside the article."""
    chain = []
    node = element
    while node is not None and node not in cache:
        chain.append(node)
        node = node.getparent()
    boxed = cache.get(node, False) if node is not None else False
    for node in reversed(chain):
        if not boxed:
            tag = node.tag if isinstance(node.tag, str) else ""
            words = _WORD.findall(f"{node.get('class', '')} {node.get('id', '')}".lower())
            boxed = tag in _SKIP_TAGS or any(w in _BOX_WORDS for w in words)
        cache[node] = boxed
    return cache[element]


def _paragraphs(tree: Any) -> list[tuple[Any, str, int]]:
    cache: dict[Any, bool] = {}
    found = []
    for p in tree.iter("p"):
        if len(found) >= MAX_PARAGRAPHS:
            break
        text = " ".join(p.text_content().split())
        weight = _weight(text)
        if weight < SHORT_PARAGRAPH:
            continue
        linked = sum(len(" ".join(a.text_content().split())) for a in p.iter("a"))
        if linked > MAX_LINK_SHARE * len(text) or _boxed(p, cache):
            continue
        found.append((p, text, weight))
    return found


def _home_article(paragraphs: list[tuple[Any, str, int]], extracted: str) -> Any:
    """The `<article>` element around the first paragraph of the extraction, if any."""
    squashed = " ".join(extracted.split())
    for p, text, weight in paragraphs:
        if weight >= LONG_PARAGRAPH and text in squashed:
            return next((a for a in p.iterancestors("article")), None)
    return None


def densest_block(tree: Any, extracted: str = "") -> str:
    """The paragraphs of the deepest element that holds most of the page's prose, one per line;
    "" when the page has no long paragraph. With `extracted` (the main extraction), only the
    `<article>` element it comes from counts: pages that load the next story below the first
    (infinite scroll) hold several articles."""
    if tree is None:
        return ""
    paragraphs = _paragraphs(tree)
    home = _home_article(paragraphs, extracted) if extracted else None
    if home is not None:
        paragraphs = [x for x in paragraphs if home in x[0].iterancestors()]
    long = [(p, w) for p, _, w in paragraphs if w >= LONG_PARAGRAPH]
    total = sum(w for _, w in long)
    if not total:
        return ""
    held: dict[Any, int] = defaultdict(int)
    depth: dict[Any, int] = {}
    for p, w in long:
        for level, ancestor in enumerate(reversed(list(p.iterancestors()))):
            held[ancestor] += w
            depth[ancestor] = level
    block = max((a for a, w in held.items() if w >= MAJORITY * total), key=depth.__getitem__)
    return "\n".join(text for p, text, _ in paragraphs if block in p.iterancestors())
