"""`monitor searches`: saved searches, stored in the cluster."""

from __future__ import annotations

import click

from monitor.cli.common import connect, domain_errors, emit_json, info, json_option, lean_client


@click.group("searches")
def searches() -> None:
    """Saved searches (`monitor search QUERY --save NAME`), shared through the cluster."""


@searches.command("list")
@json_option('Print {"searches": [...]}.')
@domain_errors
def searches_list(as_json: bool) -> None:
    """The saved searches, with their query, filters and last run."""
    from monitor.es.client import call
    from monitor.search.saved import SavedSearches

    config, es = connect()
    found = call(config, lambda: SavedSearches(es, config).all())
    if as_json:
        emit_json({"searches": [s.as_doc() for s in found]})
        return
    if not found:
        click.echo("no saved searches: `monitor search QUERY --save NAME` saves one")
    for s in found:
        filters = [f"--lang {lang}" for lang in s.languages] + [f"--source {x}" for x in s.sources]
        filters += [f"--since {s.since}"] * bool(s.since) + [f"--until {s.until}"] * bool(s.until)
        last = (s.last_run_at or "never")[:19].replace("T", " ")
        click.echo(f"{s.name}: {s.query or '*'} {' '.join(filters)}".rstrip())
        click.echo(f"    last run {last}, {s.runs} runs")


@searches.command("run")
@click.argument("name")
@click.option("--new", "only_new", is_flag=True, help="Only documents stored since the last run.")
@click.option("--size", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--page", type=click.IntRange(1), help="Page of hits to show (1 = the first).")
@json_option("Print one JSON object with a `hits` list, as `monitor search --json`.")
@domain_errors
@lean_client
def searches_run(name: str, only_new: bool, size: int, page: int | None, as_json: bool) -> None:
    """Run a saved search (and remember the run, for the next `--new`)."""
    from monitor.cli.search import open_index, print_result
    from monitor.es.client import call
    from monitor.search.engine import search
    from monitor.search.saved import SavedSearches
    from monitor.text.dates import utc_now_iso

    config, es = connect()
    store = SavedSearches(es, config)
    saved = call(config, lambda: store.require(name))
    since_last = saved.last_run_at if only_new else None
    request = saved.request(size, ((page or 1) - 1) * size, since_last)
    config, es, alias = open_index(request)
    started = utc_now_iso()
    result = call(config, lambda: search(es, alias, request))
    call(config, lambda: store.mark_run(saved, started))
    if only_new:
        info(f"new since {since_last[:19].replace('T', ' ')}" if since_last else "first run")
    if as_json:
        emit_json({"name": saved.name, "query": saved.query, "new_since": since_last, **result})
        return
    print_result(saved.query, result, size)


@searches.command("remove")
@click.argument("name")
@domain_errors
def searches_remove(name: str) -> None:
    """Remove a saved search."""
    from monitor.errors import QueryError
    from monitor.es.client import call
    from monitor.search.saved import SavedSearches

    config, es = connect()
    if not call(config, lambda: SavedSearches(es, config).remove(name)):
        raise QueryError(f"no saved search {name!r}")
    click.echo(f"removed {name!r}")
