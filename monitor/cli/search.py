"""`monitor search`: ranked search in both languages, with the query language of
monitor.search.query."""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from monitor.cli.common import (
    connect,
    domain_errors,
    emit_json,
    info,
    json_option,
    lean_client,
    tz_option,
)
from monitor.text.zones import shown as shown_date

QUERY_HELP = """Query language (Lucene/Kibana syntax):

\b
  MIIT semiconductor policy   concepts, in both languages; more matched ranks higher
  "export controls"           this exact phrase
  "lithography export"~5      these words within 5 words of each other
  -Huawei  NOT Huawei         without this concept (in either language)
  SMIC OR 中芯国际            either; parentheses group: MIIT (subsidy OR 补贴)
  title:光刻机                in the title
  source:miit-policy          source:(a OR b) for several
  type:policy                 news | policy | filing
  issuer:工信部  issuer:MIIT  a policy document's issuing body (发文机关)
  company:SMIC  company:688981  a filing's company (name or code)
  cites:国发〔2020〕8号        documents that cite this 文号 (implements: repeals: amends:)
  repealed:yes                documents a stored document repeals (repealed:no: in force)
  lang:zh                     documents in this language
  chip*                       words that start with "chip"
  (empty) or *                every document, newest first
"""


@dataclass(frozen=True)
class Filters:
    """The options every search-like command shares (see `filter_options`)."""

    language: str | None = None
    sources: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    sort: str | None = None
    no_expand: bool = False
    include_withdrawn: bool = False


FILTER_OPTIONS = [
    click.option(
        "--lang",
        "language",
        type=click.Choice(["zh", "en"]),
        help="Only documents in this language.",
    ),
    click.option(
        "--source", "sources", multiple=True, help="Only documents of this source id (repeatable)."
    ),
    click.option(
        "--since",
        metavar="WHEN",
        help="Published on or after: YYYY-MM-DD, a time (2024-03-05T08:00), 7d, 24h, 2w, today, "
        "yesterday.",
    ),
    click.option("--until", metavar="WHEN", help="Published on or before (same forms as --since)."),
    click.option(
        "--sort",
        type=click.Choice(["relevance", "date"]),
        default=None,
        help="Order of the hits  [default: relevance; date for an empty query]",
    ),
    click.option("--no-expand", is_flag=True, help="Search the words as written, untranslated."),
    click.option(
        "--include-withdrawn",
        is_flag=True,
        help="Also pages a re-check found gone (404, 410, redirected home), marked.",
    ),
]


def filter_options(fn: Callable) -> Callable:
    """The query's filters, shared by `search`, `export` and saved searches: the command gets them
    as one `filters` argument (a Filters)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name in Filters.__dataclass_fields__}
        values["sources"] = tuple(values["sources"])
        return fn(*args, filters=Filters(**values), **kwargs)

    for option in reversed(FILTER_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def make_request(
    query: tuple[str, ...] | str,
    filters: Filters,
    size: int = 10,
    offset: int = 0,
    collapse: bool = False,
) -> Any:
    """The SearchRequest of the options (`collapse`: one hit per story); QueryError (exit 2)
    for bad dates or a bad query."""
    from monitor.search.engine import SearchRequest, build_query
    from monitor.search.when import date_range

    text = query if isinstance(query, str) else " ".join(query)
    request = SearchRequest(
        text,
        filters.language,
        filters.sources,
        *date_range(filters.since, filters.until),
        size=size,
        offset=offset,
        sort=filters.sort or "relevance",
        expand=not filters.no_expand,
        include_withdrawn=filters.include_withdrawn,
        collapse_stories=collapse,
    )
    build_query(request)  # a query that cannot run fails before any connection
    return request


def open_index(request: Any) -> tuple[Any, Any, str]:
    """(config, client, alias) for a request (monitor.search.engine.check_request)."""
    from monitor.es.client import call
    from monitor.search.engine import check_request

    config, es = connect()
    alias = config.index_name("articles")
    call(config, lambda: check_request(es, alias, request, config.display_url))
    return config, es, alias


@click.command("search", epilog=QUERY_HELP)
@click.argument("query", nargs=-1)
@filter_options
@click.option(
    "--size", default=10, show_default=True, type=click.IntRange(1, 1000), help="Hits per page."
)
@click.option("--page", type=click.IntRange(1), help="Page of hits to show (1 = the first).")
@click.option("--from", "offset", type=click.IntRange(0), help="Skip this many hits first.")
@click.option(
    "--explain", is_flag=True, help="Show the query's concepts and the Elasticsearch query."
)
@click.option(
    "--save",
    "save_as",
    metavar="NAME",
    help="Also save the query and its filters under NAME (see `monitor searches`).",
)
@click.option(
    "--expand-stories",
    is_flag=True,
    help="Every reprint of a story, not one hit per story (its earliest document, + N similar).",
)
@tz_option
@json_option("Print one JSON object with a `hits` list.")
@domain_errors
@lean_client
def search_cmd(
    query: tuple[str, ...],
    filters: Filters,
    size: int,
    page: int | None,
    offset: int | None,
    explain: bool,
    save_as: str | None,
    expand_stories: bool,
    tz: str | None,
    as_json: bool,
) -> None:
    """Search the indexed documents in Chinese or English: ranked hits, highlighted snippets.

    The query's words are split into concepts (the glossary, then CC-CEDICT) and each concept is
    searched in both languages; documents that match more of the concepts rank first."""
    from monitor.es.client import call
    from monitor.search.engine import build_query, search
    from monitor.text.dates import utc_now_iso

    if page is not None and offset is not None:
        raise click.UsageError("--page and --from are two ways of saying the same thing: pick one")
    text = " ".join(query)
    start = offset if offset is not None else ((page or 1) - 1) * size
    request = make_request(text, filters, size, start, collapse=not expand_stories)
    config, es, alias = open_index(request)
    started = utc_now_iso()
    result = call(config, lambda: search(es, alias, request))
    if save_as:
        from monitor.search.saved import SavedSearch, SavedSearches, check_name

        spec = SavedSearch(
            check_name(save_as),
            text,
            (filters.language,) if filters.language else (),
            filters.sources,
            filters.since,
            filters.until,
            filters.sort,
            not filters.no_expand,
        )
        store = SavedSearches(es, config)
        saved = call(config, lambda: store.save(spec))
        call(config, lambda: store.mark_run(saved, started))
        info(
            f"saved as {saved.name!r}: `monitor searches run {saved.name!r} --new` for what is new"
        )
    if as_json:
        if explain:
            result["query_dsl"] = build_query(request)[0]["query"]
        emit_json({"query": text, **result})
        return
    if explain:
        _explain(result, build_query(request)[0]["query"])
    print_result(text, result, size, tz)


def _explain(result: dict[str, Any], dsl: dict[str, Any]) -> None:
    for c in result["concepts"]:
        forms = ", ".join(c["english"] + c["chinese"])
        click.echo(f"concept {c['text']!r} ({c['origin']}): {forms}")
        click.echo(f"    {c['why']}")
    if result["concepts"]:
        click.echo(
            f"required: {result['required']} of the {result['key_concepts']} key concepts "
            f"(of {len(result['concepts'])})"
        )
        for note in result.get("required_by_language", []):
            click.echo(f"    {note}")
    click.echo(json.dumps(dsl, ensure_ascii=False, indent=1))


def print_result(text: str, result: dict[str, Any], size: int, tz: str | None = None) -> None:
    """Hits as `monitor search` prints them."""
    total, offset = result["total"], result["offset"]
    shown = len(result["hits"])
    what = f"{text!r}" if text.strip() not in ("", "*") else "(everything, newest first)"
    line = f"{total} documents match {what}"
    if shown and (offset or total > shown):
        line += f"; {offset + 1}–{offset + shown}:"
    click.echo(line)
    if result["relaxed"]:
        info(
            f"no document matches {result['required']} of the {result['key_concepts']} key "
            "concepts at once: showing documents that match fewer"
        )
    if result.get("unstoried"):
        info(
            f"{result['unstoried']} documents have no story yet (stored by another writer; the "
            "next crawl gives each its own): reprints are not folded this time"
        )
    color = sys.stdout.isatty()
    concepts = len(result["concepts"])
    for rank, hit in enumerate(result["hits"], offset + 1):
        date = shown_date(hit["published_at"], tz) or "undated"
        click.echo(f"\n{rank:>2}. {click.style(hit['title'] or '(no title)', bold=True)}")
        if hit["title_en"]:
            click.echo(f"    {hit['title_en']}")
        facts = [hit["source_id"], hit["doc_type"] or "news", hit["language"], date]
        if hit.get("withdrawn_at"):
            facts.insert(0, click.style(f"WITHDRAWN {hit['withdrawn_at'][:10]}", fg="red"))
        if hit.get("repealed_by"):
            by = hit["repealed_by"]
            facts.insert(0, click.style(f"REPEALED by {by['doc_number'] or by['title']}", fg="red"))
        if hit.get("concepts_matched") is not None and concepts > 1:
            facts.append(f"{hit['concepts_matched']}/{concepts} concepts")
        click.echo("    " + " · ".join(str(f) for f in facts if f))
        official = [hit[k] for k in ("issuer", "doc_number") if hit.get(k)]
        if hit.get("company"):
            name, code = _counters(hit["company"]), _counters(hit.get("company_code"))
            official.append(f"{name} ({code})" if code else name)
        if official:
            click.echo("    " + " · ".join(official))
        click.echo(f"    {hit['url']}")
        if hit.get("similar"):
            others = sorted({m["source_id"] for m in hit["story"]} - {hit["source_id"]})
            also = f" (also: {', '.join(others)})" if others else ""
            click.echo(f"    + {hit['similar']} similar{also}: --expand-stories shows them")
        if hit["attachment"]:
            click.echo(
                f"    in attachment: {hit['attachment']['name'] or hit['attachment']['url']}"
            )
        for snippet in (hit["snippet"], hit["snippet_en"]):
            if snippet:
                click.echo("    " + _emphasis(snippet, color))


def _emphasis(snippet: str, color: bool) -> str:
    return re.sub(
        r"<em>(.*?)</em>",
        (lambda m: click.style(m[1], bold=True)) if color else r"*\1*",
        snippet,
    )


def _counters(value: Any) -> str:
    """A filing's code or name; a list when the stock has several counters."""
    return " / ".join(map(str, value)) if isinstance(value, list) else str(value or "")
