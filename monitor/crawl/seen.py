"""The seen-record: what the crawler found at each URL, kept in Elasticsearch so that every crawler
process and machine that writes to the cluster shares it.

One document per URL (`_id` = SHA-1 of the canonical URL): its validators (ETag, Last-Modified)
for the next conditional GET, a content hash, the article stored from it, and when it was first and
last seen. `first_seen_at` is written once, on creation; later writes only move `last_seen_at`.

What is recorded when, so that a crawl killed at any moment loses nothing:
- an article page, right after its document is stored (or found already stored);
- a listing page, feed or sitemap, only when the crawl that fetched it finished normally: a run
  killed half-way leaves its listings unrecorded, so the next run reads them again and reaches the
  articles the dead run never fetched.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch

from monitor.es.bulk import write
from monitor.es.config import EsConfig
from monitor.es.schema import ensure_index
from monitor.text.dates import utc_now_iso
from monitor.text.urls import canonicalize

MGET_CHUNK = 1000


class SeenLookupError(Exception):
    """The cluster answered a look-up with errors instead of records."""


_STARTING = ("no_shard_available_action_exception", "illegal_index_shard_state_exception")


def _starting(error: object) -> bool:
    text = str(error)
    return any(kind in text for kind in _STARTING)


def fingerprint(url: str) -> str:
    return hashlib.sha1(canonicalize(url).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Seen:
    """One URL's record, as a request needs it."""

    url: str
    kind: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    last_seen_at: str | None = None
    document_id: str | None = None  # the article stored from it
    withdrawn_at: str | None = None  # a re-check found it gone (monitor.crawl.withdrawn)
    links: tuple[str, ...] = ()  # a listing page's article links, last time (the drop hint)

    def validators(self) -> dict[str, str]:
        """Headers for a conditional GET (empty when the server gave no validators)."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def older_than(self, seconds: float, now: datetime) -> bool:
        if not self.last_seen_at:
            return True
        return (now - datetime.fromisoformat(self.last_seen_at)).total_seconds() >= seconds


class SeenStore:
    """Reads and writes seen-records; blocking calls, to run off the reactor."""

    def __init__(self, es: Elasticsearch, config: EsConfig):
        self.es = es
        self.alias = ensure_index(es, config, "seen")

    def lookup(self, urls: list[str]) -> dict[str, Seen]:
        """{url: record} for the URLs that have one."""
        found: dict[str, Seen] = {}
        for start in range(0, len(urls), MGET_CHUNK):
            chunk = urls[start : start + MGET_CHUNK]
            ids = [fingerprint(u) for u in chunk]
            response = self.es.mget(index=self.alias, ids=ids)
            failed = [doc["error"] for doc in response["docs"] if doc.get("error")]
            if failed and _starting(failed[0]):  # a new index's shard is still starting
                self.es.cluster.health(index=self.alias, wait_for_status="yellow", timeout="30s")
                time.sleep(0.5)
                response = self.es.mget(index=self.alias, ids=ids)
                failed = [doc["error"] for doc in response["docs"] if doc.get("error")]
            if failed:  # mget answers 200 with an error per document (a closed index, ...)
                error = failed[0]
                raise SeenLookupError(
                    f"{error.get('type')}: {error.get('reason')}"[:200]
                    if isinstance(error, dict)
                    else str(error)[:200]
                )
            for url, doc in zip(chunk, response["docs"], strict=True):
                if doc.get("found"):
                    src = doc["_source"]
                    found[url] = Seen(
                        url=url,
                        kind=src.get("kind", "article"),
                        etag=src.get("etag"),
                        last_modified=src.get("last_modified"),
                        content_hash=src.get("content_hash"),
                        last_seen_at=src.get("last_seen_at"),
                        document_id=src.get("document_id"),
                        withdrawn_at=src.get("withdrawn_at"),
                        links=tuple(src.get("links") or ()),
                    )
        return found

    def remember(self, entries: list[dict[str, Any]]) -> list[str]:
        """Record URLs as seen now; each entry has `url`, `kind` and any other record fields.

        Returns the errors the cluster gave (empty when all were written).
        """
        now = utc_now_iso()
        actions = []
        for entry in entries:
            doc = {k: v for k, v in entry.items() if v is not None} | {"last_seen_at": now}
            actions.append(
                (
                    "upsert",
                    fingerprint(entry["url"]),
                    {"doc": doc, "upsert": doc | {"first_seen_at": now}},
                )
            )
        return [error for _, error in write(self.es, self.alias, actions) if error]
