"""Watch alerts without a percolator: the active watches run as ordinary queries over each batch
of new or changed documents.

- `WatchStore` keeps the watches in `<prefix>-watches`, one document per version: syncing a
  watchlist adds a version when a watch changed and retires versions of watches that are gone.
- `Matcher.match(ids)` runs every active watch over those documents in one `_msearch` (each query
  filtered to the batch with an `ids` filter; chunked for many watches). Each hit becomes an
  alert whose `_id` is derived from (watch id, document id), written with `create`: a re-crawl, a
  re-translation, a second matcher or a retry never makes a second alert. A watch sees only
  documents indexed after it was first created (its backlog is `--backfill`'s business), and a
  new version of a watch keeps its id, so what it alerted on stays alerted.
- `Matcher.catch_up()` matches everything indexed since the checkpoint (`indexed_at`, kept in the
  watches index) and moves it, so nothing is missed when a process dies between indexing and
  matching. The checkpoint stays MARGIN behind the clock: overlap is harmless, gaps are not.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any

from elasticsearch import ConflictError, Elasticsearch

from monitor.alerts.watches import Watch, compile_watch
from monitor.es.bulk import write
from monitor.es.config import EsConfig
from monitor.es.schema import ensure_index
from monitor.search.engine import HIGHLIGHT_FIELDS
from monitor.search.glossary import Glossary
from monitor.text.dates import utc_now_iso

logger = logging.getLogger(__name__)

WATCHES_PER_MSEARCH = 200  # bodies per _msearch request
IDS_PER_QUERY = 1000  # documents per batch query
MARGIN = timedelta(seconds=30)  # the checkpoint trails the clock by this much
CACHE_SECONDS = 5.0  # active watches are re-read this often
CHECKPOINT_ID = "checkpoint"
HIGHLIGHT = {
    "fields": {name: {} for name in [*HIGHLIGHT_FIELDS, "title.zh", "title.en", "title_en"]},
    "fragment_size": 160,
    "number_of_fragments": 1,
}
_EM = re.compile(r"<em>(.*?)</em>")
_RAISING = threading.Lock()  # one crawl process runs a matcher per source
ORDER = [{"indexed_at": "asc"}, {"canonical_url": "asc"}]  # the URL breaks ties: one per document
ALERT_SOURCE = [
    "version",  # events: a new version, a withdrawn page (event_of)
    "changes",
    "withdrawn_at",
    "title",
    "title_en",
    "url",
    "canonical_url",
    "source_id",
    "published_at",
    "language",
    "doc_type",
    "indexed_at",
    "story_id",  # reprints of one story: one alert per watch, the others `also_in` it
]
ALSO_IN_FIELDS = ("document_id", "source_id", "url", "title", "published_at")
ALSO_IN_MAX = 50  # reprints listed with one alert


def alert_id(watch_id: str, document_id: str, event: str = "new") -> str:
    """One alert per (watch, story) for `new` whatever the process or retry (`document_id` is
    the story's id: a story's id is that of its first document, so an alert on the first
    document of a story has the id it had before stories); per version for `changed`
    ("changed:v3"); one per withdrawal."""
    key = f"{watch_id}\n{document_id}" + ("" if event == "new" else f"\n{event}")
    return "watch:" + hashlib.sha1(key.encode()).hexdigest()


def event_of(watch: Watch, source: dict[str, Any]) -> str | None:
    """What a matching document is to this watch: `withdrawn` (a re-check found it gone),
    `changed:vN` (a new version, for watches `on: [changed]`), `new`; None when the watch does
    not alert on it."""
    if source.get("withdrawn_at"):
        return "withdrawn" if "withdrawn" in watch.on else None
    version = source.get("version") or 1
    if version > 1 and "changed" in watch.on:
        return f"changed:v{version}"
    return "new" if "new" in watch.on else None


@dataclass(frozen=True)
class ActiveWatch:
    watch: Watch
    version: int
    first_created_at: str
    query: dict[str, Any]

    @cached_property
    def query_json(self) -> str:
        """The query serialized once: a round sends every watch's query again."""
        return json.dumps(self.query, ensure_ascii=False, separators=(",", ":"))


class WatchStore:
    def __init__(self, es: Elasticsearch, config: EsConfig):
        self.es, self.config = es, config
        self.alias = ensure_index(es, config, "watches")

    def versions(self) -> dict[str, list[dict[str, Any]]]:
        hits = self.es.search(
            index=self.alias, query={"term": {"kind": "watch"}}, size=10_000, sort=["version"]
        )["hits"]["hits"]
        found: dict[str, list[dict[str, Any]]] = {}
        for hit in hits:
            found.setdefault(hit["_source"]["watch_id"], []).append(hit["_source"])
        return found

    def sync(self, watches: list[Watch], glossary: Glossary | None) -> dict[str, str]:
        """Make the stored active versions those of `watches`; {watch id: what happened}."""
        now = utc_now_iso()
        known = self.versions()
        actions, changes = [], {}
        for watch in watches:
            history = known.get(watch.id, [])
            active = next((v for v in reversed(history) if v["active"]), None)
            if active and active["spec_hash"] == watch.digest_hash and watch.enabled:
                continue
            if active:
                actions.append(
                    (
                        "update",
                        f"{watch.id}:v{active['version']}",
                        {"active": False, "retired_at": now},
                    )
                )
            if not watch.enabled:
                changes[watch.id] = "disabled" if active else "unchanged"
                continue
            version = (history[-1]["version"] + 1) if history else 1
            first = history[0]["first_created_at"] if history else now
            doc = {
                "kind": "watch",
                "watch_id": watch.id,
                "version": version,
                "active": True,
                "name": watch.name,
                "spec": watch.spec(),
                "spec_hash": watch.digest_hash,
                "query": compile_watch(watch, glossary),
                "created_at": now,
                "first_created_at": first,
            }
            actions.append(("create", f"{watch.id}:v{version}", doc))
            changes[watch.id] = f"version {version}" if history else "added"
        wanted = {w.id for w in watches}
        for watch_id, history in known.items():
            for version in history:
                if version["active"] and watch_id not in wanted:
                    actions.append(
                        (
                            "update",
                            f"{watch_id}:v{version['version']}",
                            {"active": False, "retired_at": now},
                        )
                    )
                    changes[watch_id] = "removed"
        errors = [e for _, e in write(self.es, self.alias, actions, refresh=True) if e]
        if errors:
            raise RuntimeError(f"watches not stored: {errors[0]}")
        return changes

    def active(self) -> list[ActiveWatch]:
        hits = self.es.search(
            index=self.alias,
            query={"bool": {"filter": [{"term": {"kind": "watch"}}, {"term": {"active": True}}]}},
            size=10_000,
        )["hits"]["hits"]
        return [
            ActiveWatch(
                Watch.from_spec(h["_source"]["spec"]),
                h["_source"]["version"],
                h["_source"]["first_created_at"],
                h["_source"]["query"],
            )
            for h in hits
        ]

    def checkpoint(self) -> str | None:
        found = self.es.options(ignore_status=404).get(index=self.alias, id=CHECKPOINT_ID)
        return found["_source"].get("indexed_at") if found.get("found") else None

    def move_checkpoint(self, indexed_at: str) -> None:
        doc = {"kind": "checkpoint", "indexed_at": indexed_at}
        write(self.es, self.alias, [("update", CHECKPOINT_ID, doc)])


class Matcher:
    """Runs the active watches over batches of documents and writes the alerts (blocking: call
    it off the reactor). `on_alerts` receives the alerts it created (for delivery)."""

    def __init__(
        self,
        es: Elasticsearch,
        config: EsConfig,
        on_alerts: Callable[[list[dict[str, Any]]], None] | None = None,
    ):
        self.es, self.config = es, config
        self.store = WatchStore(es, config)
        self.articles = config.index_name("articles")
        self.alerts = ensure_index(es, config, "alerts")
        self.on_alerts = on_alerts
        self._watches: list[ActiveWatch] = []
        self._read_at = 0.0
        self.stats = {"batches": 0, "documents": 0, "alerts": 0, "queries": 0, "joined": 0}

    def watches(self) -> list[ActiveWatch]:
        if time.monotonic() - self._read_at > CACHE_SECONDS:
            self._watches = self.store.active()
            self._read_at = time.monotonic()
        return self._watches

    def reload(self) -> None:
        self._read_at = 0.0

    # --- matching ---------------------------------------------------------------------------

    def match(
        self, ids: list[str], backlog: bool = False, only: str | None = None
    ) -> list[dict[str, Any]]:
        """Alerts for the documents `ids` (already searchable); returns those newly created.
        `backlog`: also documents indexed before the watch existed (--backfill); `only`: that
        watch alone."""
        watches = [a for a in self.watches() if only is None or a.watch.id == only]
        if not ids or not watches:
            return []
        self.stats["batches"] += 1
        self.stats["documents"] += len(ids)
        found: list[tuple[ActiveWatch, dict[str, Any]]] = []
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = ids[start : start + IDS_PER_QUERY]
            for first in range(0, len(watches), WATCHES_PER_MSEARCH):
                group = watches[first : first + WATCHES_PER_MSEARCH]
                found += self._msearch(group, chunk, backlog)
        return self._raise(found)

    def _msearch(
        self, group: list[ActiveWatch], ids: list[str], backlog: bool
    ) -> list[tuple[ActiveWatch, dict[str, Any]]]:
        """One `_msearch` of the group's queries over the batch, written as NDJSON by hand: the
        batch's part once, each watch's query as serialized when it was loaded."""
        header = json.dumps({"index": self.articles})
        ids_filter = json.dumps({"ids": {"values": ids}})
        rest = json.dumps({"size": len(ids), "_source": ALERT_SOURCE, "highlight": HIGHLIGHT})[1:]
        lines = []
        for active in group:
            filters = ids_filter
            if not backlog:
                since = json.dumps({"range": {"indexed_at": {"gte": active.first_created_at}}})
                filters += "," + since
            floor = active.watch.min_score
            score = f'"min_score":{floor},' if floor is not None else ""
            query = f'{{"bool":{{"must":[{active.query_json}],"filter":[{filters}]}}}}'
            lines += [header, f'{{{score}"query":{query},{rest}']
        self.stats["queries"] += len(group)
        responses = self.es.msearch(body="\n".join(lines) + "\n")["responses"]
        found = []
        for active, response in zip(group, responses, strict=True):
            if "error" in response:
                logger.error("watch %s: query failed: %s", active.watch.id, response["error"])
                continue
            found += [(active, hit) for hit in response["hits"]["hits"]]
        return found

    def _raise(self, found: list[tuple[ActiveWatch, dict[str, Any]]]) -> list[dict[str, Any]]:
        if not found:
            return []
        with _RAISING:  # the rate limit counts what the other threads of this process raised
            return self._raise_counted(found)

    def _raise_counted(
        self, found: list[tuple[ActiveWatch, dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        now = datetime.now(timezone.utc)
        queued = self._recent_immediate(sorted({a.watch.id for a, _ in found}), now)
        # a story's first document first: the one its alert names when reprints come together
        found = sorted(found, key=lambda pair: _story(pair[1]) != pair[1]["_id"])
        docs: list[tuple[str, dict[str, Any]]] = []
        by_id: dict[str, dict[str, Any]] = {}
        for active, hit in found:
            event = event_of(active.watch, hit["_source"])
            if event is None:
                continue
            # a new document alerts once per story: a reprint in the same batch joins the
            # alert of the first; one of a story alerted before joins that alert (_join)
            story = _story(hit)
            key = story if event == "new" else hit["_id"]
            if (first := by_id.get(alert_id(active.watch.id, key, event))) is not None:
                _add_member(first, also_in(hit))
                continue
            alert = alert_document(active, hit, now) | {"event": event.split(":")[0]}
            if event == "new":
                alert["story_id"] = story
            if event.startswith("changed"):
                alert["changes"] = hit["_source"].get("changes")
            watch = active.watch
            if not watch.channels:  # nobody to tell: kept in the index, for Kibana and `alerts`
                alert["status"] = "stored"
            elif watch.mode == "digest":
                alert |= {"status": "queued", "digest_due": watch.digest.due_after(now).isoformat()}
            elif queued.get(watch.id, 0) >= watch.rate_limit.max:  # a flood: fold into a digest
                due = now + watch.rate_limit.fold_after
                alert |= {"status": "queued", "digest_due": due.isoformat(), "mode": "folded"}
            else:
                queued[watch.id] = queued.get(watch.id, 0) + 1
            docs.append((alert_id(watch.id, key, event), alert))
            by_id[docs[-1][0]] = alert
        if not docs:
            return []
        results = write(self.es, self.alerts, [("create", i, d) for i, d in docs], refresh=True)
        created = [
            d | {"_id": i} for (i, d), (r, e) in zip(docs, results, strict=True) if r == "created"
        ]
        joined = {
            i: d
            for (i, d), (r, _) in zip(docs, results, strict=True)
            if r == "exists" and d.get("event") == "new"
        }
        if joined:
            self._join(joined)
        for (_, alert), (_, error) in zip(docs, results, strict=True):
            if error:
                logger.error("watch %s: alert not stored: %s", alert["watch_id"], error)
        self.stats["alerts"] += len(created)
        if created and self.on_alerts:
            self.on_alerts(created)
        return created

    def _join(self, alerts: dict[str, dict[str, Any]]) -> None:
        """Reprints whose story a watch alerted on before join that alert's `also_in` (not a
        new alert): read, extended, written back only if nobody wrote it meanwhile (retried)."""
        for alert_key, alert in alerts.items():
            members = [also_in_of(alert), *alert.get("also_in", [])]
            for _ in range(3):
                stored = self.es.options(ignore_status=404).get(index=self.alerts, id=alert_key)
                if not stored.get("found"):
                    break
                current = stored["_source"]
                before = len(current.get("also_in") or [])
                for member in members:
                    _add_member(current, member)
                if len(current.get("also_in") or []) == before:
                    break  # a re-match: these reprints are listed already
                try:
                    self.es.update(
                        index=self.alerts,
                        id=alert_key,
                        doc={"also_in": current["also_in"]},
                        if_seq_no=stored["_seq_no"],
                        if_primary_term=stored["_primary_term"],
                        refresh=True,
                    )
                    self.stats["joined"] += 1
                    break
                except ConflictError:
                    continue

    def _recent_immediate(self, watch_ids: list[str], now: datetime) -> dict[str, int]:
        """Immediate alerts each watch raised within its rate-limit period (the longest asked)."""
        periods = {a.watch.id: a.watch.rate_limit.per for a in self.watches()}
        since = now - max(
            (periods.get(w, timedelta(hours=1)) for w in watch_ids), default=timedelta(hours=1)
        )
        response = self.es.search(
            index=self.alerts,
            size=0,
            query={
                "bool": {
                    "filter": [
                        {"term": {"kind": "watch"}},
                        {"terms": {"watch_id": watch_ids}},
                        {"range": {"raised_at": {"gte": since.isoformat()}}},
                        {"terms": {"status": ["pending", "sending", "delivered", "failed"]}},
                    ]
                }
            },
            aggs={"by": {"terms": {"field": "watch_id", "size": len(watch_ids)}}},
        )
        return {b["key"]: b["doc_count"] for b in response["aggregations"]["by"]["buckets"]}

    # --- catching up ------------------------------------------------------------------------

    def catch_up(self, page: int = 500) -> int:
        """Match what was indexed since the checkpoint; move it. Returns documents matched."""
        checkpoint = self.store.checkpoint()
        if checkpoint is None:  # the first matcher ever starts from now: no backlog alerts
            self.store.move_checkpoint((datetime.now(timezone.utc) - MARGIN).isoformat())
            return 0
        if not self.es.indices.exists_alias(name=self.articles):
            return 0
        self.es.indices.refresh(index=self.articles)
        limit = datetime.now(timezone.utc) - MARGIN
        query = {"range": {"indexed_at": {"gte": checkpoint}}}
        after, matched, newest = None, 0, checkpoint
        while True:
            extra = {"search_after": after} if after else {}
            hits = self.es.search(
                index=self.articles,
                query=query,
                sort=ORDER,
                size=page,
                source=["indexed_at"],
                **extra,
            )["hits"]["hits"]
            if not hits:
                break
            self.match([h["_id"] for h in hits])
            matched += len(hits)
            newest = hits[-1]["_source"]["indexed_at"]
            after = hits[-1]["sort"]
            if len(hits) < page:
                break
        moved = max(_time(checkpoint), min(_time(newest), limit))
        self.store.move_checkpoint(moved.isoformat())
        return matched

    def backfill(self, watch_id: str, page: int = 500) -> int:
        """Alert once on every stored document the watch matches (`monitor watch add
        --backfill`); returns the alerts created."""
        active = [a for a in self.watches() if a.watch.id == watch_id]
        if not active:
            return 0
        created, after = 0, None
        while True:
            extra = {"search_after": after} if after else {}
            hits = self.es.search(
                index=self.articles,
                query=active[0].query,
                sort=ORDER,
                size=page,
                source=False,
                **extra,
            )["hits"]["hits"]
            if not hits:
                return created
            ids = [h["_id"] for h in hits]
            created += len(self.match(ids, backlog=True, only=watch_id))
            after = hits[-1]["sort"]


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _story(hit: dict[str, Any]) -> str:
    return hit["_source"].get("story_id") or hit["_id"]


def also_in(hit: dict[str, Any]) -> dict[str, Any]:
    """A reprint as an alert lists it."""
    source = hit["_source"]
    return {
        "document_id": hit["_id"],
        "source_id": source.get("source_id"),
        "url": source.get("canonical_url") or source.get("url"),
        "title": source.get("title"),
        "published_at": source.get("published_at"),
    }


def also_in_of(alert: dict[str, Any]) -> dict[str, Any]:
    """The document of an alert, as another alert of its story would list it."""
    return {name: alert.get(name) for name in ALSO_IN_FIELDS}


def _add_member(alert: dict[str, Any], member: dict[str, Any]) -> None:
    """List a reprint with the alert, once, and not the alert's own document."""
    listed = alert.setdefault("also_in", [])
    known = {alert.get("document_id"), *(m.get("document_id") for m in listed)}
    if member["document_id"] not in known and len(listed) < ALSO_IN_MAX:
        listed.append(member)


def alert_document(active: ActiveWatch, hit: dict[str, Any], now: datetime) -> dict[str, Any]:
    source = hit["_source"]
    highlight = hit.get("highlight", {})
    fragments = [f for name in HIGHLIGHT_FIELDS if (f := highlight.get(name))]
    snippet = " … ".join(f[0] for f in fragments[:2])
    marked = " ".join(f for fs in highlight.values() for f in fs)
    matched = [t for t in active.watch.terms if t.lower() in marked.lower()] or list(
        dict.fromkeys(m.lower() for m in _EM.findall(marked))
    )[:10]
    watch = active.watch
    return {
        "kind": "watch",
        "watch_id": watch.id,
        "watch_version": active.version,
        "watch_name": watch.name,
        "document_id": hit["_id"],
        "source_id": source.get("source_id"),
        "title": source.get("title"),
        "title_en": source.get("title_en"),
        "url": source.get("canonical_url") or source.get("url"),
        "published_at": source.get("published_at"),
        "language": source.get("language"),
        "doc_type": source.get("doc_type"),
        "matched": matched,
        "snippet": " ".join(snippet.split())[:600],
        "score": hit.get("_score"),
        "mode": watch.mode,
        "raised_at": now.isoformat(),
        "status": "pending",
        "channels": list(watch.channels),
        "delivered_to": [],
        "attempts": 0,
    }
