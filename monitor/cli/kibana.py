"""`monitor kibana`: Kibana saved objects."""

from __future__ import annotations

import click

from monitor.cli.common import (
    domain_errors,
    info,
)
from monitor.es.config import EsConfig


@click.group()
def kibana() -> None:
    """Kibana 8 saved objects: data views, saved searches, a dashboard."""


def _saved_searches(config: EsConfig) -> list:
    """The cluster's saved searches (`monitor searches`), when it answers; else none, said once."""
    from monitor.es.client import make_client
    from monitor.search.saved import SavedSearches

    try:
        return SavedSearches(make_client(config, max_retries=0, request_timeout=5), config).all()
    except Exception as exc:  # noqa: BLE001 - the objects are useful without them
        where = config.display_url
        info(f"saved searches not included: Elasticsearch at {where}: {type(exc).__name__}")
        return []


CITES = click.option(
    "--cites",
    "cites",
    multiple=True,
    metavar="NUMBER",
    help="A document number (国发〔2020〕8号, any written form): add a saved search of the "
    "documents that cite it. Repeatable.",
)


@kibana.command("export")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file, not stdout.")
@CITES
@domain_errors
def kibana_export(out: str | None, cites: tuple[str, ...]) -> None:
    """Write the saved objects as NDJSON (Kibana: Stack Management → Saved objects → Import)."""
    from pathlib import Path

    from monitor.kibana import saved_objects, to_ndjson

    config = EsConfig.from_env()
    ndjson = to_ndjson(saved_objects(config, _saved_searches(config), cites))
    if out:
        Path(out).write_text(ndjson, encoding="utf-8")
        info(f"wrote {ndjson.count(chr(10))} saved objects to {out}")
    else:
        click.echo(ndjson, nl=False)


@kibana.command("import")
@click.option("--url", required=True, help="Kibana's URL, e.g. http://localhost:5601")
@click.option(
    "--api-key", envvar="MONITOR_KIBANA_API_KEY", help="API key (or MONITOR_KIBANA_API_KEY)."
)
@click.option(
    "--user", envvar="MONITOR_KIBANA_USER", help="Basic auth user (or MONITOR_KIBANA_USER)."
)
@click.option("--password", envvar="MONITOR_KIBANA_PASSWORD", help="Basic auth password.")
@CITES
@domain_errors
def kibana_import(
    url: str, api_key: str | None, user: str | None, password: str | None, cites: tuple[str, ...]
) -> None:
    """Load the saved objects into Kibana through its saved objects API (overwriting)."""
    from monitor.kibana import import_objects, saved_objects, to_ndjson

    auth = (user, password or "") if user else None
    config = EsConfig.from_env()
    ndjson = to_ndjson(saved_objects(config, _saved_searches(config), cites))
    result = import_objects(url, ndjson, api_key, auth)
    info(f"imported {result.get('successCount', 0)} saved objects into {url}")
