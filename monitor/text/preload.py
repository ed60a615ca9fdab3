"""Imported by the extraction workers' fork server (monitor.crawl.extraction) and nothing else:
the extraction code, the language profiles and the story signatures' MinHash (datasketch imports
scipy: 0.8 CPU-s that every worker of every crawl paid again), loaded once for every worker it
forks."""

from monitor.text.analyse import init_worker
from monitor.text.stories import warm_up as warm_up_stories

init_worker()
warm_up_stories()
