"""The `monitor` command line: one module per command group, each thin. They parse options, call
the library, and map domain errors to one stderr line and a documented exit code
(docs/commands.md); what they share is in `monitor.cli.common`.

A command's module is imported when that command runs (or when help lists it): `monitor search`
does not pay for the imports of the crawl, the scheduler or Kibana."""

from __future__ import annotations

import importlib

import click

from monitor import __version__

COMMANDS = {  # name → (module, attribute)
    "alertd": ("monitor.cli.watch", "alertd"),
    "alerts": ("monitor.cli.alerts", "alerts"),
    "capture": ("monitor.cli.capture", "capture_cmd"),
    "config": ("monitor.cli.config", "config_cmd"),
    "crawl": ("monitor.cli.crawl", "crawl"),
    "demo": ("monitor.cli.demo", "demo"),
    "diff": ("monitor.cli.diff", "diff_cmd"),
    "es": ("monitor.cli.es", "es"),
    "export": ("monitor.cli.export", "export_cmd"),
    "extract": ("monitor.cli.extract", "extract"),
    "feed": ("monitor.cli.feed", "feed_cmd"),
    "kibana": ("monitor.cli.kibana", "kibana"),
    "models": ("monitor.cli.translate", "models"),
    "refs": ("monitor.cli.refs", "refs_cmd"),
    "schedule": ("monitor.cli.schedule", "schedule_cmd"),
    "search": ("monitor.cli.search", "search_cmd"),
    "searches": ("monitor.cli.searches", "searches"),
    "serve": ("monitor.cli.feed", "serve_cmd"),
    "show": ("monitor.cli.show", "show_cmd"),
    "sources": ("monitor.cli.sources", "sources"),
    "status": ("monitor.cli.translate", "status_cmd"),
    "translate": ("monitor.cli.translate", "translate_cmd"),
    "watch": ("monitor.cli.watch", "watch"),
    "worker": ("monitor.cli.worker", "worker_cmd"),
}


class _Commands(click.Group):
    """The top-level group, its commands imported on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name]
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="monitor")
def main() -> None:
    """news-monitor: crawl Chinese and English news and policy documents into Elasticsearch."""
