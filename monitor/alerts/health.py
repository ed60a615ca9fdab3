"""Source health from the runs index and the source's own publishing rhythm.

- broken:
  - the last run failed (it could not run, or fetched nothing at all);
  - its own pages (listings, feeds, sitemaps, API lists) gave no article link and none answered
    304: a feed URL that answers 404 or 503, an HTML page configured as a feed, a feed the parser
    refuses, a listing whose selector finds nothing (a layout change);
  - pages were fetched but nothing could be stored: every article failed to fetch (5xx, timeouts)
    or yielded no text;
- silent: no new document for longer than the source's usual rhythm allows: SILENT_GAPS times its
  median gap between documents (by publication date, else by when they were first seen), and at
  least MIN_SILENCE. A source with fewer than MIN_DOCUMENTS documents has no known rhythm and is
  never silent;
- ok: otherwise; `never run` when there is no run yet.

Runs stopped by Ctrl-C or SIGTERM (`interrupted`) are left out: they say nothing of the source.
The parts of one shared crawl (distributed mode: several workers on one source) count as one run.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from elasticsearch import Elasticsearch

from monitor.es.client import term_buckets
from monitor.es.config import EsConfig

HISTORY = 20  # runs per source considered
RHYTHM_DOCUMENTS = 50  # newest documents per source whose gaps give its rhythm
MIN_DOCUMENTS = 5
SILENT_GAPS = 4
MIN_SILENCE = timedelta(hours=24)


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.0f} days" if hours >= 48 else f"{max(hours, 0):.0f} h"


@dataclass(frozen=True)
class Rhythm:
    """How often a source brings something new: its median gap and its newest document."""

    documents: int
    median_gap: timedelta | None
    last_new: datetime | None  # when the newest document was first stored

    @property
    def allowed_silence(self) -> timedelta | None:
        if self.documents < MIN_DOCUMENTS or self.median_gap is None:
            return None
        return max(self.median_gap * SILENT_GAPS, MIN_SILENCE)

    def silence(self, now: datetime) -> str | None:
        """Why the source counts as silent at `now`, or None."""
        allowed = self.allowed_silence
        if allowed is None or self.last_new is None or now - self.last_new <= allowed:
            return None
        return (
            f"no new document for {_span(now - self.last_new)}; it usually brings one every "
            f"{_span(self.median_gap)} (silent after {_span(allowed)})"
        )

    @classmethod
    def from_documents(cls, docs: list[dict[str, Any]]) -> Rhythm:
        """From documents' `published_at` / `first_seen_at`, newest first or in any order."""
        stamps = sorted(
            t for d in docs if (t := _time(d.get("published_at") or d.get("first_seen_at")))
        )
        gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False) if b > a]
        seen = [t for d in docs if (t := _time(d.get("first_seen_at")))]
        return cls(
            documents=len(docs),
            median_gap=statistics.median(gaps) if gaps else None,
            last_new=max(seen) if seen else None,
        )


# a shared crawl's parts, summed into one run (the rest is the newest part's)
PART_COUNTS = ("pages", "new_documents", "unchanged", "skipped", "errors", "no_text", "known",
               "not_modified", "listing_pages", "listing_links", "links")  # fmt: skip


def merge_parts(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs, newest first, with the parts of each shared crawl as one run: its counts summed,
    failed or interrupted only when every part was, its health state whichever part holds it."""
    merged: list[dict[str, Any]] = []
    whole: dict[str, dict[str, Any]] = {}
    for run in runs:
        key = run.get("shared")
        if not key:
            merged.append(run)
        elif key not in whole:
            whole[key] = dict(run)
            merged.append(whole[key])
        else:
            into = whole[key]
            for name in PART_COUNTS:
                into[name] = into.get(name, 0) + run.get(name, 0)
            for name in ("failed", "interrupted"):
                into[name] = bool(into.get(name) and run.get(name))
            into["errors_by_kind"] = {**(run.get("errors_by_kind") or {}),
                                      **(into.get("errors_by_kind") or {})}  # fmt: skip
            if not into.get("health") and run.get("health"):
                into["health"], into["health_reason"] = run["health"], run.get("health_reason")
    return merged


def _stored(run: dict[str, Any]) -> int:
    return run["new_documents"] + run["unchanged"]


def classify(
    runs: list[dict[str, Any]], rhythm: Rhythm | None = None, now: datetime | None = None
) -> tuple[str, str]:
    """(state, reason) from a source's runs, newest first, and its rhythm."""
    runs = [r for r in runs if not r.get("interrupted")]
    if not runs:
        return "never run", "no run recorded"
    last = runs[0]
    if last["failed"]:
        return "broken", f"last run failed: {last.get('failure') or last.get('finish_reason')}"
    if last["listing_pages"] and not last["listing_links"]:
        return "broken", "listing pages yielded no article links (has the layout changed?)"
    if not last.get("links", 1) and not last.get("not_modified") and not last.get("known"):
        errors = ", ".join(f"{k} ×{v}" for k, v in (last.get("errors_by_kind") or {}).items())
        why = f" ({errors})" if errors else " (not a feed, or an empty one?)"
        return "broken", f"the source's pages gave no article links{why}"
    if last["errors"] and not _stored(last) and not last.get("known"):
        return "broken", f"{last['errors']} pages failed and nothing could be stored"
    if last["no_text"] and not _stored(last):
        return (
            "broken",
            f"{last['no_text']} pages yielded no article text (has the layout changed?)",
        )
    silence = rhythm.silence(now or datetime.now(timezone.utc)) if rhythm else None
    if silence:
        return "silent", silence
    return "ok", ""


def recent_runs(es: Elasticsearch, config: EsConfig) -> dict[str, list[dict[str, Any]]]:
    """Each source's last HISTORY runs, newest first (the scheduler reads them too)."""
    latest = {"runs": {"top_hits": {"size": HISTORY, "sort": [{"started_at": "desc"}]}}}
    buckets = term_buckets(es, config.index_name("runs"), "source_id", aggs=latest)
    return {
        b["key"]: merge_parts([hit["_source"] for hit in b["runs"]["hits"]["hits"]])
        for b in buckets
    }


def rhythms(es: Elasticsearch, config: EsConfig) -> dict[str, Rhythm]:
    """Each source's publishing rhythm, from its newest documents."""
    newest = {
        "newest": {
            "top_hits": {
                "size": RHYTHM_DOCUMENTS,
                "sort": [{"first_seen_at": "desc"}],
                "_source": ["published_at", "first_seen_at"],
            }
        },
        "count": {"value_count": {"field": "first_seen_at"}},
    }
    buckets = term_buckets(es, config.index_name("articles"), "source_id", aggs=newest)
    found = {}
    for bucket in buckets:
        rhythm = Rhythm.from_documents([h["_source"] for h in bucket["newest"]["hits"]["hits"]])
        found[bucket["key"]] = Rhythm(bucket["doc_count"], rhythm.median_gap, rhythm.last_new)
    return found


def source_health(
    es: Elasticsearch, config: EsConfig, now: datetime | None = None
) -> list[dict[str, Any]]:
    history = recent_runs(es, config)
    paces = rhythms(es, config)
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
        rhythm = paces.get(source)
        state, reason = classify(runs, rhythm, now)
        pages = sum(r["pages"] for r in runs)
        success = next((r for r in runs if not r["failed"]), None)
        gap = rhythm.median_gap if rhythm else None
        report.append(
            {
                "source": source,
                "state": state,
                "reason": reason,
                "runs": len(runs),
                "last_run": runs[0]["started_at"],
                "last_success": success and success["started_at"],
                "last_new_document": rhythm.last_new.isoformat()
                if rhythm and rhythm.last_new
                else None,
                "usual_gap_hours": round(gap.total_seconds() / 3600, 1) if gap else None,
                "documents_24h": recent.get(source, {}).get("24h", 0),
                "documents_7d": recent.get(source, {}).get("7d", 0),
                "error_rate": round(sum(r["errors"] for r in runs) / pages, 3) if pages else None,
            }
        )
    return sorted(report, key=lambda r: r["source"])
