"""Log lines for dropped items: the reason and URL, not the whole item (a page body can be huge)."""

from __future__ import annotations

from typing import Any

from scrapy import logformatter


class MonitorLogFormatter(logformatter.LogFormatter):
    def dropped(
        self, item: Any, exception: BaseException, response: Any, spider: Any = None
    ) -> dict:
        entry = super().dropped(item, exception, response, spider)
        entry["msg"] = "Dropped: %(exception)s"
        return entry
