"""`monitor worker`: take crawl jobs from the shared queue (distributed mode, MONITOR_REDIS_URL)."""

from __future__ import annotations

import os
import socket
import sys

import click

from monitor.cli.common import domain_errors, emit_json, json_option


@click.command("worker")
@click.option(
    "--sources",
    "sources_file",
    type=click.Path(dir_okay=False),
    help="This machine's copy of the sources file, when its path differs from the scheduler's.",
)
@click.option("--burst", is_flag=True, help="Exit once the queue is empty (batch runs, tests).")
@click.option(
    "--translate",
    is_flag=True,
    help="Crawls start their own translation worker (default: run `monitor translate --follow`).",
)
@click.option("--name", help="The worker's name (default: host.pid).")
@json_option("With --burst: print how many jobs this worker ran, as JSON.")
@domain_errors
def worker_cmd(
    sources_file: str | None, burst: bool, translate: bool, name: str | None, as_json: bool
) -> None:
    """Run crawl jobs from the queue `crawls` on Redis (MONITOR_REDIS_URL), one crawl process at
    a time, each under its source's lease. Logs to stdout; SIGTERM finishes the running job,
    then stops (a second SIGTERM stops at once)."""
    import logging

    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from monitor.distributed.connection import connect
    from monitor.distributed.jobs import (
        QUEUE,
        SOURCES_ENV,
        TRANSLATE_ENV,
        crawl_queue,
        pickled_jobs,
    )
    from monitor.errors import ConfigError

    logging.basicConfig(  # the scheduler's format
        stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S"
    )
    connection = connect()
    pickled = pickled_jobs(connection)
    if pickled:
        raise ConfigError(
            f"the queue `{QUEUE}` holds {len(pickled)} pickled jobs (written by an older "
            f"news-monitor, or by someone else), such as {pickled[0]}: they are not run; "
            f"remove them (`rq empty {QUEUE}`) and let the scheduler queue the crawls again"
        )
    if sources_file:
        os.environ[SOURCES_ENV] = os.path.abspath(sources_file)  # the jobs' processes inherit it
    os.environ[TRANSLATE_ENV] = "1" if translate else "0"
    # jobs run in this process (not a forked work horse): its fork server, started before the
    # worker takes a job, forks every crawl with their imports already paid
    from monitor.cli.forked import fork_server

    fork_server().warm()
    worker = SimpleWorker(
        [crawl_queue(connection)],
        connection=connection,
        serializer=JSONSerializer,
        name=name or f"{socket.gethostname()}.{os.getpid()}",
    )
    worker.work(burst=burst, logging_level="INFO", with_scheduler=False)
    worker.refresh()  # the counts, as kept in Redis
    if as_json:
        emit_json(
            {
                "worker": worker.name,
                "successful_jobs": worker.successful_job_count,
                "failed_jobs": worker.failed_job_count,
            }
        )
