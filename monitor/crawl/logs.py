"""Log lines for dropped items: the reason and URL, not the whole item (a page body can be huge)."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import logformatter


class MonitorLogFormatter(logformatter.LogFormatter):
    def dropped(
        self, item: Any, exception: BaseException, response: Any, spider: Any = None
    ) -> dict:
        entry = super().dropped(item, exception, response, spider)
        entry["msg"] = "Dropped: %(exception)s"
        return entry


class OneLine(logging.Filter):
    """Keeps a record's message, drops its traceback: for network failures that Scrapy logs with
    one (robots.txt of an unreachable site), which say all they need in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and _network_error(record.exc_info[1]):
            record.exc_info, record.exc_text = None, None
        return True


class NoTraceback(logging.Filter):
    """Keeps a record's message, drops its traceback, whatever the error."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        return True


def _network_error(exc: BaseException | None) -> bool:
    from scrapy.exceptions import IgnoreRequest
    from twisted.internet.error import ConnectError, DNSLookupError, TimeoutError

    chain = []
    while exc is not None and len(chain) < 10:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    network = (ConnectError, DNSLookupError, TimeoutError, IgnoreRequest, OSError)
    return any(isinstance(e, network) or "Download" in type(e).__name__ for e in chain)


class QuietNetworkErrors:
    """Extension: robots.txt failures of unreachable sites in one line, not sixty."""

    LOGGERS = ("scrapy.downloadermiddlewares.robotstxt", "scrapy.core.scraper")

    def __init__(self) -> None:
        for name in self.LOGGERS:
            log = logging.getLogger(name)
            if not any(isinstance(f, OneLine) for f in log.filters):
                log.addFilter(OneLine())
        # a page the browser could not load: scrapy-playwright logs it with a traceback, and the
        # spider says it again in one line with the reason (monitor.crawl.render)
        browser = logging.getLogger("scrapy-playwright")
        if not any(isinstance(f, NoTraceback) for f in browser.filters):
            browser.addFilter(NoTraceback())

    @classmethod
    def from_crawler(cls, crawler: Any) -> QuietNetworkErrors:
        return cls()
