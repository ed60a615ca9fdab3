"""The `monitor` command line: one module per command group, each thin. They parse options, call
the library, and map domain errors to one stderr line and a documented exit code
(docs/commands.md); what they share is in `monitor.cli.common`."""

from __future__ import annotations

import click

from monitor import __version__
from monitor.cli.alerts import alerts
from monitor.cli.capture import capture_cmd
from monitor.cli.config import config_cmd
from monitor.cli.crawl import crawl
from monitor.cli.demo import demo
from monitor.cli.diff import diff_cmd
from monitor.cli.es import es
from monitor.cli.export import export_cmd
from monitor.cli.extract import extract
from monitor.cli.kibana import kibana
from monitor.cli.schedule import schedule_cmd
from monitor.cli.search import search_cmd
from monitor.cli.searches import searches
from monitor.cli.show import show_cmd
from monitor.cli.sources import sources
from monitor.cli.translate import models, status_cmd, translate_cmd
from monitor.cli.watch import alertd, watch
from monitor.cli.worker import worker_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="monitor")
def main() -> None:
    """news-monitor: crawl Chinese and English news and policy documents into Elasticsearch."""


main.add_command(es)
main.add_command(crawl)
main.add_command(extract)
main.add_command(search_cmd)
main.add_command(show_cmd)
main.add_command(capture_cmd)
main.add_command(diff_cmd)
main.add_command(export_cmd)
main.add_command(searches)
main.add_command(demo)
main.add_command(translate_cmd)
main.add_command(models)
main.add_command(status_cmd)
main.add_command(kibana)
main.add_command(schedule_cmd)
main.add_command(alerts)
main.add_command(sources)
main.add_command(watch)
main.add_command(alertd)
main.add_command(worker_cmd)
main.add_command(config_cmd)
