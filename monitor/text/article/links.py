"""The page's links and their texts, read once per page: the page-kind check (pagekind.py) and
the body's teaser rule (body.py) both need them, and reading every link's text was 7 % of an
extraction worker's time (bench/profile.py)."""

from __future__ import annotations

from typing import Any

MAX_LINKS = 5000  # a page with more is a link farm (monitor.text.analyse refuses it before)


def link_texts(tree: Any) -> list[tuple[Any, str]]:
    """(element, text) of the page's `<a>` elements, in page order."""
    if tree is None:
        return []
    found = []
    for anchor in tree.iter("a"):
        if len(found) >= MAX_LINKS:
            break
        found.append((anchor, anchor.text_content()))
    return found
