"""`monitor watch add|list|show|remove|test` (the watchlist, kept in sync with the cluster) and
`monitor alertd` (the long-lived process that keeps watch alerts flowing)."""

from __future__ import annotations

import json
import signal
import threading
import time
from datetime import datetime
from pathlib import Path

import click

from monitor.cli.common import (
    CHANNELS_OPTION,
    WATCHLIST_OPTION,
    connect,
    domain_errors,
    emit_json,
    info,
    json_option,
)


def _load(watchlist_file: str, channels_file: str):
    from monitor.alerts.watchlist import load_watches

    return load_watches(watchlist_file, channels_file)


def _find(watches, watch_id: str):
    from monitor.alerts.watchlist import find_watch

    return find_watch(watches, watch_id)


@click.group()
def watch() -> None:
    """Watches: keywords, phrases and filters that raise alerts on new documents."""


@watch.command("list")
@WATCHLIST_OPTION
@CHANNELS_OPTION
@json_option("Print one JSON object with a `watches` list.")
@domain_errors
def watch_list(watchlist_file: str, channels_file: str, as_json: bool) -> None:
    """The watches of the watchlist, with the version stored in the cluster."""
    from monitor.alerts.matcher import WatchStore
    from monitor.es.client import call

    watches, _ = _load(watchlist_file, channels_file)
    config, es = connect()
    versions = call(config, lambda: WatchStore(es, config).versions())
    rows = []
    for w in watches:
        history = versions.get(w.id, [])
        active = next((v for v in reversed(history) if v["active"]), None)
        rows.append(
            {
                "id": w.id,
                "name": w.name,
                "mode": w.mode,
                "channels": list(w.channels),
                "terms": list(w.terms),
                "version": active["version"] if active else None,
                "in_sync": bool(active and active["spec_hash"] == w.digest_hash),
            }
        )
    if as_json:
        emit_json({"watches": rows})
        return
    for r in rows:
        sync = "" if r["in_sync"] else "  (not synced: run `monitor alertd` or a crawl)"
        terms = ", ".join(r["terms"])[:60]
        click.echo(f"{r['id']:<24} v{r['version'] or '-':<3} {r['mode']:<9} {terms}{sync}")


@watch.command("show")
@click.argument("watch_id")
@WATCHLIST_OPTION
@CHANNELS_OPTION
@domain_errors
def watch_show(watch_id: str, watchlist_file: str, channels_file: str) -> None:
    """A watch as written, its compiled Elasticsearch query and its stored versions (JSON)."""
    from monitor.alerts.matcher import WatchStore
    from monitor.alerts.watches import compile_watch
    from monitor.es.client import call
    from monitor.search.glossary import load_glossary

    watches, _ = _load(watchlist_file, channels_file)
    found = _find(watches, watch_id)
    config, es = connect()
    versions = call(config, lambda: WatchStore(es, config).versions()).get(watch_id, [])
    emit_json(
        {
            "watch": found.spec(),
            "query": compile_watch(found, load_glossary()),
            "versions": [
                {k: v.get(k) for k in ("version", "active", "created_at", "retired_at")}
                for v in versions
            ],
        }
    )


@watch.command("test")
@click.argument("watch_id")
@click.option("--size", default=10, show_default=True, help="How many matches to show.")
@WATCHLIST_OPTION
@CHANNELS_OPTION
@json_option("Print one JSON object with the matches.")
@domain_errors
def watch_test(
    watch_id: str, size: int, watchlist_file: str, channels_file: str, as_json: bool
) -> None:
    """What the watch would match among the stored documents (nothing is sent)."""
    from monitor.alerts.watches import compile_watch
    from monitor.es.client import call
    from monitor.search.engine import shape_hit
    from monitor.search.glossary import load_glossary

    watches, _ = _load(watchlist_file, channels_file)
    found = _find(watches, watch_id)
    config, es = connect()
    query = compile_watch(found, load_glossary())
    body = {"query": query, "size": size, "track_total_hits": True}
    if found.min_score is not None:
        body["min_score"] = found.min_score
    response = call(config, lambda: es.search(index=config.index_name("articles"), **body))
    hits = [shape_hit(h) for h in response["hits"]["hits"]]
    total = response["hits"]["total"]["value"]
    if as_json:
        emit_json({"watch": watch_id, "total": total, "hits": hits})
        return
    click.echo(f"{total} stored documents match {watch_id} (nothing sent)")
    for h in hits:
        click.echo(f"  {h['score']:.2f}  {h['title']}  [{h['source_id']}]  {h['url']}")


@watch.command("add")
@click.option("--id", "watch_id", required=True, help="Lower-case id (letters, digits, - _ .).")
@click.option("--name", help="A name for people (default: the id).")
@click.option("--all", "all_terms", multiple=True, help="A term that must match (repeatable).")
@click.option("--any", "any_terms", multiple=True, help="At least one of these (repeatable).")
@click.option("--none", "none_terms", multiple=True, help="A term that must not match.")
@click.option("--phrase", "phrases", multiple=True, help="An exact phrase that must match.")
@click.option("--source", "sources", multiple=True, help="Only documents of this source.")
@click.option("--type", "doc_types", multiple=True, help="Only policy, filing or news.")
@click.option("--lang", "languages", multiple=True, help="Only documents in this language.")
@click.option("--channel", "channels", multiple=True, help="Send alerts to this channel.")
@click.option("--mode", type=click.Choice(["immediate", "digest"]), default="immediate")
@click.option("--no-cross-language", is_flag=True, help="Match only as written (no translation).")
@click.option("--backfill", is_flag=True, help="Alert once on the stored documents it matches.")
@WATCHLIST_OPTION
@CHANNELS_OPTION
@domain_errors
def watch_add(
    watch_id: str,
    name: str | None,
    all_terms: tuple[str, ...],
    any_terms: tuple[str, ...],
    none_terms: tuple[str, ...],
    phrases: tuple[str, ...],
    sources: tuple[str, ...],
    doc_types: tuple[str, ...],
    languages: tuple[str, ...],
    channels: tuple[str, ...],
    mode: str,
    no_cross_language: bool,
    backfill: bool,
    watchlist_file: str,
    channels_file: str,
) -> None:
    """Add a watch to the watchlist and the cluster. It does not alert on what is already
    stored, unless --backfill."""
    from monitor.alerts.delivery import deliver_pending
    from monitor.alerts.matcher import Matcher
    from monitor.alerts.watches import Watch
    from monitor.alerts.watchlist import add_watch
    from monitor.es.client import call

    _, channel_set = _load(watchlist_file, channels_file)
    filters = {
        k: tuple(v)
        for k, v in (("sources", sources), ("doc_types", doc_types), ("languages", languages))
        if v
    }
    new = Watch(
        id=watch_id, name=name or watch_id, all=all_terms, any=any_terms, none=none_terms,
        phrases=phrases, filters=filters, channels=channels, mode=mode,
        cross_language=not no_cross_language,
    )  # fmt: skip
    config, es = connect()
    changes = call(config, lambda: add_watch(es, config, watchlist_file, channel_set, new))
    info(f"watch {watch_id}: {changes.get(watch_id, 'added')} ({watchlist_file})")
    if backfill:
        matcher = Matcher(es, config)
        created = call(config, lambda: matcher.backfill(watch_id))
        call(config, lambda: deliver_pending(es, config, channel_set, info))
        info(f"watch {watch_id}: {created} alerts on stored documents (backfill)")


@watch.command("remove")
@click.argument("watch_id")
@WATCHLIST_OPTION
@CHANNELS_OPTION
@domain_errors
def watch_remove(watch_id: str, watchlist_file: str, channels_file: str) -> None:
    """Remove a watch from the watchlist and retire it in the cluster (its alerts stay)."""
    from monitor.alerts.watchlist import remove_watch
    from monitor.es.client import call

    _, channels = _load(watchlist_file, channels_file)
    config, es = connect()
    call(config, lambda: remove_watch(es, config, watchlist_file, channels, watch_id))
    info(f"watch {watch_id}: removed; its alerts stay in the alerts index")


@click.command("alertd")
@WATCHLIST_OPTION
@CHANNELS_OPTION
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
@click.option("--once", is_flag=True, help="One round (catch up, digests, delivery), then exit.")
@click.option("--now", "now_text", hidden=True, help="Pretend it is this time (ISO 8601; tests).")
@json_option("With --once: print the round's counts as JSON.")
@domain_errors
def alertd(watchlist_file: str, channels_file: str, interval: float, once: bool,
           now_text: str | None, as_json: bool) -> None:  # fmt: skip
    """Keep watch alerts flowing: reload the watchlist when it changes (a broken one is reported
    and the last good one kept), match what was indexed since the checkpoint (crawls on other
    machines included), send due digests, deliver pending alerts. SIGTERM stops it cleanly."""
    from monitor.alerts.matcher import Matcher
    from monitor.alerts.service import WatchlistFollower, alert_round
    from monitor.es.client import call
    from monitor.notify.channels import load_channels

    channels = load_channels(channels_file)
    config, es = connect()
    follower = WatchlistFollower(Path(watchlist_file), channels, info)
    matcher = call(config, lambda: Matcher(es, config))
    now = datetime.fromisoformat(now_text) if now_text else None
    stop = threading.Event()
    if not once:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        info(f"alertd: watching {watchlist_file}, a round every {interval:g} s (SIGTERM stops)")
    while True:
        started = time.monotonic()
        changes = call(config, lambda: follower.poll(es, config))
        for watch_id, change in sorted((changes or {}).items()):
            info(f"watch {watch_id}: {change}")
        counts = call(config, lambda: alert_round(es, config, channels, now, matcher, info))
        if once:
            if as_json:
                emit_json(counts | {"watchlist_error": follower.last_error})
            else:
                info(json.dumps(counts))
            return
        if counts["delivered"] or counts["digests"]:
            info(f"alertd: {counts}")
        if stop.wait(max(0.0, interval - (time.monotonic() - started))):
            info("alertd: stopped")
            return
