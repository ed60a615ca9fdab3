"""The `monitor` command line. Thin: parses options, calls the library, maps domain errors to one
stderr line and a documented exit code (see README, "Exit codes")."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from monitor import __version__
from monitor.config import EsConfig
from monitor.errors import MonitorError


def domain_errors(fn: Callable) -> Callable:
    """Turn a MonitorError into `monitor: <message>` on stderr and its exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except MonitorError as exc:
            click.echo(f"monitor: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def info(message: str) -> None:
    click.echo(message, err=True)


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="monitor")
def main() -> None:
    """news-monitor: crawl Chinese and English news and policy documents into Elasticsearch."""


# --- monitor es -----------------------------------------------------------------------------------


@main.group()
def es() -> None:
    """Manage the local Elasticsearch node (used when MONITOR_ES_URL is not set)."""


@es.command("start")
@domain_errors
def es_start() -> None:
    """Install (first time) and start the local node; wait until it is healthy."""
    from monitor.es.node import LocalNode

    node = LocalNode(EsConfig.from_env())
    node.start(log=info)
    info(f"Elasticsearch is running at {node.config.effective_url} (pid {node.pid()})")


@es.command("stop")
@domain_errors
def es_stop() -> None:
    """Stop the local node cleanly."""
    from monitor.es.node import LocalNode

    stopped = LocalNode(EsConfig.from_env()).stop()
    info("Elasticsearch stopped" if stopped else "Elasticsearch was not running")


@es.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@domain_errors
def es_status(as_json: bool) -> None:
    """Where Elasticsearch is, whether it runs, and how many documents it holds."""
    from monitor.es.status import cluster_status

    status = cluster_status(EsConfig.from_env())
    if as_json:
        emit_json(status)
        return
    state = "running" if status["running"] else "not running"
    click.echo(f"Elasticsearch {status['url']} ({status['kind']}): {state}")
    for key in ("version", "health", "pid", "home"):
        if status.get(key) is not None:
            click.echo(f"  {key}: {status[key]}")
    for name, count in status.get("documents", {}).items():
        click.echo(f"  {name}: {count} documents")
    if status.get("error"):
        click.echo(f"  error: {status['error']}")
