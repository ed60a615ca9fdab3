"""Imported by the crawl fork server (monitor.cli.forked) and nothing else: the command line and
the modules a crawl needs, imported once for every crawl the server forks."""

import monitor.cli  # noqa: F401  (the command line, as the child runs it)
from monitor.crawl.forkserver import preload

preload()
