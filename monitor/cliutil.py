"""What every `monitor` command shares: domain errors as one stderr line and an exit code, messages
to stderr, JSON to stdout."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

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


CHANNELS_OPTION = click.option(
    "--channels",
    "channels_file",
    default="channels.yaml",
    envvar="MONITOR_CHANNELS_FILE",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The alert channels file.",
)


SOURCES_OPTION = click.option(
    "--sources",
    "sources_file",
    default="sources.yaml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="YAML file of sources.",
)
