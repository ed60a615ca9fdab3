"""`monitor export`: every hit of a search, as CSV, JSON lines or XLSX."""

from __future__ import annotations

import time
from pathlib import Path

import click

from monitor.cli.common import domain_errors, emit_json, info, json_option
from monitor.cli.search import QUERY_HELP, Filters, filter_options, make_request, open_index

PROGRESS_SECONDS = 2.0


@click.command("export", epilog=QUERY_HELP)
@click.argument("query", nargs=-1)
@filter_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "xlsx"]),
    help="File format  [default: from the file name, else csv]",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The file to write.")
@click.option("--limit", type=click.IntRange(1), help="At most this many rows.")
@json_option("Print a JSON summary: rows, file, format.")
@domain_errors
def export_cmd(
    query: tuple[str, ...],
    filters: Filters,
    fmt: str | None,
    out: str,
    limit: int | None,
    as_json: bool,
) -> None:
    """Write every document a search finds, with all the fields a hit shows (title, English
    title, date, source, URL, type, issuer, 文号, company, snippets), streamed: 100,000 rows take
    no more memory than 1,000. CSV is UTF-8 with a BOM, so Excel shows Chinese as written."""
    from itertools import islice

    from monitor.es.client import call
    from monitor.search.export import FORMATS, count, iter_hits, write

    path = Path(out)
    suffix = path.suffix.lstrip(".").lower()
    fmt = fmt or (suffix if suffix in FORMATS else "csv")
    request = make_request(query, filters)
    config, es, alias = open_index(request)
    total, floor = call(config, lambda: count(es, alias, request))
    goal = min(total, limit) if limit else total
    if floor:
        info("no document matches every key concept at once: exporting those that match fewer")
    info(f"exporting {goal} documents to {path} ({fmt}) ...")
    last = [time.monotonic()]

    def progress(n: int) -> None:
        if time.monotonic() - last[0] >= PROGRESS_SECONDS:
            last[0] = time.monotonic()
            info(f"  {n}/{goal} ({100 * n // max(goal, 1)}%)")

    rows = iter_hits(es, alias, request, floor=floor)
    written = call(config, lambda: write(islice(rows, goal), path, fmt, progress))
    if as_json:
        emit_json({"rows": written, "out": str(path), "format": fmt, "total": total})
    else:
        click.echo(f"{written} documents written to {path}")
