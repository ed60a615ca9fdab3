"""A small HTTP server for the bundled sample sites (tests, `make demo`, benchmarks).

Serves a folder on 127.0.0.1 (port 0: the system picks a free one), with per-file headers from
`headers.json` beside the folder, and `{{BASE}}` in .xml/.txt files (gzipped too) replaced by the
server's own address, so feeds and sitemaps carry absolute URLs.
"""

from __future__ import annotations

import gzip
import json
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

TEMPLATED = (".xml", ".txt", ".xml.gz")
# Politeness protects other people's servers; crawling this local one needs none.
LOCAL_CRAWL_SETTINGS = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False")


def crawl_command(sources: Path, *extra: str) -> list[str]:
    """`monitor crawl` of a sources file that points at a local server, politeness off."""
    import sys

    return [
        sys.executable,
        "-m",
        "monitor",
        "crawl",
        "--sources",
        str(sources),
        *LOCAL_CRAWL_SETTINGS,
        *extra,
    ]


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, headers: dict[str, dict[str, str]], port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.root, self.headers = root.resolve(), headers
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.requests: list[str] = []


class _Handler(BaseHTTPRequestHandler):
    server: SiteServer
    protocol_version = "HTTP/1.1"

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

    def do_GET(self) -> None:
        url_path = unquote(urlsplit(self.path).path)
        self.server.requests.append(self.path)
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
        headers = {"Content-Type": kind, **self.server.headers.get(url_path, {})}
        self._send(200, self._body(target), headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


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
