"""`monitor crawl`: crawl the configured sources into Elasticsearch."""

from __future__ import annotations

import click

from monitor.cli.common import (
    CHANNELS_OPTION,
    SOURCES_OPTION,
    WATCHLIST_OPTION,
    domain_errors,
    emit_json,
    info,
    json_option,
    parse_settings,
    settings_option,
)


@click.command()
@SOURCES_OPTION
@click.option(
    "--source",
    "source_ids",
    multiple=True,
    metavar="ID",
    help="Crawl only this source (repeatable).",
)
@settings_option(
    "Override a Scrapy or news-monitor setting (repeatable), e.g. -s DOWNLOAD_DELAY=0."
)
@json_option("Print the summary as one JSON object.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's INFO log, not only warnings.")
@click.option(
    "--no-translate", is_flag=True, help="Do not run a translation worker beside the crawl."
)
@CHANNELS_OPTION
@WATCHLIST_OPTION
@click.option(
    "--full",
    is_flag=True,
    help="Fetch every page again, ignoring the seen-record (which is still updated).",
)
@click.option(
    "--shared",
    metavar="NAME",
    help="Join the shared crawl NAME (distributed mode, MONITOR_REDIS_URL): every process given "
    "the same NAME takes requests from one queue in Redis, so each URL is fetched once.",
)
@domain_errors
def crawl(
    sources_file: str,
    source_ids: tuple[str, ...],
    setting_pairs: tuple[str, ...],
    as_json: bool,
    verbose: bool,
    no_translate: bool,
    full: bool,
    channels_file: str,
    watchlist_file: str,
    shared: str | None,
) -> None:
    """Crawl the configured sources into Elasticsearch; print a per-source summary.

    Incremental: article pages seen before are not fetched again, and listing pages, feeds and
    sitemaps are fetched with conditional GETs (--full turns this off). Progress goes to stderr
    every few seconds. Exits with 5 when every source failed.
    """
    from monitor.crawl.console import CrawlConsole
    from monitor.crawl.stopping import StopSignals
    from monitor.sources import load_sources, select_sources

    sources = select_sources(load_sources(sources_file), list(source_ids))
    if not sources:
        raise click.UsageError(f"no enabled sources in {sources_file}")
    overrides = {
        "LOG_LEVEL": "INFO" if verbose else "WARNING",
        "MONITOR_SOURCES_FILE": sources_file,
        "MONITOR_CHANNELS_FILE": channels_file,
        "MONITOR_WATCHLIST_FILE": watchlist_file,
        **parse_settings(setting_pairs),
    }
    if full:
        overrides["MONITOR_INCREMENTAL"] = False
    if shared:
        from monitor.distributed.connection import connect
        from monitor.distributed.shared import check_run_name, refuse_pickled

        overrides["MONITOR_SHARED_RUN"] = check_run_name(shared)
        server = connect()  # unreachable: one line and exit 3 now, not one per source later
        refuse_pickled(server, [s.id for s in sources], shared)
    from monitor.crawl.options import check_configuration

    check_configuration(overrides, translation=False)  # a bad setting: one line, at once
    console = CrawlConsole([s.id for s in sources])
    console.begin(level=str(overrides["LOG_LEVEL"]))  # output starts before the crawl's imports
    try:  # Ctrl-C or SIGTERM from here on: a clean stop, exit 130 or 143
        with StopSignals(console.say) as stop:
            from monitor.crawl.run import run_crawl

            translate = False if no_translate else None  # None: MONITOR_TRANSLATE says
            outcome = run_crawl(sources, overrides, console.say, translate, stop)
    finally:
        console.end()
    if as_json:
        emit_json(outcome.as_dict())
    else:
        print_summary(outcome)
    if outcome.translation is not None and outcome.translation.summary:
        (click.echo if not as_json else info)(outcome.translation.summary)
    failure = outcome.failure()
    if failure is not None:
        raise failure


COLUMNS = (
    ("pages", "pages"),
    ("indexed", "indexed"),
    ("unchanged", "unchanged"),
    ("known", "known"),
    ("not_modified", "304"),
    ("skipped", "skipped"),
    ("errors", "errors"),
)


def print_summary(outcome) -> None:
    """The closing summary: a row per source and the totals, the duration, then every reason a
    page was skipped or failed, with its first URLs."""
    results = outcome.sources
    width = max([len("source"), *(len(r.source) for r in results)]) + 2
    click.echo(f"{'source':<{width}}" + "".join(f" {label:>9}" for _, label in COLUMNS))
    for r in results:
        note = f"  FAILED: {r.why_failed}" if r.failed else ""
        note = "  interrupted" if r.interrupted else note
        cells = "".join(f" {getattr(r, key):>9}" for key, _ in COLUMNS)
        click.echo(f"{r.source:<{width}}{cells}{note}")
    if len(results) > 1:
        totals = "".join(f" {sum(getattr(r, key) for r in results):>9}" for key, _ in COLUMNS)
        click.echo(f"{'total':<{width}}{totals}")
    click.echo(
        f"{len(results)} source{'s' * (len(results) != 1)} in {outcome.seconds:.1f} s "
        "(known: articles recorded before, not fetched again; 304: listing pages, feeds and "
        "sitemaps not modified since the last run)"
    )
    for r in results:
        if r.unchanged and r.source in outcome.first_runs:
            click.echo(
                f"{r.source}: first crawl: its {r.unchanged} unchanged pages were stored by "
                "another source (the same URL or text)"
            )
        if r.lists or r.rendered:
            how = [
                f"{kind} list built by script (on {n} page{'s' * (n != 1)})"
                for kind, n in r.lists.items()
            ]
            how += [f"{r.rendered} page{'s' * (r.rendered != 1)} rendered in Chromium"] * bool(
                r.rendered
            )
            click.echo(f"{r.source}: {'; '.join(how)}")
    listed = [(r, reason, n) for r in results for reason, n in r.reasons.items()]
    if listed:
        click.echo("\nskipped, refused and failed pages, by reason (first URLs):")
        for r, reason, n in listed:
            urls = r.examples.get(reason, [])
            more = " …" if n > len(urls) and urls else ""
            shown = f": {', '.join(urls)}{more}" if urls else ""
            click.echo(f"  {r.source}  {reason} ×{n}{shown}")
