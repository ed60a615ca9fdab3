"""Source health from the runs index: last success, recent documents, error rate, and a state.

- broken: the last run failed; or it fetched pages but nothing could be stored, because listing
  pages yielded no article links or article pages yielded no text (a layout change);
- silent: none of the last SILENT_RUNS runs found a new document, though earlier runs did;
- ok: otherwise; `never run` when there is no run yet.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from monitor.config import EsConfig
from monitor.es.client import term_buckets

SILENT_RUNS = 3
HISTORY = 20  # runs per source considered


def classify(runs: list[dict[str, Any]]) -> tuple[str, str]:
    """(state, reason) from a source's runs, newest first."""
    if not runs:
        return "never run", "no run recorded"
    last = runs[0]
    stored = last["new_documents"] + last["unchanged"]
    if last["failed"]:
        return "broken", f"last run failed: {last.get('failure') or last.get('finish_reason')}"
    if last["listing_pages"] and not last["listing_links"]:
        return "broken", "listing pages yielded no article links (has the layout changed?)"
    if last["no_text"] and not stored:
        return (
            "broken",
            f"{last['no_text']} pages yielded no article text (has the layout changed?)",
        )
    recent, earlier = runs[:SILENT_RUNS], runs[SILENT_RUNS:]
    quiet = len(recent) == SILENT_RUNS and not any(r["new_documents"] for r in recent)
    if quiet and any(r["new_documents"] for r in earlier):
        return "silent", f"no new documents in the last {SILENT_RUNS} runs"
    return "ok", ""


def recent_runs(es: Elasticsearch, config: EsConfig) -> dict[str, list[dict[str, Any]]]:
    """Each source's last HISTORY runs, newest first (the scheduler reads them too)."""
    latest = {"runs": {"top_hits": {"size": HISTORY, "sort": [{"started_at": "desc"}]}}}
    buckets = term_buckets(es, config.index_name("runs"), "source_id", aggs=latest)
    return {b["key"]: [hit["_source"] for hit in b["runs"]["hits"]["hits"]] for b in buckets}


def source_health(es: Elasticsearch, config: EsConfig) -> list[dict[str, Any]]:
    history = recent_runs(es, config)
    windows = {
        name: {"filter": {"range": {"crawled_at": {"gte": f"now-{span}"}}}}
        for name, span in (("24h", "24h"), ("7d", "7d"))
    }
    recent = {
        b["key"]: {name: b[name]["doc_count"] for name in windows}
        for b in term_buckets(es, config.index_name("articles"), "source_id", aggs=windows)
    }
    report = []
    for source, runs in history.items():
        state, reason = classify(runs)
        pages = sum(r["pages"] for r in runs)
        success = next((r for r in runs if not r["failed"]), None)
        report.append(
            {
                "source": source,
                "state": state,
                "reason": reason,
                "runs": len(runs),
                "last_run": runs[0]["started_at"],
                "last_success": success and success["started_at"],
                "documents_24h": recent.get(source, {}).get("24h", 0),
                "documents_7d": recent.get(source, {}).get("7d", 0),
                "error_rate": round(sum(r["errors"] for r in runs) / pages, 3) if pages else None,
            }
        )
    return sorted(report, key=lambda r: r["source"])
