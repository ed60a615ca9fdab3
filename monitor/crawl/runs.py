"""Run records: one document per source per `monitor crawl`, in the runs index, from the crawler's
stats. `monitor status` (monitor.alerts.health) and Kibana read them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from elasticsearch import Elasticsearch

from monitor.crawl.summary import ERROR_STAGES, SourceSummary
from monitor.es.bulk import write
from monitor.es.config import EsConfig
from monitor.es.schema import ensure_index

STATUS_PREFIX = "downloader/response_status_count/"
FETCH_ERRORS = "monitor/fetch/errors/"
LINK_KEYS = ("listing/links", "feed/entries", "sitemap/urls", "api/entries")


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    return None


def run_document(run_id: str, summary: SourceSummary, stats: Mapping[str, Any]) -> dict[str, Any]:
    """The runs-index document for one source of one crawl."""
    errors = {
        k.removeprefix(FETCH_ERRORS): v for k, v in stats.items() if k.startswith(FETCH_ERRORS)
    }
    for stage in ERROR_STAGES:
        if stats.get(f"monitor/{stage}/errors"):
            errors[f"{stage}_errors"] = stats[f"monitor/{stage}/errors"]
    started, finished = stats.get("start_time"), stats.get("finish_time")
    duration = (finished - started).total_seconds() if started and finished else None
    return {
        "run_id": run_id,
        "source_id": summary.source,
        "source_type": summary.type,
        "started_at": _iso(started),
        "finished_at": _iso(finished),
        "duration_seconds": duration,
        "finish_reason": summary.finish_reason,
        "failed": summary.failed,
        "interrupted": summary.interrupted,
        "reasons": summary.reasons,
        "failure": summary.why_failed,
        "pages": summary.pages,
        "new_documents": summary.indexed,
        "unchanged": summary.unchanged,
        "skipped": summary.skipped,
        "errors": summary.errors,
        "known": summary.known,
        "shared": summary.shared,  # parts of one shared crawl: judged together (alerts.health)
        "not_modified": summary.not_modified,
        "no_text": stats.get("monitor/extract/no_text", 0),
        "attachments": stats.get("monitor/attachments/fetched", 0),
        "attachment_errors": stats.get("monitor/attachments/errors", 0),
        "attachment_pages": stats.get("monitor/attachments/pdf_pages", 0),
        "attachment_extract_seconds": stats.get("monitor/attachments/extract_ms", 0) / 1000,
        "listing_pages": stats.get("monitor/listing/pages", 0),
        "listing_links": stats.get("monitor/listing/links", 0),
        "links": sum(stats.get(f"monitor/{key}", 0) for key in LINK_KEYS),
        "bytes": stats.get("downloader/response_bytes", 0),
        "errors_by_kind": errors,
        "http_status": {
            k.removeprefix(STATUS_PREFIX): v
            for k, v in stats.items()
            if k.startswith(STATUS_PREFIX)
        },
    }


def record_runs(es: Elasticsearch, config: EsConfig, documents: list[dict[str, Any]]) -> list[str]:
    """Write run documents; returns the errors the cluster gave (empty when all were written)."""
    alias = ensure_index(es, config, "runs")
    actions = [("create", f"{d['run_id']}:{d['source_id']}", d) for d in documents]
    return [error for _, error in write(es, alias, actions, refresh=True) if error]


def prune_runs(
    es: Elasticsearch, config: EsConfig, retention: timedelta, now: datetime | None = None
) -> int:
    """Delete the run records that started more than `retention` ago (MONITOR_RUNS_RETENTION):
    a source crawled every minute writes 1,440 a day. Returns how many went."""
    alias = config.index_name("runs")
    if not es.indices.exists_alias(name=alias):
        return 0
    cutoff = ((now or datetime.now(timezone.utc)) - retention).isoformat()
    query = {"range": {"started_at": {"lt": cutoff}}}
    deleted = 0
    # a search and a bulk delete per thousand, not _delete_by_query: the reindex module that
    # provides it is not in every distribution (the local node's integ-test zip has none)
    for _ in range(MAX_PRUNE_ROUNDS):
        hits = es.search(index=alias, query=query, size=1000, source=False)["hits"]["hits"]
        if not hits:
            break
        actions = [("delete", hit["_id"], None) for hit in hits]
        deleted += sum(1 for _, error in write(es, alias, actions, refresh=True) if not error)
    return deleted


MAX_PRUNE_ROUNDS = 100  # 100,000 records a call at most: the next call goes on
