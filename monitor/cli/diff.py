"""`monitor diff`: what changed between two versions of a document, paragraph by paragraph."""

from __future__ import annotations

import textwrap

import click

from monitor.cli.common import connect, domain_errors, emit_json, json_option

WIDTH = 100
STYLES = {"-": {"fg": "red"}, "+": {"fg": "green"}, " ": {"dim": True}, "…": {"dim": True}}


@click.command("diff")
@click.argument("ref", metavar="ID|URL")
@click.argument("first", required=False, type=click.IntRange(1), metavar="[V1")
@click.argument("second", required=False, type=click.IntRange(1), metavar="V2]")
@click.option("--context", type=click.IntRange(0), default=1, show_default=True,
              help="Unchanged paragraphs shown around each change.")  # fmt: skip
@json_option("Print the two versions' dates and the changed paragraphs as JSON.")
@domain_errors
def diff_cmd(ref: str, first: int | None, second: int | None, context: int, as_json: bool) -> None:
    """The paragraphs removed (-) and added (+) between two versions of a document: by default
    the version before the stored one and the stored one; V1 alone compares it with the stored
    one. `monitor show ID --versions` lists the versions."""
    from monitor.errors import QueryError
    from monitor.es.client import call
    from monitor.search.lookup import find_document
    from monitor.search.versions import document_versions, pick
    from monitor.text.changes import diff_lines

    config, es = connect()
    alias = config.index_name("articles")
    doc = call(config, lambda: find_document(es, alias, ref))
    if doc is None:
        raise QueryError(f"no document {ref!r} in {alias} (an id from `monitor search`, or a URL)")
    versions = call(config, lambda: document_versions(es, config.index_name("versions"), doc))
    latest = versions[-1]["version"]
    if len(versions) == 1 and first is None:
        raise QueryError(f"document {doc['id']} has one version: its text never changed")
    old = pick(versions, first if first is not None else latest - 1)
    new = pick(versions, second if second is not None else latest)
    lines = diff_lines(old["text"], new["text"], context)
    if as_json:
        emit_json(
            {
                "id": doc["id"],
                "from": {k: old[k] for k in ("version", "crawled_at", "content_hash")},
                "to": {k: new[k] for k in ("version", "crawled_at", "content_hash")},
                "lines": [{"mark": mark, "text": text} for mark, text in lines],
            }
        )
        return
    click.echo(click.style(doc.get("title") or doc["id"], bold=True))
    click.echo(f"version {old['version']} ({old['crawled_at']}) → "
               f"version {new['version']} ({new['crawled_at']})")  # fmt: skip
    if old["title"] != new["title"]:
        click.echo(click.style(f"- title: {old['title']}", **STYLES["-"]))
        click.echo(click.style(f"+ title: {new['title']}", **STYLES["+"]))
    click.echo()
    if not lines:
        click.echo("(the same text)")
    for mark, text in lines:
        if mark == "…":
            click.echo(click.style("…", **STYLES[mark]))
            continue
        wrapped = textwrap.fill(text, WIDTH, initial_indent=f"{mark} ", subsequent_indent="  ")
        click.echo(click.style(wrapped, **STYLES[mark]))
