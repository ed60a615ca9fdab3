"""`monitor schedule`: scheduled crawls as a service."""

from __future__ import annotations

import sys

import click

from monitor import registry
from monitor.cli.common import (
    SOURCES_OPTION,
    connect,
    domain_errors,
    emit_json,
    json_option,
    parse_settings,
    settings_option,
)


@click.command("schedule")
@SOURCES_OPTION
@click.option("--once", is_flag=True, help="Crawl what is due now, then exit (for cron).")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    envvar="MONITOR_SCHEDULE_CONCURRENCY",
    default=registry.get("MONITOR_SCHEDULE_CONCURRENCY").default,
    show_default=True,
    help="Crawls at once (MONITOR_SCHEDULE_CONCURRENCY).",
)
@click.option(
    "--runs-retention",
    envvar="MONITOR_RUNS_RETENTION",
    default=registry.get("MONITOR_RUNS_RETENTION").default,
    show_default=True,
    help="Delete run records older than this (e.g. 30d, 12h; 'off' keeps them all) "
    "(MONITOR_RUNS_RETENTION).",
)
@click.option(
    "--check-every",
    envvar="MONITOR_CHECK_EVERY",
    default=registry.get("MONITOR_CHECK_EVERY").default,
    show_default=True,
    help="Run `sources check` on every enabled source this often, alerting when a verdict "
    "changes ('off': never) (MONITOR_CHECK_EVERY).",
)
@click.option("--now", "now_text", hidden=True, help="Pretend it is this time (ISO 8601; tests).")
@settings_option("Setting passed to every crawl (repeatable).")
@json_option("With --once: print the outcomes as JSON.")
@domain_errors
def schedule_cmd(
    sources_file: str,
    once: bool,
    concurrency: int,
    runs_retention: str,
    check_every: str,
    now_text: str | None,
    setting_pairs: tuple[str, ...],
    as_json: bool,
) -> None:
    """Run scheduled crawls as a service (logs to stdout; SIGTERM stops it cleanly)."""
    import logging
    from datetime import datetime, timezone

    from monitor.cli.forked import fork_server
    from monitor.schedule import ScheduleService
    from monitor.sources import load_sources, select_sources

    logging.basicConfig(  # the crawl console's time format (monitor.crawl.console)
        stream=sys.stderr if as_json else sys.stdout,  # --json: stdout is the JSON alone
        level=logging.INFO,
        format="%(asctime)s %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("elastic_transport", "apscheduler"):  # one line per HTTP request, per job
        logging.getLogger(noisy).setLevel(logging.WARNING)
    sources = select_sources(load_sources(sources_file))
    parse_settings(setting_pairs)  # validate before starting
    ScheduleService.retention_of(runs_retention)
    every = ScheduleService.retention_of(check_every, "--check-every / MONITOR_CHECK_EVERY")
    extra = tuple(arg for pair in setting_pairs for arg in ("-s", pair))
    es_config, es = connect()
    service = ScheduleService.build(es_config, es, sources, sources_file, extra, concurrency,
                                    runs_retention, once, fork_server, every)  # fmt: skip
    if not once:
        service.serve()
        return
    now = datetime.fromisoformat(now_text) if now_text else datetime.now(timezone.utc)
    if service.dispatcher is not None:
        queued = service.queue_due(now)
        if as_json:
            emit_json({"queued": queued})
        elif not queued:
            click.echo("nothing is due")
        return
    outcomes = service.crawl_due(now)
    if as_json:  # `batch`: sources of one batch crawled in one process
        emit_json({"crawled": [{"source": o.source, "returncode": o.returncode, "batch": o.batch,
                                "summary": o.summary} for o in outcomes]})  # fmt: skip
    elif not outcomes:
        click.echo("nothing is due")
