"""Times in their own zone: a date or time a source states without a zone is in the source's.

A source's zone is its `timezone` (an IANA name such as Asia/Shanghai), else Asia/Shanghai for a
Chinese or Hong Kong source (language zh, a host under .cn, .hk or .mo, or an api source of the
SSE, SZSE, BSE or HKEX: Hong Kong's and Macau's clocks have read the same as Beijing's since
1992), else UTC. A time without an offset is
stored with the zone's offset at that moment ("2026-09-09T17:27:00+08:00"); a bare date stays a
calendar date in that zone; epoch values are exact instants, written in the zone too, so that
their date is the source's date. Display (the CLI, e-mails) shows a time as stored, in the
source's zone, unless asked for another zone.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CHINA = "Asia/Shanghai"
CHINESE_SUFFIXES = (".cn", ".hk", ".mo")
CHINESE_EXCHANGES = ("SSE", "SZSE", "BSE", "HKEX")


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The zone of an IANA name; ValueError names an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as Asia/Shanghai or UTC"
        ) from None


def source_zone(source: Any) -> str:
    """The zone of a source's unzoned times (see the module's docstring)."""
    if getattr(source, "timezone", None):
        return source.timezone
    hosts = getattr(source, "hosts", ())
    exchange = getattr(getattr(source, "api", None), "exchange", None)
    if (
        getattr(source, "language", None) == "zh"
        or any(h.endswith(CHINESE_SUFFIXES) for h in hosts)
        or (exchange or "").upper() in CHINESE_EXCHANGES
    ):
        return CHINA
    return "UTC"


def localize(value: str | None, zone_name: str | None) -> str | None:
    """An ISO date-time without an offset given the zone's offset; anything else unchanged."""
    if not value or not zone_name or len(value) <= 10:
        return value
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is not None:
        return value
    return moment.replace(tzinfo=zone(zone_name)).isoformat()


def from_epoch(seconds: float, zone_name: str | None) -> str:
    """An epoch instant, written in the zone (UTC when none)."""
    return datetime.fromtimestamp(seconds, tz=zone(zone_name or "UTC")).isoformat()


def shown(value: str | None, zone_name: str | None = None, with_time: bool = False) -> str | None:
    """A stored date or time as people read it: 'YYYY-MM-DD' (with ' HH:MM' when asked), in
    the zone it was stored in, or converted to `zone_name` when one is given."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value[: 16 if with_time else 10]
    if len(value) <= 10:
        return value
    if zone_name:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        moment = moment.astimezone(zone(zone_name))
    return moment.strftime("%Y-%m-%d %H:%M %z" if with_time else "%Y-%m-%d")
