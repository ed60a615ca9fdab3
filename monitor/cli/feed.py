"""`monitor feed` (a saved search or a watch as Atom) and `monitor serve` (the feeds and plain
HTML pages over HTTP, read-only)."""

from __future__ import annotations

import sys

import click

from monitor import registry
from monitor.cli.common import connect, domain_errors, emit_json, info, json_option, lean_client


@click.command("feed")
@click.argument("name", required=False)
@click.option("--out", "out_file", type=click.Path(dir_okay=False, writable=True),
              help="Write the feed to FILE (replaced whole) instead of stdout.")  # fmt: skip
@click.option(
    "--size", type=click.IntRange(1, 1000), default=registry.get("MONITOR_FEED_SIZE").default,
    envvar="MONITOR_FEED_SIZE", show_default=True, help="Entries (the newest).",
)  # fmt: skip
@click.option("--list", "list_only", is_flag=True, help="List the feeds there are.")
@json_option('The entries as JSON ({"feed": {...}, "entries": [...]}), or the list with --list.')
@domain_errors
@lean_client
def feed_cmd(name: str | None, out_file: str | None, size: int, list_only: bool,
             as_json: bool) -> None:  # fmt: skip
    """A saved search or a watch as an Atom feed: NAME is `search:NAME`, `watch:ID`, or the bare
    name when only one has it. A saved search's feed is its newest matching documents; a watch's,
    its newest alerts (reprints of a story in one entry). Reading a feed changes nothing: it is
    not a run of the saved search and acknowledges no alert.

    `monitor serve` serves the same feeds over HTTP."""
    from dataclasses import asdict

    from monitor.es.client import call
    from monitor.feeds.atom import atom
    from monitor.feeds.entries import feed_entries, find_feed, list_feeds

    config, es = connect()
    if list_only or not name:
        feeds = call(config, lambda: list_feeds(es, config))
        if as_json:
            emit_json({"feeds": [asdict(f) | {"key": f.key} for f in feeds]})
            return
        if not feeds:
            info("no feeds yet: `monitor search QUERY --save NAME` saves a search; watches come "
                 "from the watchlist (`monitor watch add`)")  # fmt: skip
        for f in feeds:
            click.echo(f"{f.key:<32} {f.description}")
        return
    feed = call(config, lambda: find_feed(es, config, name))
    entries = call(config, lambda: feed_entries(es, config, feed, size))
    if as_json:
        emit_json(
            {"feed": asdict(feed) | {"key": feed.key}, "entries": [asdict(e) for e in entries]}
        )
        return
    document = atom(feed, entries, config.index_prefix)
    if out_file:  # written beside, then moved over: a reader never sees half a feed
        import os

        partial = f"{out_file}.partial"
        with open(partial, "wb") as handle:
            handle.write(document)
        os.replace(partial, out_file)
        info(f"{feed.key}: {len(entries)} entries → {out_file}")
    else:
        sys.stdout.buffer.write(document)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any but loopback needs MONITOR_SERVE_TOKEN.")  # fmt: skip
@click.option("--port", type=click.IntRange(0, 65535), default=8790, show_default=True,
              help="Port (0: any free one, printed).")  # fmt: skip
@click.option("--base-url", help="The address readers use (behind a proxy), for feeds' links.")
@click.option(
    "--size", type=click.IntRange(1, 1000), default=registry.get("MONITOR_FEED_SIZE").default,
    envvar="MONITOR_FEED_SIZE", show_default=True, help="Entries per feed.",
)  # fmt: skip
@click.option("--quiet", is_flag=True, help="No line per request.")
@json_option('Print {"url": ..., "feeds": [...]} once listening (then a line per request).')
@domain_errors
@lean_client
def serve_cmd(host: str, port: int, base_url: str | None, size: int, quiet: bool,
              as_json: bool) -> None:  # fmt: skip
    """Serve the feeds of every saved search and watch, search and the document view as plain
    HTML pages, read-only (GET and HEAD), for feed readers and people without Kibana.

    Pages: / (the feeds), /feeds/NAME.atom, /search?q=QUERY, /doc/ID, /healthz. Loopback by
    default; on any other address a token is required (MONITOR_SERVE_TOKEN or
    MONITOR_SERVE_TOKEN_FILE): `?token=` on a feed's URL, `Authorization: Bearer`, or a cookie
    set by the first page opened with `?token=`. Ctrl-C stops it."""
    from monitor.es.client import call
    from monitor.feeds.entries import list_feeds
    from monitor.feeds.server import FeedServer, Site, serve_token

    token = serve_token(host)
    config, es = connect()
    feeds = call(config, lambda: list_feeds(es, config))
    site = Site(es, config, size, (base_url or "").rstrip("/"))
    server = FeedServer(site, host, port, token, (lambda _: None) if quiet else info)
    if as_json:
        emit_json({"url": server.url, "feeds": [f.key for f in feeds]})
        sys.stdout.flush()
    else:
        click.echo(f"serving {server.url}/ ({len(feeds)} feeds, read-only"
                   f"{', token required' if token else ''}); Ctrl-C stops it")  # fmt: skip
        sys.stdout.flush()
    import signal

    from monitor.errors import Interrupted

    def stop(signum: int, _frame: object) -> None:
        raise Interrupted(signum, f"stopped ({signal.Signals(signum).name})")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever()
    finally:
        server.shutdown()
