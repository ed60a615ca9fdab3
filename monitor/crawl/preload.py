"""Imported by the crawl fork server (monitor.crawl.forkserver) and nothing else: the modules
a crawl needs, imported once for every crawl the server forks."""

from monitor.crawl.forkserver import preload

preload()
