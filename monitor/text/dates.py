"""Publication dates: labelled Chinese dates (发布日期：2024年3月5日) and ISO-ish strings."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

# publication labels first: a policy page also states when the document was written (成文日期)
_PUBLISHED_LABELS = r"(?:发布日期|发布时间|发稿时间|Published)"
_LABELS = r"(?:发布日期|发布时间|发稿时间|发文日期|成文日期|印发日期|日期|时间|Published|Date)"
_DATE = (
    r"(?P<y>(?:19|20)\d{2})\s*[年\-/.]\s*(?P<m>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}))?)?"
)
LABELLED = re.compile(_LABELS + r"\s*[:：]?\s*" + _DATE)
PUBLISHED = re.compile(_PUBLISHED_LABELS + r"\s*[:：]?\s*" + _DATE)
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
    """The first date that follows a publication label (发布日期 / 发布时间), else any date label
    (成文日期 / 日期) in page text."""
    for pattern in (PUBLISHED, LABELLED):
        for match in pattern.finditer(text):
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


# A date without a zone is the publisher's local time: up to 14 hours ahead of UTC (UTC+14).
LOCAL_AHEAD = timedelta(hours=14)
CLOCK_SKEW = timedelta(minutes=10)  # between the publisher's clock and ours


def _parse(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def not_after(published: str | None, fetched: str | None) -> str | None:
    """`published`, or None when it is later than the fetch: a page cannot be published after it
    was fetched (a date in the future is an event's date, a typo or a clock far off). A date or
    time without a zone may be up to 14 hours ahead (the publisher's local time)."""
    moment, when = _parse(published or ""), _parse(fetched or "")
    if moment is None or when is None:
        return published
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if len(published or "") <= 10:  # a bare date: no later than the fetch's date at UTC+14
        return (
            None
            if moment.date() > (when + LOCAL_AHEAD).astimezone(timezone.utc).date()
            else published
        )
    if moment.tzinfo is None:
        moment, slack = moment.replace(tzinfo=timezone.utc), LOCAL_AHEAD
    else:
        slack = CLOCK_SKEW
    return None if moment > when + slack else published
