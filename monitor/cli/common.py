"""What every `monitor` command shares: domain errors as one stderr line and an exit code, messages
to stderr, JSON to stdout, the common options, and the Elasticsearch bootstrap (`connect`)."""

from __future__ import annotations

import functools
import json
import sys
import types
from collections.abc import Callable
from typing import Any

import click

from monitor import registry
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


class _NotLoaded:
    """Stands for the client's asyncio half in a lean command, which never uses it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the asyncio Elasticsearch client is not loaded in this command")


# what a command that runs no crawl leaves out of the client (see lean_client), with the names
# the client's own modules import from them
_LEFT_OUT = {
    "elasticsearch._async.client": {"AsyncElasticsearch": _NotLoaded},
    "elastic_transport._async_transport": {"AsyncTransport": _NotLoaded},
}


def lean_client(fn: Callable) -> Callable:
    """For a command that runs no crawl (search, show): the client's asyncio half is left out of
    its start, about 0.1-0.2 s of 0.4-0.8 (bench/search_latency.py). elastic-transport imports
    its aiohttp and requests nodes whenever those packages are installed (Scrapy brings aiohttp),
    though the client uses its urllib3 node, and `import elasticsearch` builds the whole asyncio
    client (AsyncElasticsearch, AsyncTransport) beside the synchronous one: the command marks the
    packages absent and puts placeholders for the two asyncio modules (using one raises a clear
    RuntimeError). Only before the client's first import: once it is loaded, nothing changes."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "elastic_transport" not in sys.modules:
            for package in ("aiohttp", "requests"):
                sys.modules.setdefault(package, None)  # type: ignore[arg-type]
            for name, names in _LEFT_OUT.items():
                placeholder = types.ModuleType(name, "left out of a lean command (lean_client)")
                placeholder.__dict__.update(names)
                sys.modules.setdefault(name, placeholder)
        return fn(*args, **kwargs)

    return wrapper


def info(message: str) -> None:
    click.echo(message, err=True)


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


def file_option(name: str, setting: str, help: str) -> Callable:
    """`--NAME FILE` (as `NAME_file`), with the default and environment variable of the registry's
    `setting`."""
    return click.option(
        f"--{name}",
        f"{name}_file",
        default=registry.get(setting).default,
        envvar=setting,
        show_default=True,
        type=click.Path(dir_okay=False),
        help=help,
    )


CHANNELS_OPTION = file_option("channels", "MONITOR_CHANNELS_FILE", "The alert channels file.")
WATCHLIST_OPTION = file_option(
    "watchlist", "MONITOR_WATCHLIST_FILE", "The watchlist file (watch alerts)."
)
SOURCES_OPTION = file_option("sources", "MONITOR_SOURCES_FILE", "YAML file of sources.")


def settings_option(help: str) -> Callable:
    """`-s/--set NAME=VALUE`, repeatable (as `setting_pairs`; parse with `parse_settings`)."""
    return click.option(
        "-s", "--set", "setting_pairs", multiple=True, metavar="NAME=VALUE", help=help
    )


def json_option(help: str = "Print one JSON object.") -> Callable:
    """`--json`: every command prints its result as JSON on stdout with it (as `as_json`)."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def connect(log: Callable[[str], None] = info) -> tuple[Any, Any]:
    """(EsConfig, client) for the configured cluster, the local node started first if needed."""
    from monitor.es.client import make_client
    from monitor.es.config import EsConfig
    from monitor.es.node import ensure_available

    config = EsConfig.from_env()
    ensure_available(config, log=log)
    return config, make_client(config)


def parse_settings(pairs: tuple[str, ...]) -> dict[str, str]:
    """`-s NAME=VALUE` pairs as a dict (usage error on anything else)."""
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="-s")
        settings[name] = value
    return settings


def _zone(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from monitor.text.zones import zone

    try:
        zone(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


tz_option = click.option(
    "--tz",
    metavar="ZONE",
    callback=_zone,
    help="Show dates in this zone (UTC, Europe/London, ...); default: each source's own zone.",
)
