"""Scheduled crawls: which sources are due, adaptive intervals, and the long-lived service.

- A source's schedule is `every: <duration>` (adapted to what the source yields) or `cron: <expr>`,
  with optional `jitter`. The run history in the runs index says when it last ran, so `--once`
  (for cron users), the service and several machines agree on what is due.
- Adaptive intervals: each recent run that found nothing new stretches a source's interval by
  1.5x, each busy run (>= BUSY_RUN new documents) shortens it by 1.5x, within 1/4x and 4x of
  the configured interval.
- Crawls run in processes of their own (`monitor crawl --source A --source B`): the Twisted
  reactor cannot restart within one process, and the scheduler stays responsive. Sources that
  fall due together (within BATCH_WINDOW seconds) crawl together, in one process. A new Python
  process costs about 0.7 CPU-seconds of imports whatever it finds, so the service forks its
  crawls from a fork server that imported the crawl's code once (monitor.crawl.forkserver;
  bench/schedule_idle.py measures both). APScheduler runs
  one job per source (`max_instances=1`: a source never overlaps itself);
  MONITOR_SCHEDULE_CONCURRENCY limits the crawl processes at once. SIGTERM stops scheduling, asks
  running crawls to stop (Scrapy finishes in-flight requests and flushes its pipelines) and waits
  for them.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from monitor import command as monitor_command
from monitor.sources import Schedule, Source

logger = logging.getLogger("monitor.schedule")

BUSY_RUN = 10
BATCH_WINDOW = 2.0  # seconds: sources falling due this close together share one crawl process
STRETCH = 1.5
BOUNDS = (0.25, 4.0)


def adaptive_interval(every: timedelta, runs: list[dict[str, Any]]) -> timedelta:
    """The interval for a source, from its configured one and its recent runs (newest first)."""
    factor = 1.0
    for run in reversed(runs[:10]):
        if run.get("failed"):
            continue
        if run["new_documents"] == 0:
            factor *= STRETCH
        elif run["new_documents"] >= BUSY_RUN:
            factor /= STRETCH
        factor = min(max(factor, BOUNDS[0]), BOUNDS[1])
    return every * factor


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def next_due(schedule: Schedule, runs: list[dict[str, Any]], now: datetime) -> datetime:
    """When the source is next due (<= now means now). No run yet: due at once."""
    if not runs or not runs[0].get("started_at"):
        return now
    last = _parse(runs[0]["started_at"])
    if schedule.cron:
        from apscheduler.triggers.cron import CronTrigger

        trigger = CronTrigger.from_crontab(schedule.cron, timezone=timezone.utc)
        return trigger.get_next_fire_time(None, last + timedelta(seconds=1)) or now
    return last + adaptive_interval(schedule.every, runs)


@dataclass
class CrawlOutcome:
    source: str
    returncode: int
    summary: dict[str, Any] | None
    batch: int = 0  # the crawl process it ran in (sources of one batch share it)


class _Subprocess:
    """`monitor crawl` as a new `python -m monitor` process (what `--once` uses)."""

    def __init__(self, args: list[str]):
        self._process = subprocess.Popen(monitor_command(*args), stdout=subprocess.PIPE, text=True)
        self.pid = self._process.pid

    def wait(self) -> tuple[int, str]:
        out, _ = self._process.communicate()
        return self._process.returncode, out

    def send_signal(self, signum: int) -> None:
        self._process.send_signal(signum)


class CrawlLauncher:
    """Starts `monitor crawl` processes and remembers them, so SIGTERM can reach them.

    `fork_server` (monitor.crawl.forkserver.ForkServer): crawls are forked from a process that
    imported the crawl's code once, instead of each starting Python afresh (the service uses it:
    a run that finds nothing new then costs its work, not its imports)."""

    def __init__(
        self, sources_file: str, extra: tuple[str, ...] = (), fork_server: Any = None
    ) -> None:
        self.sources_file, self.extra = sources_file, extra
        self.fork_server = fork_server
        self.running: set[Any] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.batches = 0

    def crawl(self, source_ids: list[str]) -> list[CrawlOutcome]:
        """Crawl the sources together, in one process; an outcome per source."""
        if self.stopping.is_set():
            return [CrawlOutcome(source_id, -1, None) for source_id in source_ids]
        selected = [arg for source_id in source_ids for arg in ("--source", source_id)]
        args = ["crawl", "--sources", self.sources_file, *selected, "--json", *self.extra]
        with self.lock:
            self.batches += 1
            batch = self.batches
        names = ", ".join(source_ids)
        logger.info("crawl %s: starting", names)
        process = self.fork_server.start(args) if self.fork_server else _Subprocess(args)
        with self.lock:
            self.running.add(process)
        try:
            returncode, out = process.wait()
        finally:
            with self.lock:
                self.running.discard(process)
        try:
            summaries = {s["source"]: s for s in json.loads(out)["sources"]}
        except (ValueError, KeyError, TypeError):
            summaries = {}
        outcomes = [
            CrawlOutcome(source_id, returncode, summaries.get(source_id), batch)
            for source_id in source_ids
        ]
        for outcome in outcomes:
            summary = outcome.summary
            logger.info(
                "crawl %s: exit %s, %s",
                outcome.source,
                returncode,
                summary and f"{summary['indexed']} new, {summary['errors']} errors",
            )
        return outcomes

    def stop(self) -> None:
        """Ask running crawls to finish (SIGTERM: Scrapy's graceful shutdown)."""
        self.stopping.set()
        with self.lock:
            for process in self.running:
                process.send_signal(signal.SIGTERM)


@dataclass
class _Batch:
    ids: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    outcomes: dict[str, CrawlOutcome] = field(default_factory=dict)


class Batcher:
    """Gathers the sources that fall due within `window` seconds of each other into one crawl.
    A job calls `crawl(source_id)` and waits for its batch; at most `concurrency` crawl
    processes run at once."""

    def __init__(self, launcher: CrawlLauncher, concurrency: int, window: float = BATCH_WINDOW):
        self.launcher, self.window = launcher, window
        self.slots = threading.Semaphore(concurrency)
        self.lock = threading.Lock()
        self.open: _Batch | None = None

    def crawl(self, source_id: str) -> CrawlOutcome:
        with self.lock:
            batch = self.open
            if batch is None:
                batch = self.open = _Batch()
                timer = threading.Timer(self.window, self._launch, args=[batch])
                timer.daemon = True
                timer.start()
            batch.ids.append(source_id)
        batch.done.wait()
        return batch.outcomes.get(source_id) or CrawlOutcome(source_id, -1, None)

    def _launch(self, batch: _Batch) -> None:
        with self.lock:
            if self.open is batch:
                self.open = None  # later jobs open the next batch
        try:
            with self.slots:
                outcomes = self.launcher.crawl(batch.ids)
            batch.outcomes.update((o.source, o) for o in outcomes)
        finally:
            batch.done.set()


def due_sources(
    sources: list[Source], history: dict[str, list[dict]], now: datetime
) -> list[Source]:
    return [s for s in sources if next_due(s.schedule, history.get(s.id, []), now) <= now]


def due_slots(
    sources: list[Source], history: dict[str, list[dict]], now: datetime
) -> list[tuple[Source, str]]:
    """(source, slot) for the sources due now. The slot names the time the source fell due,
    which every scheduler reading the runs index computes alike (a source never crawled: the
    slot `first`), so distributed schedulers enqueue each slot once (monitor.distributed.jobs)."""
    from monitor.distributed.jobs import slot_of

    found = []
    for source in sources:
        runs = history.get(source.id, [])
        due = next_due(source.schedule, runs, now)
        if due <= now:
            found.append((source, slot_of(due) if runs and runs[0].get("started_at") else "first"))
    return found


class Dispatcher:
    """Distributed mode: a due crawl becomes a job on the shared queue (`monitor worker`s run
    it) instead of a local process."""

    def __init__(self, connection: Any, sources_file: str, extra: tuple[str, ...] = ()):
        self.connection, self.sources_file, self.extra = connection, sources_file, list(extra)

    def dispatch(self, source: Source, slot: str) -> list[str]:
        """The source's slot as jobs (a shared crawl's parts, for a distributed source); none
        when another scheduler queued that slot."""
        from monitor.distributed.connection import lease_ttl
        from monitor.distributed.jobs import enqueue_crawl

        interval = (source.schedule.every or timedelta(hours=1)).total_seconds()
        jobs = enqueue_crawl(
            self.connection, source.id, slot, self.sources_file, self.extra,
            slot_seconds=min(interval, 10 * lease_ttl()), parts=self.parts(source),
        )  # fmt: skip
        done = f"queued as {', '.join(jobs)}" if jobs else f"slot {slot} already queued"
        logger.info("crawl %s: %s", source.id, done)
        return jobs

    def parts(self, source: Source) -> int:
        """How many workers crawl the source together: `distributed: N`, or `true`: one per
        live worker; 0: one worker alone."""
        from monitor.sources.schema import ALL_WORKERS

        if source.distributed != ALL_WORKERS:
            return source.distributed
        from rq import Worker

        return max(1, len(Worker.all(connection=self.connection)))


def run_due_once(
    sources: list[Source],
    history: dict[str, list[dict]],
    launcher: CrawlLauncher,
    concurrency: int,
    now: datetime,
) -> list[CrawlOutcome]:
    """`monitor schedule --once`: crawl what is due, in at most `concurrency` processes (the due
    sources split evenly between them), and return."""
    from concurrent.futures import ThreadPoolExecutor

    due = [s.id for s in due_sources(sources, history, now)]
    groups = [due[i::concurrency] for i in range(concurrency) if due[i::concurrency]]
    with ThreadPoolExecutor(max_workers=max(1, len(groups))) as pool:
        return [o for outcomes in pool.map(launcher.crawl, groups) for o in outcomes]


class AtMostEvery:
    """Calls `fn` when asked, but not more often than every `interval` (the first call runs)."""

    def __init__(self, interval: timedelta, fn: Any):
        self.interval, self.fn = interval, fn
        self.lock = threading.Lock()
        self.last: datetime | None = None

    def __call__(self) -> None:
        now = datetime.now(timezone.utc)
        with self.lock:
            if self.last is not None and now - self.last < self.interval:
                return
            self.last = now
        try:
            self.fn()
        except Exception as exc:  # housekeeping never stops the service
            logger.warning("housekeeping failed: %s: %s", type(exc).__name__, exc)


def serve(
    sources: list[Source],
    history_of,
    launcher: CrawlLauncher,
    concurrency: int,
    housekeeping: Any = None,
    dispatcher: Dispatcher | None = None,
) -> None:
    """The long-lived service, until SIGTERM or SIGINT. `housekeeping` (e.g. the runs index's
    retention) is called at the start and after crawls, at most hourly."""
    housekeeping = AtMostEvery(timedelta(hours=1), housekeeping or (lambda: None))
    housekeeping()
    from apscheduler.executors.pool import ThreadPoolExecutor as Executor
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    batcher = Batcher(launcher, concurrency)
    scheduler = BlockingScheduler(  # a thread per source: its job waits while its batch crawls
        executors={"default": Executor(max(concurrency, len(sources)))},
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        timezone=timezone.utc,
    )

    def trigger_for(source: Source):
        """(trigger, first run time): an adapted interval, or the cron expression."""
        jitter = int(source.schedule.jitter.total_seconds()) or None
        now = datetime.now(timezone.utc)
        history = history_of(source.id)
        due = max(next_due(source.schedule, history, now), now)
        if source.schedule.cron:
            return CronTrigger.from_crontab(source.schedule.cron, timezone=timezone.utc), due
        interval = adaptive_interval(source.schedule.every, history)
        trigger = IntervalTrigger(
            seconds=interval.total_seconds(), jitter=jitter, timezone=timezone.utc
        )
        return trigger, due

    def job(source: Source) -> None:
        if dispatcher is not None:  # distributed: queue it; the history moves when it has run
            now = datetime.now(timezone.utc)
            for _, slot in due_slots([source], {source.id: history_of(source.id)}, now):
                dispatcher.dispatch(source, slot)
            if not source.schedule.cron:
                interval = adaptive_interval(source.schedule.every, history_of(source.id))
                scheduler.modify_job(source.id, next_run_time=now + interval)
            housekeeping()
            return
        batcher.crawl(source.id)
        housekeeping()
        if not launcher.stopping.is_set() and not source.schedule.cron:
            trigger, due = trigger_for(source)  # the interval adapts to what the source yielded
            scheduler.reschedule_job(source.id, trigger=trigger)
            scheduler.modify_job(source.id, next_run_time=due)

    def stop(signum: int, _frame: Any) -> None:
        if launcher.stopping.is_set():
            return  # already stopping
        logger.info(
            "received %s: no new crawls; waiting for the running ones to finish",
            signal.Signals(signum).name,
        )
        launcher.stop()
        threading.Thread(target=lambda: scheduler.shutdown(wait=True), daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for source in sources:
        trigger, due = trigger_for(source)
        name = f"crawl {source.id}"
        scheduler.add_job(job, trigger, args=[source], id=source.id, name=name, next_run_time=due)
    logger.info(
        "scheduler started: %d sources, at most %d crawls at once", len(sources), concurrency
    )
    scheduler.start()
    logger.info("scheduler stopped")


@dataclass
class ScheduleService:
    """The scheduler assembled: its sources, how it crawls (a launcher, or the shared queue's
    dispatcher in distributed mode) and the runs index's retention. `monitor schedule` builds
    one and calls `queue_due`, `crawl_due` or `serve`."""

    es_config: Any
    es: Any
    sources: list[Source]
    sources_file: str
    extra: tuple[str, ...] = ()  # `-s NAME=VALUE` arguments passed to every crawl
    concurrency: int = 2
    retention: timedelta | None = None  # run records older than this are deleted; None: kept
    retention_text: str = ""  # as the user wrote it, for the log line
    fork_server: Any = None  # forks crawls from a process that imported their code once
    dispatcher: Dispatcher | None = None
    check_every: timedelta | None = None  # the canaries' period (monitor.alerts.canary); None: off
    launcher: CrawlLauncher = field(init=False)
    _checking: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.launcher = CrawlLauncher(self.sources_file, self.extra, fork_server=self.fork_server)

    @classmethod
    def build(cls, es_config: Any, es: Any, sources: list[Source], sources_file: str,
              extra: tuple[str, ...], concurrency: int, retention: str,
              once: bool, fork_server_factory: Any = None,
              check_every: timedelta | None = None) -> ScheduleService:  # fmt: skip
        """With MONITOR_REDIS_URL, due crawls become jobs on the shared queue (monitor worker);
        otherwise the service forks its crawls from a fork server (`fork_server_factory`),
        and a `--once` run (from cron), which would pay that import itself, starts `monitor
        crawl` directly. `retention`: a duration such as 90d, or `off`."""
        from monitor.distributed.connection import connect, redis_url

        keep = cls.retention_of(retention)

        dispatcher = Dispatcher(connect(), sources_file, extra) if redis_url() else None
        fork_server = None
        if not once and dispatcher is None and fork_server_factory is not None:
            fork_server = fork_server_factory()
        return cls(es_config, es, sources, sources_file, extra, concurrency, keep, retention,
                   fork_server, dispatcher, check_every)  # fmt: skip

    @staticmethod
    def retention_of(
        text: str, name: str = "--runs-retention / MONITOR_RUNS_RETENTION"
    ) -> timedelta | None:
        """A period as written (90d, 12h, or `off`: None); ConfigError otherwise."""
        from monitor.errors import ConfigError
        from monitor.sources.schema import parse_duration

        off = text.strip().lower() == "off"
        keep = None if off else parse_duration(text)
        if keep is None and not off:
            raise ConfigError(f"{name}: {text!r} is not a duration such as 90d or 12h, nor 'off'")
        return keep

    def history(self) -> dict[str, list[dict[str, Any]]]:
        from monitor.alerts.health import recent_runs
        from monitor.es.client import call

        return call(self.es_config, lambda: recent_runs(self.es, self.es_config))

    def prune(self) -> int:
        """The runs index's retention: records older than `retention` go."""
        from monitor.crawl.runs import prune_runs
        from monitor.es.client import call

        if self.retention is None:
            return 0
        pruned = call(self.es_config, lambda: prune_runs(self.es, self.es_config, self.retention))
        if pruned:
            logger.info("runs: %d records older than %s deleted", pruned, self.retention_text)
        return pruned

    def canary(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """When a check period has passed: `sources check` of every enabled source, stored, a
        changed verdict alerted (monitor.alerts.canary). One at a time; the alerts raised."""
        import os

        from monitor import registry
        from monitor.alerts.canary import due, record_checks, run_checks
        from monitor.es.client import call
        from monitor.notify.channels import load_channels

        if self.check_every is None or not self.sources:
            return []
        if not self._checking.acquire(blocking=False):
            return []  # one is running
        try:
            now = now or datetime.now(timezone.utc)
            if not call(
                self.es_config, lambda: due(self.es, self.es_config, self.check_every, now)
            ):
                return []
            logger.info("checking %d sources (sources check)", len(self.sources))
            env = dict(os.environ)
            for pair in self.extra[1::2]:  # the crawls' `-s` networks are the check's too
                name, _, value = pair.partition("=")
                if name == "MONITOR_PRIVATE_NETWORKS":
                    env[name] = value
            reports = run_checks(self.sources_file, [s.id for s in self.sources], env)
            setting = registry.get("MONITOR_CHANNELS_FILE")
            channels = load_channels(registry.resolve(setting, {}, os.environ)[0])
            raised = call(self.es_config, lambda: record_checks(
                self.es, self.es_config, channels, reports, now, logger.warning))  # fmt: skip
            bad = [r["source"] for r in reports if not r["ok"]]
            logger.info("sources check: %d ok, %d not%s", len(reports) - len(bad), len(bad),
                        f" ({', '.join(bad)})" if bad else "")  # fmt: skip
            return raised
        finally:
            self._checking.release()

    def housekeeping(self) -> None:
        """The runs' retention, then the canaries in a thread of their own (a check of many
        sources takes minutes: the crawl that called this goes on)."""
        self.prune()
        if self.check_every is not None:
            threading.Thread(target=self._canary_logged, name="canary", daemon=True).start()

    def _canary_logged(self) -> None:
        try:
            self.canary()
        except Exception as exc:  # a canary never stops the service
            logger.warning("sources check failed: %s: %s", type(exc).__name__, exc)

    def queue_due(self, now: datetime) -> list[dict[str, Any]]:
        """Distributed mode, once: what is due, queued (a shared crawl's parts: several jobs)."""
        queued = []
        for source, slot in due_slots(self.sources, self.history(), now):
            jobs = self.dispatcher.dispatch(source, slot)
            queued.append({"source": source.id, "slot": slot, "job": jobs[0] if jobs else None,
                           "jobs": jobs})  # fmt: skip
        self.prune()
        self._canary_logged()
        return queued

    def crawl_due(self, now: datetime) -> list[CrawlOutcome]:
        """Once: what is due, crawled here."""
        outcomes = run_due_once(self.sources, self.history(), self.launcher, self.concurrency, now)
        self.prune()
        self._canary_logged()
        return outcomes

    def serve(self) -> None:
        from monitor.alerts.health import recent_runs

        serve(
            self.sources,
            lambda source_id: recent_runs(self.es, self.es_config).get(source_id, []),
            self.launcher,
            self.concurrency,
            housekeeping=self.housekeeping,
            dispatcher=self.dispatcher,
        )
