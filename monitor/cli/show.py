"""`monitor show`: one whole document, the original beside its translation."""

from __future__ import annotations

import textwrap
from typing import Any

import click

from monitor.cli.common import (
    connect,
    domain_errors,
    emit_json,
    json_option,
    lean_client,
    tz_option,
)

WIDTH = 100


@click.command("show")
@click.argument("ref", metavar="ID|URL")
@click.option("--no-text", is_flag=True, help="Metadata only, without the text and attachments.")
@click.option(
    "--versions", "with_versions", is_flag=True,
    help="List the document's versions (its text changed); `monitor diff` compares them.",
)  # fmt: skip
@tz_option
@json_option("Print the stored document as one JSON object (every field, `id` included).")
@domain_errors
@lean_client
def show_cmd(ref: str, no_text: bool, with_versions: bool, tz: str | None, as_json: bool) -> None:
    """One document, whole: original title and text beside the translation, paragraph by
    paragraph; source, dates, type, policy and filing fields, attachments with their text, URL.

    ID is the document id (`monitor search --json` shows it); a URL may be the page's own or the
    one it was fetched from."""
    from monitor.errors import QueryError
    from monitor.es.client import call
    from monitor.search.lookup import find_document

    config, es = connect()
    alias = config.index_name("articles")
    doc = call(config, lambda: find_document(es, alias, ref))
    if doc is None:
        raise QueryError(f"no document {ref!r} in {alias} (an id from `monitor search`, or a URL)")
    if with_versions:
        from monitor.search.versions import document_versions

        versions = call(config, lambda: document_versions(es, config.index_name("versions"), doc))
        if as_json:
            emit_json({"id": doc["id"], "versions": [_brief(v) for v in versions]})
            return
        _print(doc, with_text=False, tz=tz)
        _print_versions(versions)
        return
    from monitor.search.references import document_references

    refs = call(config, lambda: document_references(es, alias, doc))
    if as_json:
        emit_json(doc | refs)
        return
    _print(doc, with_text=not no_text, tz=tz)
    _print_references(refs)


def _print_references(refs: dict[str, Any]) -> None:
    """What the document cites by number (and the stored document with it), who cites it."""
    if refs["repealed_by"]:
        first = refs["repealed_by"][0]
        click.echo(click.style(f"\nREPEALED by {first['doc_number'] or first['title']} "
                               f"({(first['published_at'] or '')[:10]})", fg="red"))  # fmt: skip
    if refs["cites"]:
        click.echo(click.style(f"\ncites ({len(refs['cites'])})", bold=True))
    for ref in refs["cites"]:
        found = ref["document"]
        target = f"{found['title']} [{found['id']}]" if found else "(not stored yet)"
        title = f"《{ref['title']}》" if ref.get("title") else ""
        click.echo(f"  {ref['kind']:<10} {title}{ref['number']}  → {target}")
    if refs["cited_by"]:
        click.echo(click.style(f"\ncited by ({len(refs['cited_by'])})", bold=True))
    for doc in refs["cited_by"]:
        date = (doc["published_at"] or "")[:10] or "undated"
        click.echo(f"  {doc['kind']:<10} {date}  {doc['title']}  [{doc['id']}]")


def _brief(version: dict[str, Any]) -> dict[str, Any]:
    keys = ("version", "crawled_at", "replaced_at", "title", "content_hash", "capture", "changes")
    return {key: version.get(key) for key in keys} | {"chars": len(version.get("text") or "")}


def _print_versions(versions: list[dict[str, Any]]) -> None:
    click.echo()
    click.echo(click.style(f"{len(versions)} versions", bold=True))
    for version in versions:
        changes = (version.get("changes") or {}).get("summary") or "first"
        until = version.get("replaced_at") or "now"
        click.echo(
            f"  v{version['version']:<3} fetched {version.get('crawled_at')}  (until {until})  "
            f"{changes:<20} {len(version.get('text') or ''):>6} chars  "
            f"{(version.get('content_hash') or '')[:12]}"
        )


def _fields(pairs: list[tuple[str, Any]]) -> None:
    for label, value in pairs:
        click.echo(f"{label + ':':<14}{value}")


def _print(doc: dict[str, Any], with_text: bool, tz: str | None = None) -> None:
    from monitor.search.lookup import document_fields

    click.echo(click.style(doc.get("title") or "(no title)", bold=True))
    other = "zh" if doc.get("language") == "en" else "en"
    if doc.get(f"title_{other}"):
        click.echo(doc[f"title_{other}"])
    click.echo()
    _fields(document_fields(doc, tz))
    if with_text:
        click.echo()
        _print_text(doc.get("text"), doc.get(f"text_{other}"))
        _print_attachments(doc.get("attachments") or [])


def _print_text(original: str | None, translation: str | None) -> None:
    from monitor.search.lookup import side_by_side

    for paragraph, translated in side_by_side(original, translation):
        if paragraph:
            click.echo(textwrap.fill(paragraph, WIDTH))
        if translated:
            shaded = textwrap.fill(
                translated, WIDTH, initial_indent="  » ", subsequent_indent="    "
            )
            click.echo(click.style(shaded, dim=True))
        click.echo()


def _print_attachments(attachments: list[dict[str, Any]]) -> None:
    from monitor.search.lookup import ATTACHMENT_LABELS, labelled

    for n, attachment in enumerate(attachments, 1):
        name = attachment.get("name") or attachment.get("url")
        click.echo(click.style(f"attachment {n}: {name}", bold=True))
        _fields(labelled([(label, attachment.get(key)) for key, label in ATTACHMENT_LABELS]))
        text = (attachment.get("text") or "").strip()
        if text:
            click.echo()
            for paragraph in text.split("\n"):
                if paragraph.strip():
                    click.echo(textwrap.fill(paragraph.strip(), WIDTH))
        click.echo()
