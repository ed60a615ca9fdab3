"""news-monitor: multilingual news and policy monitoring (Scrapy → trafilatura → Elasticsearch)."""

__version__ = "0.1.0"
