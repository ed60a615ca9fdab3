"""`monitor demo`: the bundled sample sites, served on this machine, or crawled and searched."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from monitor.cli.common import domain_errors


@click.group("demo")
def demo() -> None:
    """The bundled sample sites (a GBK policy site, news sites, feeds, sitemaps, PDFs, APIs)."""


@demo.command("serve")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65534),
    help="Port of the news sites; the documents site takes the next (0: any free ports).",
)
@click.option(
    "--out",
    default="demo-sources.yaml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Write the ready sources file here.",
)
@domain_errors
def demo_serve(port: int, out: str) -> None:
    """Serve the sample sites on 127.0.0.1 until Ctrl-C, and write a sources file for them, so
    that `monitor sources check`, `monitor crawl` and `monitor schedule` can be tried on them."""
    from monitor.demo.server import demo_sources, serve
    from monitor.demo.sites import SITES
    from monitor.demo.sites.docs.apis import install
    from monitor.errors import ConfigError

    try:
        news = serve(SITES / "www", port=port)
        docs = serve(SITES / "docs" / "www", port=port + 1 if port else 0)
    except OSError as exc:
        raise ConfigError(
            f"--port {port}: {exc.strerror} (try --port 0 for any free port)"
        ) from None
    install(docs)
    path = demo_sources({SITES: news.base, SITES / "docs": docs.base}, Path(out))
    click.echo(f"serving the sample sites at {news.base} and {docs.base}")
    click.echo(f"sources file: {path}")
    click.echo(f"  monitor sources check --sources {path}")
    click.echo(f"  monitor crawl --sources {path}")
    click.echo(f"  monitor schedule --sources {path}")
    click.echo("Ctrl-C stops.", nl=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(1):
        pass
    news.shutdown()
    docs.shutdown()
    click.echo("stopped")


@demo.command("run")
def demo_run() -> None:
    """Crawl the sample sites into the `demo` index prefix and run a few searches (`make demo`)."""
    from monitor.demo.__main__ import main

    raise SystemExit(main())
