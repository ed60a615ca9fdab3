"""`monitor sources`: validate and list the sources; `monitor sources check`: try them live."""

from __future__ import annotations

from dataclasses import asdict

import click

from monitor.cli.common import SOURCES_OPTION, domain_errors, emit_json, info, json_option


@click.group(invoke_without_command=True)
@SOURCES_OPTION
@json_option()
@click.pass_context
@domain_errors
def sources(ctx: click.Context, sources_file: str, as_json: bool) -> None:
    """Validate the sources file and list its sources (see also: sources check)."""
    if ctx.invoked_subcommand is not None:
        return
    from monitor.sources import load_sources

    found = load_sources(sources_file)
    if as_json:
        emit_json({"sources": [asdict(s) for s in found]})
        return
    for s in found:
        state = "" if s.enabled else " (disabled)"
        click.echo(f"{s.id:<28} {s.type:<8} {s.language or '-':<3} {s.urls[0]}{state}")


@sources.command("check")
@SOURCES_OPTION
@click.option("--source", "source_ids", multiple=True, metavar="ID", help="Only this source.")
@click.option("--timeout", default=20.0, show_default=True, help="Seconds per request.")
@json_option("Print one JSON object with a `sources` list.")
@domain_errors
def sources_check(
    sources_file: str, source_ids: tuple[str, ...], timeout: float, as_json: bool
) -> None:
    """Fetch each source's first page and first article (needs the network): do its selectors
    still find links, and does the article give text? Exits 5 when any source fails."""
    from monitor.crawl.options import project_settings
    from monitor.errors import CrawlFailed
    from monitor.sources import load_sources, select_sources
    from spiders.check import check_source

    selected = select_sources(load_sources(sources_file), list(source_ids))
    user_agent = project_settings().get("USER_AGENT")
    results = []
    for source in selected:
        info(f"checking {source.id} ...")
        results.append(check_source(source, user_agent, timeout))
    if as_json:
        emit_json({"sources": results})
    else:
        for r in results:
            detail = (
                f"{r['links']} links; {r['chars']} chars: {r['title']}" if r["ok"] else r["error"]
            )
            click.echo(f"{r['source']:<28} {'ok' if r['ok'] else 'FAILED':<7} {detail}")
    failed = [r["source"] for r in results if not r["ok"]]
    if failed:
        raise CrawlFailed(f"{len(failed)} of {len(results)} sources failed: {', '.join(failed)}")
