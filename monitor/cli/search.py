"""`monitor search`: ranked search in both languages."""

from __future__ import annotations

import json
import re
import sys

import click

from monitor.cli.common import (
    connect,
    domain_errors,
    emit_json,
    json_option,
)


@click.command("search")
@click.argument("query")
@click.option(
    "--lang", "language", type=click.Choice(["zh", "en"]), help="Only documents in this language."
)
@click.option("--source", help="Only documents of this source id.")
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), help="Published on or after (YYYY-MM-DD)."
)
@click.option(
    "--until", type=click.DateTime(["%Y-%m-%d"]), help="Published on or before (YYYY-MM-DD)."
)
@click.option(
    "--size", default=10, show_default=True, type=click.IntRange(1, 1000), help="Number of hits."
)
@click.option("--no-expand", is_flag=True, help="Do not add the other language's terms.")
@click.option(
    "--explain", is_flag=True, help="Show the expanded terms and the Elasticsearch query."
)
@json_option("Print one JSON object with a `hits` list.")
@domain_errors
def search_cmd(
    query: str,
    language: str | None,
    source: str | None,
    since,
    until,
    size: int,
    no_expand: bool,
    explain: bool,
    as_json: bool,
) -> None:
    """Search the indexed articles in Chinese or English: ranked hits, highlighted snippets.

    An English query also searches Chinese documents with the Chinese terms that the glossary (or
    CC-CEDICT) gives for its words, and their English translations; a Chinese query likewise."""
    from monitor.errors import SearchBackendError
    from monitor.es.client import call
    from monitor.search.engine import SearchRequest, build_query, search
    from monitor.search.glossary import load_glossary

    config, es = connect()
    alias = config.index_name("articles")
    if not call(config, lambda: es.indices.exists_alias(name=alias)):
        raise SearchBackendError(
            f"no index {alias!r} at {config.display_url} yet: run `monitor crawl` first"
        )
    expansions = () if no_expand else tuple(load_glossary().expand(query))
    dates = (since and since.date(), until and until.date())
    request = SearchRequest(query, language, source, *dates, size, expansions)
    result = call(config, lambda: search(es, alias, request))
    expanded = [
        {"from": e.source, "terms": list(e.terms), "language": e.language, "origin": e.origin}
        for e in expansions
    ]
    if as_json:
        emit_json({"query": query, **({"expanded": expanded} if explain else {}), **result})
        return
    if explain:
        for e in expanded:
            terms = ", ".join(e["terms"])
            click.echo(f"expanded {e['from']!r} → {terms} ({e['language']}, {e['origin']})")
        click.echo(json.dumps(build_query(request)["query"], ensure_ascii=False, indent=1))
    click.echo(
        f"{result['total']} documents match {query!r}"
        + ("" if result["total"] <= size else f"; top {size}:")
    )
    color = sys.stdout.isatty()
    for rank, hit in enumerate(result["hits"], 1):
        date = (hit["published_at"] or "")[:10] or "undated"
        click.echo(f"\n{rank:>2}. {click.style(hit['title'] or '(no title)', bold=True)}")
        if hit["title_en"]:
            click.echo(f"    {hit['title_en']}")
        click.echo(
            f"    {hit['source_id']} · {hit['language']} · {date} · score {hit['score']:.2f}"
        )
        click.echo(f"    {hit['url']}")
        snippet = hit["snippet"]
        snippet = re.sub(
            r"<em>(.*?)</em>",
            (lambda m: click.style(m[1], bold=True)) if color else r"*\1*",
            snippet,
        )
        if snippet:
            click.echo(f"    {snippet}")
