"""`monitor config`: every setting, its value and where the value came from."""

from __future__ import annotations

import click

from monitor import registry
from monitor.cli.common import (
    domain_errors,
    emit_json,
    json_option,
    parse_settings,
    settings_option,
)


@click.command("config")
@settings_option("A crawl setting as `monitor crawl -s` would give it (repeatable).")
@click.option("--group", type=click.Choice(list(registry.GROUPS)), help="Only this group.")
@click.option("--changed", is_flag=True, help="Only settings not at their default.")
@json_option("Print a JSON list: name, value, origin, default, type, group, from, doc.")
@domain_errors
def config_cmd(setting_pairs: tuple[str, ...], group: str | None, changed: bool, as_json: bool
               ) -> None:  # fmt: skip
    """Show every news-monitor setting with its value and where the value came from (default,
    environment or -s), then check them all as a crawl and the other commands would: a bad value
    is one line naming the setting (exit 2). Secrets are shown as ***."""
    from monitor.crawl.options import check_configuration

    overrides = parse_settings(setting_pairs)
    rows = [
        row for row in registry.report(overrides)
        if (group is None or row["group"] == group) and (not changed or row["origin"] != "default")
    ]  # fmt: skip
    if as_json:
        emit_json(rows)
    else:
        width = max((len(r["name"]) for r in rows), default=0)
        for row in rows:
            value = "(unset)" if row["value"] in (None, "", []) else row["value"]
            click.echo(f"{row['name']:<{width}}  {value}  [{row['origin']}]")
    check_configuration(overrides)
