"""`monitor refs`: a policy document's references by number, as a tree."""

from __future__ import annotations

from typing import Any

import click

from monitor.cli.common import connect, domain_errors, emit_json, json_option, lean_client


@click.command("refs")
@click.argument("ref", metavar="ID|URL")
@click.option("--depth", default=2, show_default=True, type=click.IntRange(1, 5),
              help="Levels up (what it refers to) and down (who refers to it).")  # fmt: skip
@json_option("Print the tree as one JSON object.")
@domain_errors
@lean_client
def refs_cmd(ref: str, depth: int, as_json: bool) -> None:
    """What a policy document implements, amends, repeals or cites (by 文号), and who
    implements, amends, repeals or cites it since, level after level."""
    from monitor.errors import QueryError
    from monitor.es.client import call
    from monitor.search.lookup import find_document
    from monitor.search.references import reference_tree

    config, es = connect()
    alias = config.index_name("articles")
    doc = call(config, lambda: find_document(es, alias, ref))
    if doc is None:
        raise QueryError(f"no document {ref!r} in {alias} (an id from `monitor search`, or a URL)")
    tree = call(config, lambda: reference_tree(es, alias, doc, depth))
    if as_json:
        emit_json(tree)
        return
    click.echo(click.style(_label(tree), bold=True))
    _print(tree, "  ")


def _label(node: dict[str, Any]) -> str:
    date = (node.get("published_at") or "")[:10]
    parts = [node.get("doc_number") or node.get("number"), node.get("title"),
             f"({date})" if date else None, f"[{node['id']}]" if node.get("id") else
             "(not stored yet)"]  # fmt: skip
    return " ".join(p for p in parts if p)


def _print(node: dict[str, Any], indent: str) -> None:
    for child in node["cites"]:
        click.echo(f"{indent}{child['kind']:<10} → {_label(child)}")
        if child.get("cites") or child.get("cited_by"):
            _print(child, indent + "    ")
    for child in node["cited_by"]:
        by = {"implements": "implemented by", "repeals": "repealed by", "amends": "amended by",
              "cites": "cited by"}[child["kind"]]  # fmt: skip
        click.echo(f"{indent}{by:<14} ← {_label(child)}")
        if child.get("cites") or child.get("cited_by"):
            _print(child, indent + "    ")
