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
@click.option("--sample", default=1, show_default=True, type=click.IntRange(1, 20),
              help="Articles read per source.")  # fmt: skip
@click.option("--delay", default=1.0, show_default=True, help="Seconds between requests to a host.")
@click.option("--timeout", default=20.0, show_default=True, help="Seconds per request.")
@json_option("Print one JSON object with a `sources` list.")
@domain_errors
def sources_check(
    sources_file: str,
    source_ids: tuple[str, ...],
    sample: int,
    delay: float,
    timeout: float,
    as_json: bool,
) -> None:
    """Fetch each source's start page, its pager's next page and its first articles now (needs
    the network): a verdict per source (ok, blocked, unreachable, no links, no pager, article
    unreadable) with what was found. Exits 1 when any source is not ok."""
    from monitor.crawl.options import project_settings
    from monitor.errors import MonitorError
    from monitor.sources import load_sources, select_sources
    from spiders.check import check_source

    selected = select_sources(load_sources(sources_file), list(source_ids))
    user_agent = project_settings().get("USER_AGENT")
    networks = _private_networks()
    results = []
    for source in selected:
        info(f"checking {source.id} ...")
        results.append(check_source(source, user_agent, timeout, networks, delay, sample))
    if as_json:
        emit_json({"sources": results})
    else:
        for r in results:
            click.echo(_check_line(r))
    failed = [r["source"] for r in results if not r["ok"]]
    if failed:
        error = MonitorError(f"{len(failed)} of {len(results)} sources not ok: {', '.join(failed)}")
        error.exit_code = 1
        raise error


def _check_line(r: dict) -> str:
    """A check's outcome as `monitor sources check` prints it: the verdict, then what was found."""
    head = f"{r['source']:<28} {r['verdict']:<18} {r['seconds']:>5.1f} s"
    if not r["ok"]:
        return f"{head}  {r['error']}"
    pager = r.get("pager")
    pager_text = (
        f"; pager {pager['kind']}: {pager['links']} links on {pager['url']}"
        if pager and pager.get("url")
        else f"; pager {pager['kind']}"
        if pager
        else ""
    )
    examples = "".join(f"\n    {url}" for url in r.get("examples", []))
    return (
        f"{head}  {r['links']} links{pager_text}; {r['chars']} chars, {r['language']}, "
        f"{(r.get('published_at') or 'undated')[:10]}: {r['title']}{examples}"
    )


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
    from spiders.discover import as_yaml, discover
    from spiders.fetching import Fetcher, FetchError

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
        except FetchError as exc:
            raise ConfigError(f"{url}: {exc}") from None
        results.append({"url": url, "proposals": [p.as_dict() for p in proposals]})
        kept = proposals if show_all else proposals[:1]
        chosen += [(url, p) for p in kept]
        if not proposals:
            info(f"{url}: no feed, sitemap or list of article links found")
    if write_to and chosen:
        append_entries(write_to, [as_yaml(p, url) for url, p in chosen])
        info(f"wrote {len(chosen)} entries to {write_to}: check them with "
             f"`monitor sources check --sources {write_to}`")  # fmt: skip
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
