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
) -> None:
    """Crawl the configured sources into Elasticsearch; print a per-source summary.

    Incremental: article pages seen before are not fetched again, and listing pages, feeds and
    sitemaps are fetched with conditional GETs (--full turns this off). Progress goes to stderr
    every few seconds. Exits with 5 when every source failed.
    """
    from monitor.crawl.run import run_crawl
    from monitor.errors import CrawlFailed
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
    from monitor.crawl.options import check_overrides

    check_overrides(overrides.items())
    from monitor.translate.sidecar import TranslationSidecar

    sidecar = None if no_translate else TranslationSidecar.start(channels_file)
    outcome = None
    try:
        outcome = run_crawl(sources, overrides, log=info)
    finally:
        if sidecar is None:
            translation = None
        elif outcome is None or outcome.stopped_by is not None:
            translation = sidecar.stop()  # stopping: do not drain the backlog now
        else:
            translation = sidecar.finish()
    results = outcome.sources
    if as_json:
        emit_json({"sources": [r.as_dict() for r in results]})
    else:
        columns = ("pages", "indexed", "unchanged", "known", "skipped", "errors")
        header = f"{'source':<28}" + "".join(f" {c:>9}" for c in columns)
        click.echo(header)
        for r in results:
            note = f"  FAILED: {r.why_failed}" if r.failed else ""
            note = "  interrupted" if r.interrupted else note
            click.echo(f"{r.source:<28}" + "".join(f" {getattr(r, c):>9}" for c in columns) + note)
    if translation is not None and not as_json:
        click.echo(translation.summary)
    elif translation is not None:
        info(translation.summary)
    if outcome.stopped_by is not None:
        from monitor.errors import Interrupted

        raise Interrupted(
            outcome.stopped_by,
            "stopped before the end; what was stored is kept, and the next run picks up the rest",
        )
    if all(r.failed for r in results):
        raise CrawlFailed("every source failed; run with --verbose to see why")
