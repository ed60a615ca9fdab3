"""Imported by the extraction workers' fork server (monitor.crawl.extraction) and nothing else:
the extraction code and the language profiles, loaded once for every worker it forks."""

from monitor.text.analyse import init_worker

init_worker()
