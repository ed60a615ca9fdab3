"""Pages only a script draws, rendered in headless Chromium (scrapy-playwright), with every
request the browser makes held to the crawl's guard.

A source with `render: true` (its listing pages) or `render: all` (its articles too) has those
pages fetched by Debian's Chromium (`MONITOR_RENDER_BROWSER`, /usr/bin/chromium), driven by
scrapy-playwright; Playwright's own browser download is neither needed nor possible here. The
rendered HTML reaches the spider as any response would.

The page's own requests are hostile input. Chromium is started with every connection going
through `BrowserProxy`, a small HTTP proxy on 127.0.0.1 inside the crawl process (loopback
included: `--proxy-bypass-list=<-loopback>`; WebRTC may not send UDP around it). The proxy asks
the crawl's RequestGuard (monitor.crawl.guard) about each request's host before connecting: the
source's hosts (and `attachment_hosts`) only, no loopback, private or link-local address unless
the crawl or the source allows the network, and it connects to the very address it checked (no
second DNS answer). Redirects and WebSockets are new requests to the proxy, so they are checked
too. What the proxy refuses is answered 403 and counted as `monitor/render/refused/<reason>`;
requests for other schemes (file:, ftp:, chrome:) never reach the network (Chromium refuses them
on http pages) and are counted as `monitor/render/refused/scheme`.

Bounded: `MONITOR_RENDER_MAX_PAGES` pages per crawl (later pages are fetched plainly, counted as
`monitor/render/over_budget`), `MONITOR_RENDER_TIMEOUT` seconds per page, its own concurrency
(`MONITOR_RENDER_CONCURRENCY` pages at once), `DOWNLOAD_MAXSIZE` bytes per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import shutil
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

from monitor.crawl.http import Http11Handler
from monitor.crawl.summary import count
from monitor.errors import ConfigError

logger = logging.getLogger(__name__)

HEAD_LIMIT = 64 * 1024  # bytes of a request's head the proxy reads
HEAD_TIMEOUT = 10.0  # seconds for a client to send its request head
INTERNAL_SCHEMES = ("http", "https", "data", "blob", "about")  # data:, blob: never leave
# Chromium's background traffic off: without these flags it calls Google's services at start
CHROMIUM_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-first-run",
    "--disable-quic",
    "--dns-prefetch-disable",
    "--proxy-bypass-list=<-loopback>",  # loopback goes through the proxy too
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
)
INSTALL_HINT = "install it with: sudo apt-get install chromium (Debian's package)"


def browser_path(settings: Any) -> str:
    """The Chromium to use, or ConfigError in one line saying how to install it."""
    wanted = str(settings.get("MONITOR_RENDER_BROWSER") or "chromium")
    found = wanted if os.path.isfile(wanted) and os.access(wanted, os.X_OK) else None
    found = found or shutil.which(wanted)
    if not found:
        raise ConfigError(f"render: needs Chromium, but {wanted} is not on this machine; "
                          f"{INSTALL_HINT} (or set MONITOR_RENDER_BROWSER)")  # fmt: skip
    return found


def configure(settings: Any) -> None:
    """Switch a crawler's http(s) downloads to the rendering handler (only for a source that
    renders: other crawls never start Playwright)."""
    from monitor.crawl.options import _number

    executable = browser_path(settings)
    timeout = _number(settings, "MONITOR_RENDER_TIMEOUT", float, 1)
    concurrency = _number(settings, "MONITOR_RENDER_CONCURRENCY", int, 1)
    handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
    handlers.update(http=f"{__name__}.RenderHandler", https=f"{__name__}.RenderHandler")
    for name, value in {
        "DOWNLOAD_HANDLERS": handlers,
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": executable,
            "headless": True,
            "args": list(CHROMIUM_ARGS),
            "timeout": 60_000,  # starting the browser (a loaded machine takes seconds)
        },
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": concurrency,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": timeout * 1000,
        # no startup context: Scrapy makes one handler per scheme, and each would start a browser
        # at once; a browser starts with the first page that needs it (render_meta's context)
        "PLAYWRIGHT_CONTEXTS": {},
    }.items():
        settings.set(name, value, priority="spider")


def render_meta(stats: Any, timeout: float) -> dict[str, Any]:
    """The request meta that has a page rendered (scrapy-playwright's keys)."""
    from scrapy_playwright.page import PageMethod

    return {
        "playwright": True,
        "playwright_context": "monitor",
        "playwright_context_kwargs": {"service_workers": "block", "accept_downloads": False},
        "playwright_page_goto_kwargs": {"wait_until": "load"},
        # the page's load and its settling each have `timeout`: Scrapy's own download timeout
        # must not cut a page that is still settling (it would be lost instead of read as is)
        "download_timeout": 2 * timeout + 5,
        "playwright_page_init_callback": functools.partial(watch_page, stats),
        "playwright_page_methods": [PageMethod(settle, timeout * 1000)],
        "monitor_rendered": True,
    }


async def settle(page: Any, timeout_ms: float) -> None:
    """Let the page's scripts finish their requests (at most timeout_ms; a page that never goes
    quiet is read as it stands then)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):
        await page.wait_for_load_state("networkidle", timeout=timeout_ms)


async def watch_page(stats: Any, page: Any, request: Any) -> None:
    """Count what a page asks for that cannot go through the proxy (file:, ftp:, ...)."""

    def seen(browser_request: Any) -> None:
        scheme = urlsplit(browser_request.url).scheme.lower()
        if scheme not in INTERNAL_SCHEMES:
            count(stats, "monitor/render/refused/scheme", browser_request.url[:300])
            logger.warning("the page %s asked for %s: refused (scheme)", request.url,
                           browser_request.url[:200])  # fmt: skip

    page.on("request", seen)


try:
    from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
except ImportError:  # pragma: no cover - scrapy-playwright is a dependency
    ScrapyPlaywrightDownloadHandler = object  # type: ignore[misc,assignment]


# scrapy-playwright's close calls its parent's: ours (monitor/crawl/http.py), which fires once
_BASES = (Http11Handler,) if ScrapyPlaywrightDownloadHandler is object else (
    ScrapyPlaywrightDownloadHandler, Http11Handler)  # fmt: skip


class RenderHandler(*_BASES):  # type: ignore[misc]
    """scrapy-playwright's handler, with the browser started behind the guarding proxy, its
    close the crawl's (monitor.crawl.http.Http11Handler)."""

    def __init__(self, crawler: Any) -> None:
        if ScrapyPlaywrightDownloadHandler is object:
            raise NotConfigured("scrapy-playwright is not installed")
        super().__init__(crawler)
        self.crawler = crawler
        self.proxy: BrowserProxy | None = None

    async def _maybe_launch_browser(self) -> None:
        if self.proxy is None:
            self.proxy = BrowserProxy(self.crawler)
            port = await self.proxy.start()
            options = self.config.launch_options  # a copy per handler: never shared with another
            args = [*options.get("args", []), f"--proxy-server=http://127.0.0.1:{port}"]
            self.config.launch_options = {**options, "args": args}
        await super()._maybe_launch_browser()

    async def _close(self) -> None:
        await super()._close()
        if self.proxy is not None:
            self.proxy.close()


class BrowserProxy:
    """The browser's only way out: an HTTP proxy (CONNECT for https and wss, absolute-form
    requests for http) that lets a connection through only where the crawl's guard would."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.stats = crawler.stats
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE") or 0
        self.server: asyncio.base_events.Server | None = None
        self.connections: set[asyncio.Task] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.connections):
            task.cancel()

    def _guard(self) -> Any:
        from monitor.crawl.guard import RequestGuard

        return self.crawler.get_downloader_middleware(RequestGuard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.connections.add(task)
        upstream = None
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
            if len(head) > HEAD_LIMIT:
                raise ValueError("request head too long")
            line, _, rest = head.partition(b"\r\n")
            method, target, version = line.decode("latin-1").split(" ", 2)
            if method.upper() == "CONNECT":
                host, _, port = target.rpartition(":")
                scheme, url = "https", f"https://{target}/"
            else:
                parts = urlsplit(target)
                host, port, scheme, url = (
                    parts.hostname or "",
                    str(parts.port or 80),
                    parts.scheme,
                    target,
                )
            host = host.strip("[]")
            refused, address = await self._guard().browser_check(scheme, host, int(port), url)
            if refused:
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                return
            up_reader, upstream = await asyncio.wait_for(
                asyncio.open_connection(address, int(port)), HEAD_TIMEOUT
            )
            if method.upper() == "CONNECT":
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            else:
                upstream.write(_origin_form(method, target, version, rest))
            await asyncio.gather(
                self._pipe(reader, upstream), self._pipe(up_reader, writer, self.maxsize)
            )
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                asyncio.TimeoutError):  # fmt: skip
            pass  # the browser sees a closed connection: that request fails, nothing else
        finally:
            for stream in (writer, upstream):
                if stream is not None:
                    with contextlib.suppress(Exception):
                        stream.close()
            if task is not None:
                self.connections.discard(task)

    @staticmethod
    async def _pipe(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, limit: int = 0
    ) -> None:
        sent = 0
        try:
            while chunk := await reader.read(64 * 1024):
                sent += len(chunk)
                if limit and sent > limit:
                    break  # over DOWNLOAD_MAXSIZE: the connection is cut
                writer.write(chunk)
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()


def _origin_form(method: str, target: str, version: str, rest: bytes) -> bytes:
    """An absolute-form proxy request rewritten for the origin server, one request per
    connection (the proxy reads no further heads from it)."""
    parts = urlsplit(target)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [
        line
        for line in rest.split(b"\r\n")
        if line and not line.lower().startswith((b"proxy-", b"connection:", b"keep-alive:"))
    ]
    head = f"{method} {path} {version}\r\n".encode("latin-1")
    return head + b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n"
