"""Canaries: `monitor sources check` run for every enabled source once a period
(MONITOR_CHECK_EVERY, a day by default) by `monitor schedule`, so that a site whose layout changed
is known before the next crawl finds nothing.

The check runs as its own process (as crawls do), its JSON read back; each source's verdict is
stored in `<prefix>-checks` (one document per source and check). A verdict that differs from the
source's previous check (ok → no links, no pager → ok) becomes a source health alert, delivered
to the channels under `health:` like the crawl's own health changes; a source's first check
raises nothing when it is ok. `monitor status` shows each source's last check (`last_checks`).
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from elasticsearch import Elasticsearch

from monitor import command as monitor_command
from monitor.alerts.delivery import deliver_pending
from monitor.alerts.health_alerts import store_health_alert
from monitor.es.bulk import write
from monitor.es.config import EsConfig
from monitor.es.schema import ensure_index
from monitor.notify.channels import Channels

logger = logging.getLogger(__name__)
SECONDS_PER_SOURCE = 120  # the check process's time limit, per source checked


def run_checks(
    sources_file: str, source_ids: list[str], env: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """`monitor sources check --json` of these sources, as a process of its own (`env`: its
    environment); its reports."""
    named = [arg for source in source_ids for arg in ("--source", source)]
    command = monitor_command("sources", "check", "--sources", sources_file, "--json", *named)
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=SECONDS_PER_SOURCE * max(1, len(source_ids)),
        env=env,
    )
    if done.returncode not in (0, 1):  # 1: a source is not ok, which is what is looked for
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"sources check exited {done.returncode}: {last}")
    return json.loads(done.stdout)["sources"]


def last_checks(es: Elasticsearch, config: EsConfig) -> dict[str, dict[str, Any]]:
    """Each source's newest check."""
    alias = config.index_name("checks")
    if not es.indices.exists_alias(name=alias):
        return {}
    answer = es.search(
        index=alias,
        size=1000,
        sort=[{"checked_at": "desc"}],
        collapse={"field": "source_id"},
    )
    return {hit["_source"]["source_id"]: hit["_source"] for hit in answer["hits"]["hits"]}


def due(es: Elasticsearch, config: EsConfig, every: timedelta, now: datetime) -> bool:
    """Whether the newest check of any source is older than `every` (or there is none)."""
    newest = [c["checked_at"] for c in last_checks(es, config).values()]
    if not newest:
        return True
    latest = max(datetime.fromisoformat(n.replace("Z", "+00:00")) for n in newest)
    return now - latest >= every


def _fields_kept(report: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """An ok check whose article lost a field the previous check found (its title, its date):
    a layout change the extraction no longer reads, `fields missing`."""
    if not report.get("ok") or not previous or not previous.get("ok"):
        return
    lost = [name for name, key in (("title", "title"), ("date", "published_at"))
            if previous.get(key) and not report.get(key)]  # fmt: skip
    if lost:
        report |= {"ok": False, "verdict": "fields missing",
                   "error": f"the article's {' and '.join(lost)} no longer found "
                            f"({report.get('article') or report.get('url')})"}  # fmt: skip


def record_checks(
    es: Elasticsearch,
    config: EsConfig,
    channels: Channels,
    reports: list[dict[str, Any]],
    now: datetime | None = None,
    log: Callable[[str], None] = logger.warning,
) -> list[dict[str, Any]]:
    """Store the checks; raise (and deliver) an alert for each source whose verdict changed."""
    now = now or datetime.now(timezone.utc)
    checked_at = now.isoformat()
    before = last_checks(es, config)
    alias = ensure_index(es, config, "checks")
    docs = []
    for report in reports:
        _fields_kept(report, before.get(report["source"]))
        pager = report.get("pager") or {}
        docs.append((f"{report['source']}:{checked_at}", {
            "source_id": report["source"], "checked_at": checked_at,
            "verdict": report["verdict"], "ok": report["ok"], "error": report.get("error"),
            "url": report.get("url"), "links": report.get("links"),
            "pager_links": pager.get("links"), "title": report.get("title"),
            "published_at": report.get("published_at"),
            "chars": report.get("chars"), "language": report.get("language"),
            "seconds": report.get("seconds"),
        }))  # fmt: skip
    for error in (e for _, e in write(es, alias, [("create", i, d) for i, d in docs], True) if e):
        log(f"warning: a source check was not stored: {error}")
    alerts_alias = ensure_index(es, config, "alerts")
    raised = []
    for _, doc in docs:
        previous = before.get(doc["source_id"], {}).get("verdict")
        if previous == doc["verdict"] or (previous is None and doc["ok"]):
            continue
        alert = {
            "kind": "source_health",
            "source_id": doc["source_id"],
            "run_id": f"check:{checked_at}",
            "state": "ok" if doc["ok"] else "broken",
            "previous_state": f"check {previous}" if previous else "never checked",
            "reason": f"sources check: {doc['verdict']}"
            + (f": {doc['error']}" if doc.get("error") else ""),
            "raised_at": checked_at,
        }
        if store_health_alert(es, alerts_alias, channels, alert, log):
            raised.append(alert)
    if raised:
        deliver_pending(es, config, channels, log)
    return raised
