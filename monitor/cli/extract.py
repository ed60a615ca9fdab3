"""`monitor extract`: extract saved pages exactly as the crawl does."""

from __future__ import annotations

import click

from monitor.cli.common import (
    domain_errors,
    emit_json,
    json_option,
)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--url", help="The page's URL (resolves links, names the site). Default: the file path."
)
@click.option("--language", "language_hint", help="Language hint, as a source's `language`.")
@click.option("--encoding", help="Decode the files with this encoding, as a source's `encoding`.")
@json_option("One JSON object per input file, one per line.")
@domain_errors
def extract(
    files: tuple[str, ...],
    url: str | None,
    language_hint: str | None,
    encoding: str | None,
    as_json: bool,
) -> None:
    """Extract title, text, date, authors and language from saved HTML files (.html or .html.gz),
    exactly as the crawl does."""
    import gzip
    from pathlib import Path

    from monitor.text.analyse import analyse_page

    for path in files:
        body = Path(path).read_bytes()
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        page_url = url or Path(path).resolve().as_uri()
        doc = analyse_page(body, page_url, encoding=encoding, language_hint=language_hint)
        record = {
            "path": path,
            "url": page_url,
            **{
                k: doc[k]
                for k in (
                    "title",
                    "text",
                    "published_at",
                    "language",
                    "authors",
                    "editors",
                    "site",
                    "canonical_url",
                    "not_article",  # a crawl skips the page: soft_404, section_front, ...
                )
            },
        }
        if as_json:
            emit_json(record)
            continue
        click.echo(f"== {path}")
        for key in ("title", "published_at", "language", "authors", "editors", "site"):
            click.echo(f"{key}: {record[key]}")
        if record["not_article"]:
            click.echo(f"not an article: {record['not_article']} (a crawl skips it)")
        click.echo(f"\n{record['text']}\n")
