"""`monitor capture`: a stored document's raw capture, as fetched, or extracted again from it."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import click

from monitor.cli.common import SOURCES_OPTION, connect, domain_errors, emit_json, json_option


@click.command("capture")
@click.argument("ref", metavar="ID|URL")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Write to this file.")
@click.option("--body", is_flag=True, help="Only the body, with its content coding undone.")
@click.option("--attachment", type=click.IntRange(1), metavar="N", help="The Nth attachment's.")
@click.option(
    "--replay", is_flag=True, help="Extract the capture again and compare with the stored text."
)
@click.option(
    "--warc-dir",
    envvar="MONITOR_WARC_DIR",
    type=click.Path(file_okay=False),
    help="Where the WARC files are (MONITOR_WARC_DIR; default $MONITOR_HOME/warc).",
)
@SOURCES_OPTION
@json_option("Print the capture's reference and headers (or the replay's outcome) as JSON.")
@domain_errors
def capture_cmd(
    ref: str,
    out_file: str | None,
    body: bool,
    attachment: int | None,
    replay: bool,
    warc_dir: str | None,
    sources_file: str,
    as_json: bool,
) -> None:
    """A document's raw capture: the HTTP response exactly as fetched (status line, headers, the
    body as the server sent it) from the WARC record the stored version was extracted from.

    --replay extracts the captured page again, as the crawl did, and says whether it gives the
    stored text (exit 0) or not (exit 1)."""
    from monitor.crawl.capture import read_capture, warc_directory
    from monitor.crawl.options import project_settings
    from monitor.errors import CaptureError, QueryError
    from monitor.es.client import call
    from monitor.search.lookup import find_document

    if replay and attachment is not None:
        raise click.UsageError("--replay re-extracts the page itself: leave out --attachment")
    config, es = connect()
    alias = config.index_name("articles")
    doc = call(config, lambda: find_document(es, alias, ref))
    if doc is None:
        raise QueryError(f"no document {ref!r} in {alias} (an id from `monitor search`, or a URL)")
    holder = doc
    if attachment is not None:
        attachments = doc.get("attachments") or []
        if attachment > len(attachments):
            raise QueryError(f"document {doc['id']} has {len(attachments)} attachments")
        holder = attachments[attachment - 1]
    reference = holder.get("capture")
    if not reference:
        raise CaptureError(
            f"document {doc['id']} has no capture "
            "(stored before captures were kept, or with MONITOR_WARC off)"
        )
    directory = Path(warc_dir) if warc_dir else warc_directory(project_settings())
    capture = read_capture(directory, reference)
    if replay:
        _replay(doc, capture, sources_file, as_json)
        return
    if as_json:
        emit_json(
            {
                "id": doc["id"],
                "capture": reference,
                "url": capture.url,
                "status": capture.status,
                "headers": capture.headers,
                "body_bytes": len(capture.raw_body),
                "body_sha1": hashlib.sha1(capture.raw_body).hexdigest(),
            }
        )
        return
    data = capture.body if body else capture.http()
    if out_file:
        Path(out_file).write_bytes(data)
        click.echo(f"wrote {len(data)} bytes to {out_file}", err=True)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def _replay(doc: dict[str, Any], capture: Any, sources_file: str, as_json: bool) -> None:
    """Extract the captured body as the crawl did (the source's language and encoding too)."""
    from monitor.text.analyse import analyse_page

    hint = encoding = None
    if Path(sources_file).is_file():
        from monitor.sources import load_sources

        source = next((s for s in load_sources(sources_file) if s.id == doc.get("source_id")), None)
        if source is not None:
            hint, encoding = source.language, source.encoding
    found = analyse_page(
        capture.body,
        capture.url or doc.get("url"),
        content_type=capture.header("Content-Type"),
        encoding=encoding,
        language_hint=hint,
    )
    same = found["content_hash"] == doc.get("content_hash")
    outcome = {
        "id": doc["id"],
        "same_text": same,
        "stored_hash": doc.get("content_hash"),
        "replayed_hash": found["content_hash"],
        "title": found["title"],
        "chars": len(found["text"]),
    }
    if as_json:
        emit_json(outcome | {"text": found["text"]})
    else:
        where = f"{doc['capture']['file']}:{doc['capture']['offset']}"
        click.echo(f"{doc['id']}: replayed from {where}")
        click.echo(f"title: {found['title']}")
        verdict = "the stored text, exactly" if same else "NOT the stored text"
        click.echo(f"text:  {len(found['text'])} characters, {verdict}")
    if not same:
        sys.exit(1)
