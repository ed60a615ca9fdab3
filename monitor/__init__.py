"""news-monitor: multilingual news and policy monitoring (Scrapy → trafilatura → Elasticsearch)."""

import sys

__version__ = "0.1.0"


def command(*args: str) -> list[str]:
    """The argv of `monitor ARGS` in a new process of this Python (one reactor per crawl)."""
    return [sys.executable, "-m", "monitor", *args]
