"""`monitor show`: one whole document, the original beside its translation."""

from __future__ import annotations

import textwrap
from typing import Any

import click

from monitor.cli.common import connect, domain_errors, emit_json, json_option, tz_option
from monitor.text.zones import shown

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
    if as_json:
        emit_json(doc)
        return
    _print(doc, with_text=not no_text, tz=tz)


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


def _field(label: str, value: Any) -> None:
    if value not in (None, "", [], {}):
        click.echo(f"{label + ':':<14}{value}")


def _print(doc: dict[str, Any], with_text: bool, tz: str | None = None) -> None:
    from monitor.search.lookup import side_by_side

    click.echo(click.style(doc.get("title") or "(no title)", bold=True))
    other = "zh" if doc.get("language") == "en" else "en"
    translated_title = doc.get(f"title_{other}")
    if translated_title:
        click.echo(translated_title)
    click.echo()
    _field("id", doc["id"])
    _field("url", doc.get("canonical_url") or doc.get("url"))
    if doc.get("url") != (doc.get("canonical_url") or doc.get("url")):
        _field("fetched from", doc.get("url"))
    _field("source", doc.get("source_id"))
    _field("type", doc.get("doc_type") or "news")
    _field("language", doc.get("language"))
    published = doc.get("published_at")
    _field("published", shown(published, tz, with_time=True) if tz and published else published)
    _field("first seen", doc.get("first_seen_at"))
    _field("crawled", doc.get("crawled_at"))
    _field("indexed", doc.get("indexed_at"))
    if (doc.get("version") or 1) > 1:
        changes = (doc.get("changes") or {}).get("summary", "")
        _field("version", f"{doc['version']}, changed {doc.get('changed_at')} ({changes})")
    if doc.get("withdrawn_at"):
        _field("WITHDRAWN", f"{doc['withdrawn_at']} ({doc.get('withdrawn_reason') or ''})")
    _field("authors", ", ".join(doc.get("authors") or []))
    _field("editors", ", ".join(doc.get("editors") or []))
    policy = doc.get("policy") or {}
    for key, label in (
        ("issuer", "issuer"),
        ("doc_number", "文号"),
        ("written_date", "written"),
        ("published_date", "issued"),
        ("category", "category"),
        ("status", "status"),
        ("index_number", "索引号"),
    ):
        _field(label, policy.get(key))
    filing = doc.get("filing") or {}
    if filing:
        company = filing.get("company_name")
        code = filing.get("company_code")
        _field("company", f"{company} ({code})" if code else company)
        _field("exchange", filing.get("exchange"))
        _field("category", filing.get("category"))
        _field("announced", filing.get("announced_at"))
    translation = doc.get("translation") or {}
    if translation.get("status"):
        _field("translation", f"{translation['status']} {translation.get('model') or ''}".strip())
    if not with_text:
        return
    click.echo()
    for original, translated in side_by_side(doc.get("text"), doc.get(f"text_{other}")):
        if original:
            click.echo(textwrap.fill(original, WIDTH))
        if translated:
            click.echo(
                click.style(
                    textwrap.fill(
                        translated, WIDTH, initial_indent="  » ", subsequent_indent="    "
                    ),
                    dim=True,
                )
            )
        click.echo()
    for n, attachment in enumerate(doc.get("attachments") or [], 1):
        name = attachment.get("name") or attachment.get("url")
        click.echo(click.style(f"attachment {n}: {name}", bold=True))
        _field("url", attachment.get("url"))
        _field("format", attachment.get("format"))
        _field("pages", attachment.get("pages"))
        _field("error", attachment.get("error"))
        text = (attachment.get("text") or "").strip()
        if text:
            click.echo()
            for paragraph in text.split("\n"):
                if paragraph.strip():
                    click.echo(textwrap.fill(paragraph.strip(), WIDTH))
        click.echo()
