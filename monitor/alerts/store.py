"""The alerts index read and acknowledged: what `monitor alerts` lists, shows and acks."""

from __future__ import annotations

from typing import Any

from monitor.errors import ConfigError
from monitor.es.config import EsConfig
from monitor.text.dates import utc_now_iso


def list_alerts(
    es: Any,
    config: EsConfig,
    status: str | None = None,
    kind: str | None = None,
    watch_id: str | None = None,
    size: int = 50,
) -> list[dict[str, Any]]:
    """The newest alerts (each its source and `id`), filtered; none before the first alert."""
    alias = config.index_name("alerts")
    if not es.indices.exists_alias(name=alias):
        return []
    terms = {"status": status, "kind": kind, "watch_id": watch_id}
    query = {"bool": {"filter": [{"term": {k: v}} for k, v in terms.items() if v]}}
    hits = es.search(index=alias, query=query, size=size, sort=[{"raised_at": "desc"}])
    return [hit["_source"] | {"id": hit["_id"]} for hit in hits["hits"]["hits"]]


def get_alert(es: Any, config: EsConfig, alert_id: str) -> dict[str, Any]:
    """One alert's source and `id`; ConfigError for an unknown id."""
    found = es.options(ignore_status=404).get(index=config.index_name("alerts"), id=alert_id)
    if not found.get("found"):
        raise ConfigError(f"no alert {alert_id!r} (see: monitor alerts list)")
    return found["_source"] | {"id": alert_id}


def ack_alert(es: Any, config: EsConfig, alert_id: str) -> None:
    """Mark one alert as seen; it stays in the index. ConfigError for an unknown id."""
    get_alert(es, config, alert_id)
    es.update(
        index=config.index_name("alerts"),
        id=alert_id,
        doc={"acked": True, "acked_at": utc_now_iso()},
        refresh=True,
    )
