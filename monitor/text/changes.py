"""What changed between two versions of a page's text: paragraphs added and removed, and whether
the change is only page furniture (a view counter, an "updated" stamp) that makes no version.

Texts are compared paragraph by paragraph (the extraction keeps one paragraph per line). A change
is *furniture* when every paragraph it touches is short (FURNITURE_CHARS at most) and the old and
new paragraphs differ only in their digits: "阅读次数：1234" → "阅读次数：1301", "Updated 09:14" →
"Updated 10:02". A long paragraph whose date changed (a policy's deadline moved) is a change.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

FURNITURE_CHARS = 40
_DIGITS = re.compile(r"\d+")


def paragraphs(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").split("\n") if line.strip()]


@dataclass(frozen=True)
class Change:
    added: int  # paragraphs in the new text only
    removed: int  # paragraphs in the old text only
    furniture: bool  # only short counter/stamp lines changed: not a new version

    def summary(self) -> str:
        return f"+{self.added} −{self.removed} paragraphs"

    def as_dict(self) -> dict[str, int | str]:
        return {"added": self.added, "removed": self.removed, "summary": self.summary()}


def compare(old: str | None, new: str | None) -> Change:
    before, after = paragraphs(old), paragraphs(new)
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    added = removed = 0
    furniture = True
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed += i2 - i1
        added += j2 - j1
        if not _furniture(before[i1:i2], after[j1:j2]):
            furniture = False
    return Change(added, removed, furniture and (added or removed) > 0)


def _furniture(old: list[str], new: list[str]) -> bool:
    if len(old) != len(new):
        return False
    return all(
        len(a) <= FURNITURE_CHARS
        and len(b) <= FURNITURE_CHARS
        and _DIGITS.sub("#", a) == _DIGITS.sub("#", b)
        for a, b in zip(old, new, strict=True)
    )


def diff_lines(old: str | None, new: str | None, context: int = 1) -> list[tuple[str, str]]:
    """(mark, paragraph) for a readable diff: "-" removed, "+" added, " " context, "…" a gap."""
    before, after = paragraphs(old), paragraphs(new)
    out: list[tuple[str, str]] = []
    for group in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_grouped_opcodes(
        context
    ):
        if out:
            out.append(("…", ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [(" ", p) for p in before[i1:i2]]
                continue
            out += [("-", p) for p in before[i1:i2]]
            out += [("+", p) for p in after[j1:j2]]
    return out
