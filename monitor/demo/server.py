"""A small HTTP server for the bundled sample sites (tests, `make demo`, benchmarks).

Serves a folder on 127.0.0.1 (port 0: the system picks a free one), with per-file headers from
`headers.json` beside the folder, and `{{BASE}}` in .xml/.txt files (gzipped too) replaced by the
server's own address, so feeds and sitemaps carry absolute URLs.

Like a real web server it sends ETag and Last-Modified (the file's modification time) and answers
conditional GETs with 304. `server.log` keeps (path, status) of every request; `server.delay`
slows every answer down (the kill-and-resume test needs a crawl that takes a while) and
`server.fail` makes chosen paths answer an error status. `server.routes` maps a path to a function
(method, query parameters, body) → (status, headers, body), for fixture APIs.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
import threading
import time
from collections.abc import Callable
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from monitor import command as monitor_command

TEMPLATED = (".xml", ".txt", ".xml.gz")
Answer = tuple[int, dict[str, str], bytes]  # status, headers, body
# Politeness protects other people's servers; crawling this local one needs none. The crawler
# refuses loopback addresses unless told otherwise: this server is on 127.0.0.1.
LOCAL_CRAWL_SETTINGS = (
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "MONITOR_PRIVATE_NETWORKS=127.0.0.1/32",
)


def crawl_command(sources: Path, *extra: str) -> list[str]:
    """`monitor crawl` of a sources file that points at a local server, politeness off."""
    return monitor_command("crawl", "--sources", str(sources), *LOCAL_CRAWL_SETTINGS, *extra)


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, headers: dict[str, dict[str, str]], port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.root, self.headers = root.resolve(), headers
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.requests: list[str] = []
        self.log: list[tuple[str, int]] = []
        self.delay = 0.0
        self.fail: dict[str, int] = {}  # path → status to answer instead (an outage, in tests)
        # (path prefix, event): requests under the prefix wait for the event (at most a minute),
        # so that a test can have every crawler at work before any page arrives
        self.hold: tuple[str, threading.Event] | None = None
        self.routes: dict[str, Callable[[str, dict[str, str], bytes], Answer]] = {}


class _Handler(BaseHTTPRequestHandler):
    server: SiteServer
    protocol_version = "HTTP/1.1"
    # One segment per answer, sent at once: unbuffered, headers and body went out as two writes,
    # and on a keep-alive connection Nagle's algorithm held the body back until the client's
    # delayed ACK, 40 ms for every answer (bench: 43 ms → under 1 ms a request).
    disable_nagle_algorithm = True
    wbufsize = 256 * 1024  # flushed by http.server after each answer

    def log_message(self, format: str, *args) -> None:  # quiet
        pass

    def _body(self, path: Path) -> bytes:
        body = path.read_bytes()
        name = path.name
        if name.endswith(TEMPLATED):
            base = self.server.base.encode()
            if name.endswith(".gz"):
                return gzip.compress(gzip.decompress(body).replace(b"{{BASE}}", base), mtime=0)
            body = body.replace(b"{{BASE}}", base)
        return body

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self._route("POST", body):
            self._send(405, b"no such API", {"Content-Type": "text/plain"})

    def _route(self, method: str, body: bytes) -> bool:
        parts = urlsplit(self.path)
        handler = self.server.routes.get(unquote(parts.path))
        if handler is None:
            return False
        self.server.requests.append(self.path)
        query = dict(parse_qsl(parts.query))
        status, headers, answer = handler(method, query, body)
        self._send(status, answer, headers)
        return True

    def do_GET(self) -> None:
        if self._route("GET", b""):
            return
        url_path = unquote(urlsplit(self.path).path)
        self.server.requests.append(self.path)
        hold = self.server.hold
        if hold and url_path.startswith(hold[0]):
            hold[1].wait(60)
        if self.server.delay:
            time.sleep(self.server.delay)
        if url_path in self.server.fail:
            self._send(self.server.fail[url_path], b"unavailable", {"Content-Type": "text/plain"})
            return
        target = (self.server.root / url_path.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if self.server.root not in target.parents or not target.is_file():
            self._send(
                404,
                b"<html><body><h1>404 Not Found</h1></body></html>",
                {"Content-Type": "text/html"},
            )
            return
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if target.name.endswith(".gz"):
            kind = "application/x-gzip"
        body = self._body(target)
        validators = {
            "ETag": f'"{hashlib.sha1(body).hexdigest()[:16]}"',
            "Last-Modified": formatdate(int(target.stat().st_mtime), usegmt=True),
        }
        headers = {"Content-Type": kind, **validators, **self.server.headers.get(url_path, {})}
        if self._not_modified(validators):
            self._send(304, b"", {"ETag": validators["ETag"]})
        else:
            self._send(200, body, headers)

    def _not_modified(self, validators: dict[str, str]) -> bool:
        """RFC 9110: If-None-Match decides when present, else If-Modified-Since."""
        tags = self.headers.get("If-None-Match")
        if tags is not None:
            return validators["ETag"] in [t.strip() for t in tags.split(",")] or tags.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            return parsedate_to_datetime(validators["Last-Modified"]) <= parsedate_to_datetime(
                since
            )
        except (TypeError, ValueError):
            return False

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.server.log.append((urlsplit(self.path).path, status))
        send(self, status, headers, body)


def send(
    handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes
) -> None:
    """Answer a request: status, headers, Content-Length and the body."""
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def serve(root: Path, port: int = 0) -> SiteServer:
    """Start serving `root` in a background thread; `server.base` is its address."""
    headers_file = root.parent / "headers.json"
    headers = json.loads(headers_file.read_text()) if headers_file.exists() else {}
    server = SiteServer(root, headers, port)
    threading.Thread(target=server.serve_forever, name="devserver", daemon=True).start()
    return server


def render_sources(template: Path, base: str, target: Path) -> Path:
    """Write a sources file with {{BASE}} replaced by the server's address."""
    target.write_text(
        template.read_text(encoding="utf-8").replace("{{BASE}}", base), encoding="utf-8"
    )
    return target


def demo_sources(bases: dict[Path, str], target: Path) -> Path:
    """One sources file for the served sample sites (template folder → its server's address),
    ready for `monitor crawl`, `sources check` and `schedule` as it is: each source may reach the
    local server (private_networks) and needs no politeness delay."""
    import yaml

    entries: list[dict] = []
    for folder, base in bases.items():
        text = (folder / "sources.yaml").read_text(encoding="utf-8").replace("{{BASE}}", base)
        for entry in yaml.safe_load(text)["sources"]:
            entries.append({**entry, "private_networks": ["127.0.0.1/32"], "delay": 0})
    header = (
        "# The bundled sample sites, served by `monitor demo serve` (generated: edit freely).\n"
        "# Each source may reach 127.0.0.1 (private_networks) and waits no delay between pages.\n"
    )
    body = yaml.safe_dump({"sources": entries}, allow_unicode=True, sort_keys=False, width=100)
    target.write_text(header + body, encoding="utf-8")
    return target
