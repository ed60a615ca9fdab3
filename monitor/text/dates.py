"""Publication dates: labelled Chinese dates (发布日期：2024年3月5日) and ISO-ish strings."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime

_LABELS = r"(?:发布日期|发布时间|发文日期|成文日期|印发日期|日期|时间|Published|Date)"
_DATE = (
    r"(?P<y>(?:19|20)\d{2})\s*[年\-/.]\s*(?P<m>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}))?)?"
)
LABELLED = re.compile(_LABELS + r"\s*[:：]?\s*" + _DATE)
BARE = re.compile(_DATE)


def _build(m: re.Match) -> str | None:
    try:
        day = date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        return None
    if m["H"] is None:
        return day.isoformat()
    try:
        return datetime(
            day.year, day.month, day.day, int(m["H"]), int(m["M"]), int(m["S"] or 0)
        ).isoformat()
    except ValueError:
        return day.isoformat()


def utc_now_iso() -> str:
    """Now, in UTC, ISO 8601 to the second: the form of every timestamp news-monitor writes."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def labelled_date(text: str) -> str | None:
    """The first date that follows a label such as 发布日期 / 发布时间 / 成文日期 in page text."""
    for match in LABELLED.finditer(text):
        found = _build(match)
        if found:
            return found
    return None


def parse_date(value: str | None) -> str | None:
    """Normalise a date string from metadata, feeds or sitemaps to ISO 8601, or None."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    else:
        return parsed.date().isoformat() if len(value) <= 10 else parsed.isoformat()
    try:  # RFC 822 dates of RSS feeds
        return parsedate_to_datetime(value).astimezone(timezone.utc).isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    match = BARE.search(value)
    return _build(match) if match else None
