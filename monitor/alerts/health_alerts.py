"""Source health changes become alerts: stored in the alerts index, then delivered to the channels
named under `health:` in the channels file.

After each crawl the runner compares every crawled source's state (monitor.alerts.health.classify)
with the state stored on its previous run. A change (ok → broken, ok → silent, broken → ok, ...) is
an alert whose `_id` is (source, run), created with `create`: however many processes look, it
exists once. A source's first run raises nothing when it is fine.

Delivery happens after the alert is stored. A channel that fails leaves the alert `pending` with
the error; every later check (the next crawl of any source) retries it, and after MAX_ATTEMPTS it
is marked `failed` and logged as such, not dropped silently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from elasticsearch import Elasticsearch

from monitor.alerts.delivery import deliver_pending
from monitor.alerts.health import Rhythm, classify, recent_runs, rhythms
from monitor.es.bulk import write
from monitor.es.config import EsConfig
from monitor.es.schema import ensure_index
from monitor.notify.channels import Channels
from monitor.text.dates import utc_now_iso

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def health_changes(
    history: dict[str, list[dict[str, Any]]],
    paces: dict[str, Rhythm] | None = None,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], list[tuple[str, dict[str, Any]]]]:
    """(alerts, run updates): an alert for each source whose newest run changed its state, and
    the state to store on each newest run (the next run compares with it)."""
    alerts, updates = [], []
    now = now or datetime.now(timezone.utc)
    for source, runs in sorted(history.items()):
        live = [r for r in runs if not r.get("interrupted")]
        if not live:
            continue
        state, reason = classify(live, (paces or {}).get(source), now)
        newest = live[0]
        updates.append(
            (f"{newest['run_id']}:{source}", {"health": state, "health_reason": reason or None})
        )
        if len(live) > 1 and live[1].get("health"):
            before = live[1]["health"]
        else:  # runs recorded before states were stored: their runs alone (no rhythm) decide
            before, _ = classify(live[1:])
        if state == before or (before == "never run" and state == "ok"):
            continue
        alerts.append(
            {
                "kind": "source_health",
                "source_id": source,
                "run_id": newest.get("run_id"),
                "state": state,
                "previous_state": before,
                "reason": reason or f"back to {state}",
            }
        )
    return alerts, updates


def raise_health_alerts(
    es: Elasticsearch,
    config: EsConfig,
    channels: Channels,
    sources: list[str],
    log: Callable[[str], None] = logger.warning,
) -> list[dict[str, Any]]:
    """Store the health changes of these sources as alerts and deliver what is pending."""
    alias = ensure_index(es, config, "alerts")
    history = {s: runs for s, runs in recent_runs(es, config).items() if s in sources}
    alerts, updates = health_changes(history, rhythms(es, config))
    runs_alias = config.index_name("runs")
    for error in (e for _, e in write(es, runs_alias, [("update", i, d) for i, d in updates]) if e):
        log(f"warning: a run's health state was not stored: {error}")
    raised = [alert for alert in alerts if store_health_alert(es, alias, channels, alert, log)]
    deliver_pending(es, config, channels, log)
    return raised


def store_health_alert(
    es: Elasticsearch,
    alias: str,
    channels: Channels,
    alert: dict[str, Any],
    log: Callable[[str], None] = logger.warning,
) -> bool:
    """Store one source health alert (its `_id` from the source and the run or check: once
    however many processes look), ready for the `health:` channels; whether it was new."""
    alert |= {
        "raised_at": alert.get("raised_at") or utc_now_iso(),
        "status": "pending" if channels.health else "stored",  # no channel: kept, not sent
        "channels": list(channels.health),
        "delivered_to": [],
        "attempts": 0,
    }
    alert_id = f"health:{alert['source_id']}:{alert['run_id']}"
    [(result, error)] = write(es, alias, [("create", alert_id, alert)], refresh=True)
    if error:
        log(f"warning: health alert for {alert['source_id']} not stored: {error}")
        return False
    if result == "created":
        change = f"{alert['previous_state']} → {alert['state']}"
        log(f"source {alert['source_id']}: {change}: {alert['reason']}")
        return True
    return False
