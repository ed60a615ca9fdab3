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
@click.option("--now", "now_text", hidden=True, help="Pretend it is this time (ISO 8601; tests).")
@settings_option("Setting passed to every crawl (repeatable).")
@json_option("With --once: print the outcomes as JSON.")
@domain_errors
def schedule_cmd(
    sources_file: str,
    once: bool,
    concurrency: int,
    runs_retention: str,
    now_text: str | None,
    setting_pairs: tuple[str, ...],
    as_json: bool,
) -> None:
    """Run scheduled crawls as a service (logs to stdout; SIGTERM stops it cleanly)."""
    import logging
    from datetime import datetime, timezone

    from monitor.alerts.health import recent_runs
    from monitor.cli.forked import fork_server as make_fork_server
    from monitor.crawl.runs import prune_runs
    from monitor.distributed.connection import redis_url
    from monitor.es.client import call
    from monitor.schedule import CrawlLauncher, Dispatcher, due_slots, run_due_once, serve
    from monitor.sources import load_sources, select_sources
    from monitor.sources.schema import parse_duration

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
    retention = None if runs_retention.strip().lower() == "off" else parse_duration(runs_retention)
    if retention is None and runs_retention.strip().lower() != "off":
        raise click.BadParameter(
            f"{runs_retention!r} is not a duration such as 90d or 12h, nor 'off'",
            param_hint="'--runs-retention' / MONITOR_RUNS_RETENTION",
        )
    extra = tuple(arg for pair in setting_pairs for arg in ("-s", pair))
    es_config, es = connect()
    # the service forks its crawls from a process that imported their code once; a `--once`
    # run (from cron) would pay that import itself, so it starts `monitor crawl` directly
    dispatcher = None
    if redis_url():  # distributed mode: crawls are jobs on the shared queue (monitor worker)
        from monitor.distributed.connection import connect as connect_redis

        dispatcher = Dispatcher(connect_redis(), sources_file, extra)
    fork_server = None if once or dispatcher else make_fork_server()
    launcher = CrawlLauncher(sources_file, extra, fork_server=fork_server)

    def prune() -> None:
        """The runs index's retention: records older than MONITOR_RUNS_RETENTION go."""
        if retention is None:
            return
        pruned = call(es_config, lambda: prune_runs(es, es_config, retention))
        if pruned:
            logging.getLogger("monitor.schedule").info(
                "runs: %d records older than %s deleted", pruned, runs_retention
            )

    if once and dispatcher is not None:
        now = datetime.fromisoformat(now_text) if now_text else datetime.now(timezone.utc)
        history = call(es_config, lambda: recent_runs(es, es_config))
        queued = []
        for source, slot in due_slots(sources, history, now):
            jobs = dispatcher.dispatch(source, slot)  # a shared crawl's parts: several
            queued.append({"source": source.id, "slot": slot, "job": jobs[0] if jobs else None,
                           "jobs": jobs})  # fmt: skip
        prune()
        if as_json:
            emit_json({"queued": queued})
        elif not queued:
            click.echo("nothing is due")
        return
    if once:
        now = datetime.fromisoformat(now_text) if now_text else datetime.now(timezone.utc)
        history = call(es_config, lambda: recent_runs(es, es_config))
        outcomes = run_due_once(sources, history, launcher, concurrency, now)
        prune()
        if as_json:
            emit_json(
                {
                    "crawled": [
                        {
                            "source": o.source,
                            "returncode": o.returncode,
                            "batch": o.batch,  # sources of one batch crawled in one process
                            "summary": o.summary,
                        }
                        for o in outcomes
                    ]
                }
            )
        elif not outcomes:
            click.echo("nothing is due")
        return
    serve(
        sources,
        lambda source_id: recent_runs(es, es_config).get(source_id, []),
        launcher,
        concurrency,
        housekeeping=prune,
        dispatcher=dispatcher,
    )
