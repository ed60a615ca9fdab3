"""Spiders, one per source type: `scrapy crawl feed|sitemap|listing|api -a source=<id>`.

They fetch and follow links, yielding `monitor.crawl.items.Article`; everything else is a
pipeline's job.
"""
