"""Run a crawl of several sources in this process with Scrapy's CrawlerProcess.

The Twisted reactor cannot restart within a process, so one `monitor crawl` is one process and
one reactor run; the scheduler starts one such process per run. All sources crawl concurrently
and share the process's Monitor (monitor.crawl.core): one client, extraction pool, watch matcher
and translation worker.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from monitor.alerts.delivery import send_due_digests
from monitor.alerts.health_alerts import raise_health_alerts
from monitor.crawl.core import Monitor
from monitor.crawl.options import project_settings
from monitor.crawl.runs import record_runs, run_document
from monitor.crawl.stopping import StopSignals
from monitor.crawl.summary import SourceSummary, summarize
from monitor.errors import CrawlFailed, Interrupted, MonitorError
from monitor.es.client import call
from monitor.es.config import EsConfig
from monitor.es.node import ensure_available
from monitor.es.schema import ensure_articles_index
from monitor.es.stories import reconcile_stories
from monitor.notify.channels import load_channels
from monitor.sources.schema import Source
from monitor.text.dates import utc_now_iso
from monitor.translate.sidecar import SidecarResult


@dataclass
class CrawlResult:
    sources: list[SourceSummary]
    stopped_by: int | None = None  # the signal (SIGINT, SIGTERM) that stopped the crawl early
    first_runs: set[str] = field(default_factory=set)  # sources never crawled before this run
    seconds: float = 0.0
    translation: SidecarResult | None = None  # the translation worker's outcome, if one ran

    def as_dict(self) -> dict[str, Any]:
        return {
            "sources": [r.as_dict() for r in self.sources],
            "seconds": self.seconds,
            "first_runs": sorted(self.first_runs),
        }

    def failure(self) -> MonitorError | None:
        """What the crawl's exit says: stopped by a signal (Interrupted), every source failed
        (CrawlFailed, with the one reason they share), or None."""
        if self.stopped_by is not None:
            return Interrupted(
                self.stopped_by,
                "stopped before the end; what was stored is kept, and the next run picks up the "
                "rest",
            )
        if self.sources and all(r.failed for r in self.sources):
            why = {r.why_failed for r in self.sources}
            if len(why) == 1 and None not in why and why != {"nothing fetched"}:
                return CrawlFailed(f"every source failed: {why.pop()}")
            return CrawlFailed("every source failed; run with --verbose to see why")
        return None


def run_crawl(
    sources: list[Source],
    overrides: Mapping[str, Any] | None = None,
    log=print,
    translate: bool | None = None,
    stop: StopSignals | None = None,
) -> CrawlResult:
    """Crawl the sources in this process. A crawl stopped by Ctrl-C or SIGTERM is recorded as
    interrupted (not failed: health and alerts ignore it) and says which signal stopped it.

    The caller shows the crawl (monitor.crawl.console): Scrapy's own log handler stays off.
    `translate`: whether a translation worker runs beside the crawl (default: MONITOR_TRANSLATE),
    started when the crawl first stores a document to translate and drained at the end unless
    the crawl was stopped. `stop`: the signal handlers the caller has installed (entered) before
    (by default run_crawl installs its own, for its duration)."""
    if stop is not None:
        return _run_crawl(sources, overrides, log, translate, stop)
    with StopSignals(log) as own:  # a signal from here on: a clean stop, exit 128 + its number
        return _run_crawl(sources, overrides, log, translate, own)


def _run_crawl(
    sources: list[Source],
    overrides: Mapping[str, Any] | None,
    log: Callable[[str], None],
    translate: bool | None,
    stop: StopSignals,
) -> CrawlResult:
    started = time.monotonic()
    quiet = {"LOG_ENABLED": False, "LOG_INSTALL_ROOT_HANDLER": False}
    settings = project_settings({**quiet, **(overrides or {})})
    monitor = Monitor(settings, translate)  # fails on bad settings before anything starts
    es_config = monitor.es_config
    channels = load_channels(settings.get("MONITOR_CHANNELS_FILE"))
    ensure_available(es_config, log=log)
    es = monitor.client()  # the process's one client, for before, during and after the crawl
    Monitor.install(monitor)
    result = None
    try:
        call(es_config, lambda: ensure_articles_index(es, es_config))
        if settings.getbool("MONITOR_WATCHES"):
            _sync_watches(es, es_config, settings.get("MONITOR_WATCHLIST_FILE"), channels, log)
            _catch_up(es, es_config, channels, log)
        first = call(es_config, lambda: _never_crawled(es, es_config, [s.id for s in sources]))
        if stop.received is not None:  # stopped before the crawl began: nothing to finish
            result = CrawlResult([], stop.received)
        else:
            result = _crawl(sources, settings, monitor, channels, log, stop)
        result.first_runs = first
    finally:  # stopped or failed: the translation worker stops without draining its backlog
        translation = monitor.close(interrupted=result is None or result.stopped_by is not None)
    result.translation = translation
    result.seconds = round(time.monotonic() - started, 1)
    return result


def _never_crawled(es: Any, es_config: EsConfig, ids: list[str]) -> set[str]:
    """The sources no run was recorded for (their "unchanged" pages were stored by another)."""
    from monitor.es.client import term_buckets

    runs = {b["key"] for b in term_buckets(es, es_config.index_name("runs"), "source_id", 10000)}
    return set(ids) - runs


def _sync_watches(es: Any, es_config: EsConfig, path: str, channels: Any, log) -> None:
    """The watchlist into the cluster before the crawl; a broken one keeps the stored watches."""
    from pathlib import Path

    from monitor.alerts.service import sync_watchlist

    if not path or not Path(path).is_file():
        return
    try:
        _, changes = call(es_config, lambda: sync_watchlist(es, es_config, path, channels))
    except MonitorError as exc:
        log(f"warning: watchlist not loaded, the watches stored before stay in force: {exc}")
        return
    if len(changes) > 10:  # a new watchlist: one line, not hundreds
        counts = Counter(change.split()[0] for change in changes.values())
        log("watchlist: " + ", ".join(f"{n} {what}" for what, n in sorted(counts.items())))
        return
    for watch_id, change in sorted(changes.items()):
        log(f"watch {watch_id}: {change}")


def _crawl(
    sources: list[Source],
    settings: Settings,
    monitor: Monitor,
    channels: Any,
    log: Callable[[str], None],
    stop: StopSignals,
) -> CrawlResult:
    es, es_config, crawl_settings = monitor.client(), monitor.es_config, monitor.crawl_settings
    process = CrawlerProcess(settings)
    runs: list[tuple[Source, Any, dict[str, str]]] = []
    for source in sources:
        crawler = process.create_crawler(process.spider_loader.load(source.type))
        failure: dict[str, str] = {}
        deferred = process.crawl(crawler, source=source)
        deferred.addErrback(lambda f, record=failure: record.update(error=f.getErrorMessage()))
        runs.append((source, crawler, failure))
    started_at = utc_now_iso()
    from twisted.internet import reactor

    # Scrapy installs its handlers "after startup": ours go in front of them a moment later
    reactor.callWhenRunning(reactor.callLater, 0, stop.in_front_of_scrapy)
    try:
        process.start()
    finally:
        monitor.end_crawls()  # the pool's workers stop; the matcher's last round
    results, records = [], []
    run_id = uuid.uuid4().hex[:12]
    for source, crawler, failure in runs:
        try:
            stats = crawler.stats.get_stats() if crawler.stats else {}
        except RuntimeError:  # the crawl never started (its spider refused its source)
            stats = {}
        summary = summarize(source.id, source.type, stats)
        summary.failure = failure.get("error")
        results.append(summary)
        records.append(run_document(run_id, summary, stats))
    errors = call(es_config, lambda: record_runs(es, es_config, records))
    for error in errors:
        log(f"warning: a run record was not written: {error}")
    if any(r.indexed for r in results):  # reprints stored at once by parallel crawlers: one story
        merged = call(
            es_config,
            lambda: reconcile_stories(
                es, es_config.index_name("articles"), started_at,
                crawl_settings.story_window, crawl_settings.story_threshold,
            ),
        )  # fmt: skip
        if merged:
            log(f"stories: {merged} documents joined the story of an earlier reprint")
    if stop.received is not None:  # an interrupted crawl says nothing about the sources' health
        return CrawlResult(results, stop.received)
    try:  # the crawl is done and recorded: a failure here is reported, not fatal
        if settings.getbool("MONITOR_WATCHES"):  # due digests, delivered with the rest below
            call(es_config, lambda: send_due_digests(es, es_config))
        # health changes raised, then every pending alert (health, watch, digest) delivered once;
        # a shared crawl's parts are judged together, after its last part
        judged = [r.source for r in results if not r.shared or r.shared_last]
        for r in results:
            if r.shared and r.shared_last:
                call(es_config, lambda r=r: _await_parts(es, es_config, r))
        call(es_config, lambda: raise_health_alerts(es, es_config, channels, judged, log))
    except MonitorError as exc:
        log(f"warning: health and watch alerts not checked: {exc}")
    return CrawlResult(results)


def _await_parts(es: Any, es_config: EsConfig, summary: SourceSummary, wait: float = 30) -> None:
    """Until the runs of every part of the shared crawl are recorded (at most `wait` seconds: a
    part killed with -9 never records one)."""
    alias = es_config.index_name("runs")
    query = {"bool": {"filter": [{"term": {"source_id": summary.source}},
                                 {"term": {"shared": summary.shared}}]}}  # fmt: skip
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        es.indices.refresh(index=alias)
        if es.count(index=alias, query=query)["count"] >= summary.shared_parts:
            return
        time.sleep(0.5)


def _catch_up(es: Any, es_config: EsConfig, channels: Any, log) -> None:
    """Before a crawl: match what a process that died left unmatched, deliver what is pending.
    (The crawl's own documents are matched as they are stored.)"""
    from monitor.alerts.service import alert_round

    try:
        call(es_config, lambda: alert_round(es, es_config, channels, log=log))
    except MonitorError as exc:
        log(f"warning: watch alerts not checked: {exc}")
