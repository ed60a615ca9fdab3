"""Spiders, one per source type: `scrapy crawl feed|sitemap|listing -a source=<id>`.

They fetch and follow links, yielding `monitor.items.Article`; everything else is a pipeline's job.
"""
