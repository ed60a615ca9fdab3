"""What `monitor status` says of distributed mode: the workers, the queue and its oldest job."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from monitor.distributed.jobs import QUEUE, crawl_queue


def _age(moment: datetime | None, now: datetime) -> float | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return round((now - moment).total_seconds(), 1)


def queue_status(connection: Any) -> dict[str, Any]:
    """{"queue", "waiting", "oldest_waiting_seconds", "oldest_job", "workers": [{name, host, pid,
    state, job, heartbeat_age_seconds}], "leases": [source ids being crawled], "shared": [shared
    crawls: {source, run, waiting, parts, busy}]}."""
    from rq import Worker
    from rq.job import Job
    from rq.serializers import JSONSerializer

    now = datetime.now(timezone.utc)
    queue = crawl_queue(connection)
    waiting = queue.count
    oldest = None
    first = queue.get_job_ids(0, 1)
    if first:
        job = Job.fetch(first[0], connection=connection, serializer=JSONSerializer)
        oldest = {"id": job.id, "description": job.description,
                  "waiting_seconds": _age(job.enqueued_at, now)}  # fmt: skip
    workers = [
        {
            "name": worker.name,
            "host": worker.hostname,
            "pid": worker.pid,
            "state": worker.get_state(),
            "job": worker.get_current_job_id(),
            "heartbeat_age_seconds": _age(worker.last_heartbeat, now),
        }
        for worker in Worker.all(connection=connection)
    ]
    leases = sorted(
        key.decode().removeprefix("monitor:lease:")
        for key in connection.scan_iter(match="monitor:lease:*", count=1000)
    )
    return {"queue": QUEUE, "waiting": waiting, "oldest_job": oldest, "workers": workers,
            "leases": leases, "shared": shared_crawls(connection)}  # fmt: skip


def shared_crawls(connection: Any) -> list[dict[str, Any]]:
    """The shared crawls with parts still open (monitor.distributed.shared): requests waiting,
    parts that joined, parts busy now."""
    found = []
    for key in connection.scan_iter(match="monitor:share:*:open", count=1000):
        base = key.decode().removesuffix(":open")
        if int(connection.get(key) or 0) <= 0:
            continue  # over: kept only for late parts
        source, run = base.removeprefix("monitor:share:").split(":", 1)
        parts = [p.decode() for p in connection.smembers(f"{base}:parts")]
        busy = connection.exists(*(f"{base}:busy:{p}" for p in parts)) if parts else 0
        found.append({"source": source, "run": run, "parts": len(parts), "busy": busy,
                      "waiting": connection.zcard(f"{base}:requests")})  # fmt: skip
    return sorted(found, key=lambda c: (c["source"], c["run"]))
