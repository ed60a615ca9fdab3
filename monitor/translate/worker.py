"""The translation worker: takes pending documents from Elasticsearch in batches, translates them
together, writes the translation back. Several workers (processes, machines) share the backlog.

Claiming is optimistic: a worker marks a batch `in_progress` with `if_seq_no`/`if_primary_term`, so
of two workers reading the same document only one claim succeeds; the result is written under the
same guard, so a worker whose claim went stale (its lease ran out and another worker took over)
cannot overwrite the newer work. A document claimed by a worker that died is claimable again once
its lease (MONITOR_TRANSLATE_LEASE) has passed.

Statuses: pending → in_progress → done | failed; `unavailable` when no model is installed for the
document's language (picked up again once one is); `not_needed` for English documents unless an
en→zh model is installed. A failed attempt (a model error, a transient fault) puts the document
back to `pending` with `attempts` and a `retry_at` after a backoff (RETRY_BASE_SECONDS, doubling);
after MONITOR_TRANSLATE_ATTEMPTS it is `failed` with the reason, and `monitor translate
--retry-failed` makes it pending again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from elasticsearch import Elasticsearch

from monitor.es.config import EsConfig
from monitor.text.dates import utc_now_iso
from monitor.translate.config import TranslateConfig
from monitor.translate.engine import Engine

logger = logging.getLogger(__name__)

TARGET = {"en": "zh"}  # everything else is translated into English
RETRY_BASE_SECONDS = 60  # a failed attempt waits this long, then twice as long, ...


def target_of(language: str) -> str:
    return TARGET.get(language, "en")


class TranslationWorker:
    def __init__(
        self,
        es: Elasticsearch,
        es_config: EsConfig,
        config: TranslateConfig,
        engines: dict[str, Engine],
        worker_id: str | None = None,
        on_translated: Callable[[list[str]], None] | None = None,
    ):
        self.on_translated = on_translated  # the watch matcher: translations can match too
        self.es, self.config, self.engines = es, config, engines
        self.index = es_config.index_name("articles")
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.totals: Counter = Counter()
        self.last_seen = 0

    # --- selection ---------------------------------------------------------------------------

    def _statuses(self, language: str) -> list[str]:
        return ["pending", "unavailable"] + (["not_needed"] if language == "en" else [])

    def _eligible(self) -> dict[str, Any]:
        expired = (
            datetime.now(timezone.utc) - timedelta(seconds=self.config.lease_seconds)
        ).isoformat()
        per_language = [
            {
                "bool": {
                    "filter": [
                        {"term": {"language": lang}},
                        {"terms": {"translation.status": self._statuses(lang)}},
                    ],
                    "must_not": [{"range": {"translation.retry_at": {"gt": "now"}}}],
                }
            }
            for lang in self.engines
        ]
        stale = {
            "bool": {
                "filter": [
                    {"term": {"translation.status": "in_progress"}},
                    {"range": {"translation.claimed_at": {"lt": expired}}},
                    {"terms": {"language": list(self.engines)}},
                ]
            }
        }
        return {"bool": {"should": [*per_language, stale], "minimum_should_match": 1}}

    def _guarded(self, hits: list[dict], docs: list[dict]) -> list[dict | None]:
        """Update each hit with its doc, only if unchanged since read; the new hit or None."""
        operations: list[dict] = []
        for hit, doc in zip(hits, docs, strict=True):
            operations += [
                {
                    "update": {
                        "_index": hit["_index"],
                        "_id": hit["_id"],
                        "if_seq_no": hit["_seq_no"],
                        "if_primary_term": hit["_primary_term"],
                    }
                },
                {"doc": doc},
            ]
        if not operations:
            return []
        response = self.es.bulk(operations=operations, refresh="wait_for")
        out = []
        for hit, item in zip(hits, response["items"], strict=True):
            result = item["update"]
            if result.get("error"):
                if result.get("status") != 409:
                    logger.error("translation: updating %s failed: %s", hit["_id"], result["error"])
                out.append(None)
            else:
                out.append(
                    {**hit, "_seq_no": result["_seq_no"], "_primary_term": result["_primary_term"]}
                )
        return out

    def mark_unavailable(self) -> int:
        """Documents waiting for a model that is not installed: status `unavailable`."""
        query = {
            "bool": {
                "filter": [{"term": {"translation.status": "pending"}}],
                "must_not": [{"terms": {"language": [*self.engines, "en"]}}],
            }
        }
        marked = 0
        while True:
            hits = self.es.search(
                index=self.index, query=query, size=500, seq_no_primary_term=True, source=False
            )["hits"]["hits"]
            if not hits:
                return marked
            done = self._guarded(hits, [{"translation": {"status": "unavailable"}}] * len(hits))
            marked += sum(1 for d in done if d)
            if not any(done):
                return marked

    def claim(self) -> list[dict]:
        if not self.engines:
            return []
        hits = self.es.search(
            index=self.index,
            query=self._eligible(),
            size=self.config.docs_per_batch,
            seq_no_primary_term=True,
            source=["title", "text", "language", "translation.attempts"],
            sort=[{"crawled_at": {"order": "asc", "unmapped_type": "date"}}],
        )["hits"]["hits"]
        claim = {
            "translation": {
                "status": "in_progress",
                "worker": self.worker_id,
                "claimed_at": utc_now_iso(),
            }
        }
        claimed = [h for h in self._guarded(hits, [claim] * len(hits)) if h]
        self.totals["lost_claims"] += len(hits) - len(claimed)
        self.last_seen = len(hits)
        return claimed

    # --- translation -------------------------------------------------------------------------

    def process_batch(self) -> int:
        """Claim, translate and write one batch; returns how many eligible documents it saw.

        Seen, not claimed: a batch whose claims all went to another worker is no sign that the
        backlog is empty (the next query no longer returns the documents that worker holds).
        """
        self.last_seen = 0
        claimed = self.claim()
        by_language: dict[str, list[dict]] = {}
        for hit in claimed:
            by_language.setdefault(hit["_source"]["language"], []).append(hit)
        for language, hits in by_language.items():
            engine = self.engines[language]
            target = target_of(language)
            try:
                results = engine.translate_documents(
                    [(h["_source"].get("title"), h["_source"].get("text") or "") for h in hits]
                )
            except Exception as exc:  # a model that cannot run: the documents say why
                logger.error(
                    "translation %s→%s failed for %d documents: %s",
                    language,
                    target,
                    len(hits),
                    exc,
                )
                error = f"{type(exc).__name__}: {exc}"[:1000]
                outcomes = [self._failed_attempt(hit, error) for hit in hits]
                self._guarded(hits, outcomes)
                gave_up = sum(1 for o in outcomes if o["translation"]["status"] == "failed")
                self.totals["failed"] += gave_up
                self.totals["retried"] += len(hits) - gave_up
                continue
            docs = [
                {
                    f"title_{target}": r.title,
                    f"text_{target}": r.text,
                    "translation": {
                        "status": "done",
                        "model": engine.model,
                        "source_language": language,
                        "target_language": target,
                        "translated_at": utc_now_iso(),
                        "chars": r.chars,
                        "truncated": r.truncated,
                        "error": None,
                        "worker": None,
                        "claimed_at": None,
                    },
                }
                for r in results
            ]
            written = self._guarded(hits, docs)
            if self.on_translated:  # re-matched in their new language (refresh: wait_for)
                self.on_translated([h["_id"] for h, w in zip(hits, written, strict=True) if w])
            self.totals["translated"] += sum(1 for w in written if w)
            self.totals["truncated"] += sum(
                1 for r, w in zip(results, written, strict=True) if w and r.truncated
            )
            self.totals["lost_results"] += sum(1 for w in written if not w)
        return self.last_seen

    def _failed_attempt(self, hit: dict, error: str) -> dict:
        """The update for a document whose translation failed: pending again after a backoff,
        or `failed` once it has had MONITOR_TRANSLATE_ATTEMPTS attempts."""
        attempts = ((hit["_source"].get("translation") or {}).get("attempts") or 0) + 1
        final = attempts >= self.config.max_attempts
        pause = RETRY_BASE_SECONDS * 2 ** (attempts - 1)
        retry_at = datetime.now(timezone.utc) + timedelta(seconds=pause)
        return {
            "translation": {
                "status": "failed" if final else "pending",
                "error": error,
                "attempts": attempts,
                "retry_at": None if final else retry_at.isoformat(),
                "worker": None,
                "claimed_at": None,
            }
        }

    def retry_failed(self) -> int:
        """`monitor translate --retry-failed`: failed documents become pending, attempts reset."""
        query = {"term": {"translation.status": "failed"}}
        again = {"translation": {"status": "pending", "attempts": 0, "retry_at": None}}
        reset = 0
        while True:
            hits = self.es.search(
                index=self.index, query=query, size=500, seq_no_primary_term=True, source=False
            )["hits"]["hits"]
            done = self._guarded(hits, [again] * len(hits))
            reset += sum(1 for d in done if d)
            if not hits or not any(done):
                return reset

    def run(
        self,
        follow: bool = False,
        stop: threading.Event | None = None,
        idle_sleep: float = 1.0,
        progress=None,
    ) -> Counter:
        """Translate until nothing is eligible (or, with follow, until `stop` is set and idle)."""
        stop = stop or threading.Event()
        self.totals["unavailable"] += self.mark_unavailable()
        while True:
            count = self.process_batch()
            if progress and count:
                progress(self.totals)
            if count:
                continue
            if not follow or stop.is_set():
                self.es.indices.refresh(index=self.index)  # documents written just before the stop
                if follow and self.process_batch():
                    continue
                self.totals["unavailable"] += self.mark_unavailable()
                return self.totals
            stop.wait(idle_sleep)
            self.totals["unavailable"] += self.mark_unavailable()


def load_engines(config: TranslateConfig) -> dict[str, Engine]:
    """An engine per installed direction that this project uses (x→en, en→zh), keyed by source."""
    from monitor.translate.argos import installed_packages

    engines = {}
    for package in installed_packages(config):
        if package.to_code == target_of(package.from_code):
            engines[package.from_code] = Engine(config, package)
    return engines
