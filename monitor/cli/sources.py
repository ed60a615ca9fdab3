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


@sources.command("discover")
@click.argument("urls", nargs=-1, required=True, metavar="URL [URL ...]")
@click.option(
    "--write",
    "write_to",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Append the best entry of each URL to this sources file (checked after writing).",
)
@click.option(
    "--all", "show_all", is_flag=True, help="Write or print every proposal, not the best."
)
@click.option("--delay", default=1.0, show_default=True, help="Seconds between requests to a host.")
@click.option("--timeout", default=20.0, show_default=True, help="Seconds per request.")
@json_option("Print one JSON object with a `proposals` list per URL.")
@domain_errors
def sources_discover(
    urls: tuple[str, ...],
    write_to: str | None,
    show_all: bool,
    delay: float,
    timeout: float,
    as_json: bool,
) -> None:
    """Propose source entries for a site's page (home, section, column): its feeds, sitemaps,
    and the page as a listing (the block of article links, the pager), best first, each with
    why. A few polite requests through the crawl's request guard; robots.txt is obeyed."""
    from monitor.crawl.options import project_settings
    from monitor.errors import ConfigError
    from monitor.sources.discovered import append_entries, taken_ids
    from spiders.discover import DiscoverError, Fetcher, as_yaml, discover

    settings = project_settings()
    taken = taken_ids(write_to)
    fetcher = Fetcher(
        settings.get("USER_AGENT"),
        timeout=timeout,
        private_networks=_private_networks(),
        delay=delay,
    )
    results, chosen = [], []
    for url in urls:
        info(f"discovering {url} ...")
        try:
            proposals = discover(url, fetcher, taken)
        except DiscoverError as exc:
            raise ConfigError(f"{url}: {exc}") from None
        results.append({"url": url, "proposals": [p.as_dict() for p in proposals]})
        kept = proposals if show_all else proposals[:1]
        chosen += [(url, p) for p in kept]
        if not proposals:
            info(f"{url}: no feed, sitemap or list of article links found")
    if write_to and chosen:
        append_entries(write_to, [as_yaml(p, url) for url, p in chosen])
        info(f"wrote {len(chosen)} entries to {write_to}: check them with "
             f"`monitor sources --sources {write_to} check`")  # fmt: skip
    if as_json:
        emit_json({"urls": results, "requests": fetcher.requests})
        return
    for url, proposal in chosen if not write_to else []:
        click.echo(as_yaml(proposal, url))
    if not write_to:
        for result in results:
            rest = len(result["proposals"]) - (0 if show_all else 1)
            if rest > 0:
                info(f"{result['url']}: {rest} more proposals (--all shows them)")


def _private_networks() -> tuple:
    import os

    from monitor.errors import ConfigError
    from monitor.sources import parse_networks

    value = os.environ.get("MONITOR_PRIVATE_NETWORKS")
    try:
        return parse_networks(value) if value else ()
    except ValueError as exc:
        raise ConfigError(f"MONITOR_PRIVATE_NETWORKS: {exc}") from None
