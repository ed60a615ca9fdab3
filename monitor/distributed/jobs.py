"""Crawl jobs: one per source and slot, on the RQ queue `crawls`, run by `monitor worker`.

- **Once per slot.** A scheduler enqueues a source's due crawl under a slot key (the source and
  the time it fell due, which every scheduler computes alike from the runs index): a Redis
  `SET NX` on `monitor:slot:<source>:<slot>` decides, so two schedulers never enqueue one slot
  twice. The key lives for the source's interval, at most 10 lease TTLs: a crawl that died
  without recording its run leaves the source due at the same slot, which is enqueued again once
  the key is gone (a crawl still running holds the lease: the second job is skipped).
- **One crawler per source.** The job takes the source's lease (redis-py's `Lock`: a token with
  a TTL, MONITOR_LEASE_TTL, renewed while the crawl runs, released by token). A worker killed
  with -9 stops renewing: the lease expires and the next job for the source (its next slot) takes
  it; the seen-record makes that crawl fetch only what was not stored. A job that cannot get the
  lease within one TTL is skipped (another worker is crawling the source).
- **One big source on many workers.** A source marked `distributed: N` becomes N jobs per slot,
  each under a lease of its own, each a part of the shared crawl named after the slot: one
  request queue and duplicate filter in Redis (monitor.distributed.shared, scrapy-redis).
- **One process per crawl.** The job runs `monitor crawl --source ID` in a process of its own
  (the reactor rule), forked from the worker's fork server as the single-machine service does
  (monitor.crawl.forkserver: the crawl's imports are paid once per worker, not per job). The
  crawl runs without a translation worker unless the worker was started with `--translate`:
  translation is `monitor translate --follow`, on any machine (a GPU machine runs only that).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
from datetime import datetime
from typing import Any

from redis.exceptions import LockError

logger = logging.getLogger("monitor.worker")

QUEUE = "crawls"
# Jobs are written as JSON (RQ's JSONSerializer), never pickled: a pickle runs code when it is read,
# so anyone who could write to Redis would run code on every worker. A job's call is a function
# named by its path and plain arguments (strings, lists): JSON holds them.
JOB_TIMEOUT = 24 * 3600  # a crawl may take long (a backfill); the lease is what guards a source
SOURCES_ENV = "MONITOR_WORKER_SOURCES"  # a worker's own sources file, if paths differ per machine
TRANSLATE_ENV = "MONITOR_WORKER_TRANSLATE"  # "1": crawls start their translation worker


def crawl_queue(connection: Any) -> Any:
    """The queue of crawl jobs, JSON-serialised (every reader and writer opens it here)."""
    from rq import Queue
    from rq.serializers import JSONSerializer

    return Queue(QUEUE, connection=connection, serializer=JSONSerializer)


def pickled_jobs(connection: Any) -> list[str]:
    """The ids of the waiting jobs written with pickle (by a news-monitor before JSON jobs, or by
    someone else): a worker refuses to start while there are any, and reads none of them."""
    import zlib

    found = []
    for job_id in connection.lrange(f"rq:queue:{QUEUE}", 0, -1):
        job_id = job_id.decode()
        data = connection.hget(f"rq:job:{job_id}", "data")
        try:
            raw = zlib.decompress(data) if data else b""
        except zlib.error:
            raw = data or b""
        if raw[:1] == b"\x80":  # the pickle protocol's first byte (protocol 2 and later)
            found.append(job_id)
    return found


def slot_of(due: datetime) -> str:
    """The slot a due time names: to the minute, UTC."""
    return due.strftime("%Y%m%dT%H%MZ")


def job_id(source_id: str, slot: str) -> str:
    return "crawl-" + re.sub(r"[^\w-]", "_", source_id) + "-" + slot


def enqueue_crawl(
    connection: Any,
    source_id: str,
    slot: str,
    sources_file: str,
    extra: list[str],
    slot_seconds: float,
    parts: int = 0,
) -> list[str]:
    """Enqueue the source's crawl for `slot` unless some scheduler did within `slot_seconds`:
    the job ids (none when it was). `parts` > 0: that many jobs crawl the source together, as
    the shared crawl named after the slot (monitor.distributed.shared)."""
    import uuid

    key = f"monitor:slot:{source_id}:{slot}"
    if not connection.set(key, "1", nx=True, ex=max(1, int(slot_seconds))):
        return []
    queue = crawl_queue(connection)
    jobs = []
    for part in range(1, parts + 1) if parts else (None,):
        name = f"{job_id(source_id, slot)}{f'-part{part}' if part else ''}"
        of = f", part {part}/{parts}" if part else ""
        job = queue.enqueue(
            "monitor.distributed.jobs.crawl_source",  # by name: JSON holds no function
            source_id,
            os.path.abspath(sources_file),
            extra,
            shared=slot if part else None,
            part=part,
            job_id=f"{name}-{uuid.uuid4().hex[:6]}",
            job_timeout=JOB_TIMEOUT,
            result_ttl=7 * 24 * 3600,
            failure_ttl=7 * 24 * 3600,
            description=f"crawl {source_id} (slot {slot}{of})",
        )
        jobs.append(job.id)
    return jobs


def crawl_source(
    source_id: str,
    sources_file: str,
    extra: list[str],
    shared: str | None = None,
    part: int | None = None,
) -> dict[str, Any]:
    """The job: under the source's lease (a part's own lease, for a shared crawl),
    `monitor crawl --source ID --json [--shared SLOT]` in a subprocess."""
    from rq import get_current_job

    from monitor.distributed.connection import lease_ttl

    ttl = lease_ttl()
    connection = get_current_job().connection
    leased = f"{source_id}/part{part}" if part else source_id
    lease = connection.lock(
        f"monitor:lease:{leased}", timeout=ttl, blocking=True, blocking_timeout=ttl + 1
    )
    if not lease.acquire():
        logger.info("crawl %s: skipped, another worker holds its lease", leased)
        return {"source": source_id, "part": part, "skipped": "leased by another worker"}
    try:
        from monitor.crawl.forkserver import ForkServer

        sources_file = os.environ.get(SOURCES_ENV) or sources_file
        translate = () if os.environ.get(TRANSLATE_ENV) == "1" else ("--no-translate",)
        share = ("--shared", shared) if shared else ()
        args = ["crawl", "--sources", sources_file, "--source", source_id, "--json",
                *translate, *share, *extra]  # fmt: skip
        logger.info("crawl %s: starting", leased)
        crawl = ForkServer().start(args)
        lost = _wait_renewing(crawl, lease, ttl, leased)
        returncode, out = crawl.wait()
        try:
            summary = json.loads(out)["sources"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            summary = None
        logger.info("crawl %s: exit %s", leased, returncode)
        return {"source": source_id, "part": part, "returncode": returncode, "summary": summary,
                "lease_lost": lost}  # fmt: skip
    finally:
        with contextlib.suppress(LockError):  # expired meanwhile: nothing to release
            lease.release()


def _taken_again(lease: Any) -> bool:
    """Whether a lapsed lease could be taken again at once (no other worker holds it)."""
    from redis.exceptions import RedisError

    try:
        return bool(lease.acquire(blocking=False))
    except (LockError, RedisError):
        return False


def _wait_renewing(crawl: Any, lease: Any, ttl: float, source_id: str) -> bool:
    """Until the crawl ends, the lease renewed at once, then every third of its TTL. A lease that
    lapsed (this worker stalled past the TTL: a loaded machine) is taken again when nobody holds
    it; one another worker holds stops the crawl, and says so (True). Redis unreachable for a
    moment (a restart) is tried again next time."""
    from redis.exceptions import RedisError

    lost = False
    while True:
        if not lost:
            try:
                lease.reacquire()
            except LockError as exc:
                if _taken_again(lease):  # it lapsed (this worker stalled), and nobody took it
                    logger.warning("crawl %s: lease lapsed (%s), nobody held it: taken again",
                                   source_id, exc)  # fmt: skip
                else:
                    logger.warning("crawl %s: lease lost (%s): stopping the crawl", source_id, exc)
                    crawl.send_signal(signal.SIGTERM)  # it finishes the pages in flight
                    lost = True
            except RedisError as exc:
                logger.warning("crawl %s: lease not renewed, Redis unreachable (%s): trying "
                               "again", source_id, type(exc).__name__)  # fmt: skip
        if crawl.join(ttl / 3):
            return lost
