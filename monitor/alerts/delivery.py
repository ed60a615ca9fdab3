"""Delivery of stored alerts of every kind (source health, watch, digest) to their channels, and
the digests that fold queued watch alerts into one message per watch and period.

An alert is stored before it is sent (`pending`), so a channel that is down loses nothing: each
pass sends it to the channels that have not taken it yet, and after MAX_ATTEMPTS it is `failed`.
A pass first claims each alert (`sending`, with `if_seq_no`): of two processes or threads that
read the same pending alert, one sends it. A claim left by a process that died is taken over after
CLAIM_LEASE.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from elasticsearch import Elasticsearch

from monitor.es.bulk import write
from monitor.es.config import EsConfig
from monitor.notify.channels import Channels
from monitor.notify.send import DeliveryError, Message, deliver
from monitor.text.dates import utc_now_iso

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 12  # paced as below: a channel may be down for about two hours
CLAIM_LEASE = timedelta(minutes=5)
RETRY_BASE = timedelta(seconds=2)  # a failed attempt waits 2 s, then 4, 8, ... 34 min
DIGEST_ITEMS = 200  # listed in one digest message; the rest are counted


def watch_message(alert: dict[str, Any]) -> Message:
    """One matched document: its title as written and in English, the snippet with the matched
    words, the source and date, and the link to the original."""
    title = alert.get("title") or alert.get("url")
    english = alert.get("title_en")
    event = {"changed": "changed: ", "withdrawn": "WITHDRAWN: "}.get(alert.get("event") or "", "")
    subject = f"[news-monitor] {alert['watch_name']}: {event}{title}"
    date = (alert.get("published_at") or "")[:10] or "date unknown"
    snippet = alert.get("snippet") or ""
    happened = {
        "changed": f"Changed: a new version ({(alert.get('changes') or {}).get('summary', '')})",
        "withdrawn": "Withdrawn: the page is gone from its site (the stored copy is kept)",
    }.get(alert.get("event") or "")
    lines = [
        f"Watch: {alert['watch_name']} ({alert['watch_id']})",
        *([happened] if happened else []),
        f"Title: {title}",
        *([f"English title: {english}"] if english and english != title else []),
        f"Source: {alert.get('source_id')}, {date}",
        f"Matched: {', '.join(alert.get('matched') or []) or '-'}",
        f"Snippet: {snippet.replace('<em>', '[').replace('</em>', ']')}",
        *([f"Also in: {_reprints(also)}"] if (also := alert.get("also_in")) else []),
        f"Link: {alert.get('url')}",
    ]
    body = "".join(
        f"<p>{html.escape(line).replace('[', '<b>').replace(']', '</b>')}</p>"
        for line in lines[:-1]
    )
    link = html.escape(alert.get("url") or "")
    body += f'<p><a href="{link}">{link}</a></p>'
    return Message(subject, "\n".join(lines), f"<html><body>{body}</body></html>", alert)


def _reprints(members: list[dict[str, Any]]) -> str:
    """The other documents of an alert's story: source and link each."""
    return ", ".join(f"{m.get('source_id')} {m.get('url')}" for m in members)


def digest_message(digest: dict[str, Any]) -> Message:
    items = digest.get("items") or []
    count = len(digest.get("alert_ids") or [])
    subject = f"[news-monitor] {digest['watch_name']}: {count} new documents"
    lines = [f"Watch: {digest['watch_name']} ({digest['watch_id']}), {count} new documents"]
    for item in items:
        english = f" ({item['title_en']})" if item.get("title_en") else ""
        lines.append(
            f"- {item.get('title')}{english} — {item.get('source_id')} — {item.get('url')}"
        )
    if count > len(items):
        lines.append(
            f"... and {count - len(items)} more: monitor alerts list --watch {digest['watch_id']}"
        )
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return Message(subject, "\n".join(lines), f"<html><body>{body}</body></html>", digest)


def message_for(alert: dict[str, Any]) -> Message:
    if alert.get("kind") == "watch":
        return watch_message(alert)
    if alert.get("kind") == "digest":
        return digest_message(alert)
    return health_message(alert)


def health_message(alert: dict[str, Any]) -> Message:
    """A source's health changed (monitor.alerts.health_alerts raises these)."""
    subject = f"[news-monitor] source {alert['source_id']} is {alert['state']}"
    text = (
        f"Source {alert['source_id']} changed from {alert['previous_state']} to "
        f"{alert['state']}: {alert['reason']}\nRun: {alert['run_id']} at {alert['raised_at']}\n"
        "Details: monitor status"
    )
    body = "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines())
    return Message(subject, text, f"<html><body>{body}</body></html>", alert)


def deliver_pending(
    es: Elasticsearch,
    config: EsConfig,
    channels: Channels,
    log: Callable[[str], None] = logger.warning,
    kinds: tuple[str, ...] | None = None,
    now: datetime | None = None,
) -> int:
    """Send every pending alert (of these kinds) that is due to the channels that have not taken
    it; returns how many were delivered. A failed attempt is retried after a backoff."""
    alias = config.index_name("alerts")
    if not es.indices.exists_alias(name=alias):
        return 0
    now = now or datetime.now(timezone.utc)
    pending = es.search(index=alias, query=_due(now, kinds), size=500, seq_no_primary_term=True)[
        "hits"
    ]["hits"]
    delivered = 0
    for hit in pending:
        claimed = _claim(es, alias, hit)
        if claimed is None:
            continue  # another process or thread is sending it
        update = _outcome(claimed["_id"], claimed["_source"], channels, now, log)
        delivered += update["status"] == "delivered"
        # conditional on our claim: a record another process took over meanwhile is kept
        es.options(ignore_status=409).update(
            index=alias,
            id=claimed["_id"],
            doc=update,
            if_seq_no=claimed["_seq_no"],
            if_primary_term=claimed["_primary_term"],
        )
    if pending:  # one refresh per pass: `monitor alerts list` shows what was just done
        es.indices.refresh(index=alias)
    return delivered


def _due(now: datetime, kinds: tuple[str, ...] | None) -> dict[str, Any]:
    """Alerts to send now: pending (and past their retry time), or claimed by a process that
    has not finished within CLAIM_LEASE (it died)."""
    stale = (now - CLAIM_LEASE).isoformat()
    sending_too_long = {"bool": {"filter": [{"term": {"status": "sending"}},
                                            {"range": {"claimed_at": {"lt": stale}}}]}}  # fmt: skip
    claimable = {"bool": {"should": [{"term": {"status": "pending"}}, sending_too_long],
                          "minimum_should_match": 1}}  # fmt: skip
    filters: list[dict[str, Any]] = [claimable]
    if kinds:
        filters.append({"terms": {"kind": list(kinds)}})
    not_yet = [{"range": {"next_attempt_at": {"gt": now.isoformat()}}}]
    return {"bool": {"filter": filters, "must_not": not_yet}}


def _claim(es: Elasticsearch, alias: str, hit: dict[str, Any]) -> dict[str, Any] | None:
    """The alert marked `sending` by this process (conditional on the sequence number the
    search saw, so of two processes only one wins), with its new sequence number; None when
    another process has it."""
    claimed = es.options(ignore_status=409).update(
        index=alias,
        id=hit["_id"],
        doc={"status": "sending", "claimed_at": utc_now_iso()},
        if_seq_no=hit["_seq_no"],
        if_primary_term=hit["_primary_term"],
    )  # no refresh needed: the sequence number decides, a stale search only loses a claim
    if claimed.meta.status == 409:
        return None
    return hit | {"_seq_no": claimed["_seq_no"], "_primary_term": claimed["_primary_term"]}


def _outcome(
    alert_id: str,
    alert: dict[str, Any],
    channels: Channels,
    now: datetime,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Send the alert to each of its channels that has not taken it; the fields that record the
    attempt (delivered, pending again with a backoff, failed after MAX_ATTEMPTS)."""
    done, errors = set(alert["delivered_to"]), []
    removed = [c for c in alert["channels"] if c not in channels.channels and c not in done]
    for channel_id in alert["channels"]:
        channel = channels.channels.get(channel_id)
        if channel_id in done or channel is None:
            continue
        try:
            deliver(channel, message_for(alert | {"status": "delivered"}))
            done.add(channel_id)
        except DeliveryError as exc:
            errors.append(str(exc))
    if removed:  # nobody to send it to any more: said once, not retried
        errors.append(f"channel(s) {', '.join(removed)} no longer in the channels file")
    wanted = set(alert["channels"]) - set(removed)
    attempts = alert["attempts"] + 1
    status = "delivered" if done >= wanted else "pending"
    if status == "delivered" and not done:
        status = "failed" if alert["channels"] else "stored"  # every channel is gone
    if status == "pending" and attempts >= MAX_ATTEMPTS:
        status = "failed"
    if status == "failed":
        reason = errors[0] if errors else "no channel took it"
        log(f"error: alert {alert_id} given up after {attempts} attempts: {reason}")
    elif errors:
        log(f"warning: alert {alert_id} not delivered yet: {errors[0]}")
    retry = (now + RETRY_BASE * 2 ** (attempts - 1)).isoformat() if status == "pending" else None
    return {
        "delivered_to": sorted(done),
        "attempts": attempts,
        "status": status,
        "last_error": errors[0] if errors else None,
        "delivered_at": utc_now_iso() if status == "delivered" else None,
        "claimed_at": None,
        "next_attempt_at": retry,
    }


def send_due_digests(es: Elasticsearch, config: EsConfig, now: datetime | None = None) -> list[str]:
    """Fold queued watch alerts whose digest is due into one digest alert per watch (then
    delivered like any alert); returns the digests created. A digest's `_id` is (watch, due
    time): two processes folding at once make one."""
    alias = config.index_name("alerts")
    if not es.indices.exists_alias(name=alias):
        return []
    now = now or datetime.now(timezone.utc)
    queued = es.search(
        index=alias,
        query={
            "bool": {
                "filter": [
                    {"term": {"kind": "watch"}},
                    {"term": {"status": "queued"}},
                    {"range": {"digest_due": {"lte": now.isoformat()}}},
                ]
            }
        },
        size=10_000,
        sort=[{"raised_at": "asc"}],
    )["hits"]["hits"]
    by_watch: dict[str, list[dict[str, Any]]] = {}
    for hit in queued:
        by_watch.setdefault(hit["_source"]["watch_id"], []).append(hit)
    created = []
    for watch_id, hits in by_watch.items():
        first = hits[0]["_source"]
        due = min(h["_source"]["digest_due"] for h in hits)
        digest_id = f"digest:{watch_id}:{due}"
        digest = {
            "kind": "digest",
            "watch_id": watch_id,
            "watch_name": first["watch_name"],
            "alert_ids": [h["_id"] for h in hits],
            "items": [
                {
                    k: h["_source"].get(k)
                    for k in ("title", "title_en", "url", "source_id", "published_at")
                }
                for h in hits[:DIGEST_ITEMS]
            ],
            "raised_at": now.isoformat(),
            "digest_due": due,
            "status": "pending",
            "channels": first["channels"],
            "delivered_to": [],
            "attempts": 0,
        }
        [(result, error)] = write(es, alias, [("create", digest_id, digest)], refresh=True)
        if error:
            logger.error("digest for watch %s not stored: %s", watch_id, error)
            continue
        folded = {"status": "digested", "digest_id": digest_id}
        write(es, alias, [("update", h["_id"], folded) for h in hits], refresh=True)
        if result == "created":
            created.append(digest_id)
    return created
