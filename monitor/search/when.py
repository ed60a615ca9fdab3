"""Dates an analyst types: `2024-03-05`, `2024-03-05T08:00`, `7d`, `24h`, `2w`, `today`,
`yesterday` (days are UTC days)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from monitor.errors import QueryError

FORMS = "YYYY-MM-DD, YYYY-MM-DDTHH:MM, 7d, 24h, 2w, today, yesterday"
_AGO = re.compile(r"^(\d{1,5})\s*([hdwm])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_when(value: str, option: str, end: bool = False, now: datetime | None = None) -> datetime:
    """A point in time. A day alone is its first moment, or with `end` its last."""
    now = now or datetime.now(UTC)
    text = value.strip().lower()
    day: date | None = None
    if text in ("today", "yesterday"):
        day = now.date() - timedelta(days=1 if text == "yesterday" else 0)
    elif match := _AGO.match(text):
        count, unit = int(match[1]), match[2]
        if unit == "m":
            return now - timedelta(days=30 * count)
        return now - count * _UNITS[unit]
    else:
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                day = date.fromisoformat(text)
            else:
                moment = datetime.fromisoformat(value.strip())
                return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            raise QueryError(f"{option} {value!r} is not a date ({FORMS})") from None
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


def date_range(
    since: str | None, until: str | None, now: datetime | None = None
) -> tuple[datetime | None, datetime | None]:
    """(since, until) from the options; an impossible range is an error, not an empty result.
    `--since yesterday` alone means from yesterday on; `--until yesterday` up to its end."""
    start = parse_when(since, "--since", now=now) if since else None
    stop = parse_when(until, "--until", end=True, now=now) if until else None
    if start and stop and start > stop:
        raise QueryError(
            f"--since {since} is after --until {until}: no document can be in that range"
        )
    return start, stop
