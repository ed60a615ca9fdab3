"""`monitor serve`: the feeds and the pages over HTTP, read-only.

    /                      the feeds (HTML, with <link rel=alternate> for readers' discovery)
    /feeds/KIND:NAME.atom  a feed (KIND: search or watch; the bare name when it is unique)
    /search?q=…&lang=…     search results (the query language of `monitor search`)
    /doc/ID                one document: metadata, text beside its translation, attachments,
                           what it cites and what cites it
    /healthz               `ok` while the cluster answers

GET and HEAD only (405 otherwise). On loopback no token is needed unless one is set; on any other
address a token is (MONITOR_SERVE_TOKEN or MONITOR_SERVE_TOKEN_FILE): a reader subscribes to
`…/feeds/NAME.atom?token=T`, a script sends `Authorization: Bearer T`, and a browser that opened
a page with `?token=` keeps it in an HttpOnly, SameSite=Strict cookie, so the pages' own links
never carry it. The access log masks it. Pages carry a Content-Security-Policy with no script
and send no Referer to the original sites.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
from collections.abc import Callable
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from monitor.errors import ConfigError, MonitorError, QueryError, SearchBackendError
from monitor.es.config import EsConfig

logger = logging.getLogger(__name__)

COOKIE = "monitor_token"
MAX_QUERY = 500  # characters of a search query
MAX_PAGE = 50
PAGE_SIZE = 20
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_TOKEN_IN_LINE = re.compile(r"(token=)[^&\s]*")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_token(host: str) -> str | None:
    """The token required, from the environment or its file; ConfigError when serving beyond
    loopback without one."""
    import os

    from monitor.es.config import read_secret

    token = os.environ.get("MONITOR_SERVE_TOKEN") or None
    if token is None and os.environ.get("MONITOR_SERVE_TOKEN_FILE"):
        token = read_secret("MONITOR_SERVE_TOKEN_FILE", os.environ["MONITOR_SERVE_TOKEN_FILE"])
    if token is not None and len(token) < 16:
        raise ConfigError("MONITOR_SERVE_TOKEN: use at least 16 characters")
    if token is None and not is_loopback(host):
        raise ConfigError(
            f"serving on {host} needs a token: set MONITOR_SERVE_TOKEN (or "
            "MONITOR_SERVE_TOKEN_FILE), or serve on 127.0.0.1"
        )
    return token


class Site:
    """What the handler asks of the cluster (one client, shared by the server's threads)."""

    def __init__(self, es: Any, config: EsConfig, feed_size: int, base_url: str):
        self.es, self.config, self.feed_size, self.base_url = es, config, feed_size, base_url

    def index(self) -> bytes:
        from monitor.feeds.entries import list_feeds
        from monitor.feeds.pages import index_page

        return index_page(list_feeds(self.es, self.config))

    def feed(self, name: str) -> bytes:
        from monitor.feeds.atom import atom
        from monitor.feeds.entries import feed_entries, find_feed
        from monitor.feeds.pages import feed_href

        feed = find_feed(self.es, self.config, name)
        entries = feed_entries(self.es, self.config, feed, self.feed_size)
        return atom(
            feed,
            entries,
            self.config.index_prefix,
            self_url=self.base_url + feed_href(feed),
            doc_url=lambda doc_id: f"{self.base_url}/doc/{quote(doc_id, safe='')}",
        )

    def search(self, query: str, lang: str, page_no: int) -> bytes:
        from monitor.feeds.pages import results_page
        from monitor.search.engine import SearchRequest, check_request, search

        alias = self.config.index_name("articles")
        request = SearchRequest(
            query, lang or None, size=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
        )
        check_request(self.es, alias, request, self.config.display_url)
        result = search(self.es, alias, request)
        return results_page(query, result, page_no, PAGE_SIZE, lang)

    def document(self, doc_id: str) -> bytes:
        from monitor.feeds.pages import document_page
        from monitor.search.references import document_references

        alias = self.config.index_name("articles")
        found = self.es.options(ignore_status=404).get(index=alias, id=doc_id)
        if not found.get("found"):
            raise LookupError(f"no document {doc_id!r}")
        doc = {"id": found["_id"], **found["_source"]}
        return document_page(doc, document_references(self.es, alias, doc))

    def healthy(self) -> bool:
        """The cluster answers, and is not red (GET / is not on every node: the integ-test
        distribution lacks its module)."""
        try:
            return self.es.cluster.health(timeout="5s")["status"] != "red"
        except Exception:
            return False


def handler(site: Site, token: str | None, say: Callable[[str], None]) -> type:
    class Handler(BaseHTTPRequestHandler):
        server_version = "news-monitor"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's names)
            self._answer(with_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(with_body=False)

        def _read_only(self) -> None:
            self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"read-only: GET and HEAD\n",
                       "text/plain; charset=utf-8", extra={"Allow": "GET, HEAD"})  # fmt: skip

        do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _read_only  # noqa: N815

        def _answer(self, with_body: bool) -> None:
            self.with_body = with_body
            parts = urlsplit(self.path)
            args = {k: v[-1] for k, v in parse_qs(parts.query, max_num_fields=20).items()}
            cookie = self._granted(args)
            if cookie is False:
                self._error(HTTPStatus.UNAUTHORIZED, "a token is required (?token= or "
                            "Authorization: Bearer)", {"WWW-Authenticate": "Bearer"})  # fmt: skip
                return
            extra = {"Set-Cookie": cookie} if isinstance(cookie, str) else {}
            try:
                self._route(unquote(parts.path), args, extra)
            except LookupError as exc:
                self._error(HTTPStatus.NOT_FOUND, str(exc).strip("'\""), extra)
            except QueryError as exc:
                status = HTTPStatus.NOT_FOUND if "no saved search" in str(exc) else 400
                self._error(HTTPStatus(status), str(exc), extra)
            except (SearchBackendError, MonitorError) as exc:
                self._error(HTTPStatus.SERVICE_UNAVAILABLE, str(exc), extra)
            except Exception as exc:  # the cluster's errors, a bug: this request only
                from monitor.es.client import describe

                logger.exception("serve: %s failed", self._masked_path())
                self._error(HTTPStatus.SERVICE_UNAVAILABLE, describe(exc, site.config), extra)

        def _route(self, path: str, args: dict[str, str], extra: dict[str, str]) -> None:
            html = "text/html; charset=utf-8"
            if path == "/":
                self._send(HTTPStatus.OK, site.index(), html, extra)
            elif path.startswith("/feeds/") and path.endswith(".atom"):
                body = site.feed(path.removeprefix("/feeds/").removesuffix(".atom"))
                self._send(HTTPStatus.OK, body, "application/atom+xml; charset=utf-8", extra)
            elif path == "/search":
                query = args.get("q", "").strip()
                if len(query) > MAX_QUERY:
                    raise QueryError(f"a query of at most {MAX_QUERY} characters")
                page_no = args.get("page", "1")
                if not page_no.isdigit() or not 1 <= int(page_no) <= MAX_PAGE:
                    raise QueryError(f"page: 1 to {MAX_PAGE}")
                lang = args.get("lang", "")
                if lang not in ("", "zh", "en"):
                    raise QueryError("lang: zh or en")
                self._send(HTTPStatus.OK, site.search(query, lang, int(page_no)), html, extra)
            elif path.startswith("/doc/") and len(path) > 5:
                self._send(HTTPStatus.OK, site.document(path[5:]), html, extra)
            elif path == "/healthz":
                ok = site.healthy()
                status = HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE
                self._send(status, b"ok\n" if ok else b"cluster unreachable\n", "text/plain")
            else:
                raise LookupError(f"nothing at {path[:200]}")

        def _granted(self, args: dict[str, str]) -> bool | str:
            """True (or a cookie to set) when no token is needed or the request carries it."""
            if token is None:
                return True
            given = args.get("token")
            if given is not None:
                if not hmac.compare_digest(given.encode(), token.encode()):
                    return False
                return f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Bearer "):
                return hmac.compare_digest(auth[7:].strip().encode(), token.encode())
            jar = SimpleCookie()
            try:
                jar.load(self.headers.get("Cookie", ""))
            except Exception:
                return False
            held = jar.get(COOKIE)
            return held is not None and hmac.compare_digest(held.value.encode(), token.encode())

        def _error(self, status: HTTPStatus, message: str, extra: dict[str, str]) -> None:
            from monitor.feeds.pages import error_page

            self._send(status, error_page(int(status), message), "text/html; charset=utf-8", extra)

        def _send(self, status: HTTPStatus, body: bytes, kind: str,
                  extra: dict[str, str] | None = None) -> None:  # fmt: skip
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in {**HEADERS, **(extra or {})}.items():
                self.send_header(name, value)
            self.end_headers()
            if getattr(self, "with_body", True):
                self.wfile.write(body)

        def _masked_path(self) -> str:
            return _TOKEN_IN_LINE.sub(r"\1***", self.path)[:300]

        def log_message(self, format: str, *args: Any) -> None:
            say(_TOKEN_IN_LINE.sub(r"\1***", format % args))

    return Handler


class FeedServer:
    """The HTTP server, on its own threads; `url` once bound (port 0: any free port)."""

    def __init__(self, site: Site, host: str, port: int, token: str | None,
                 say: Callable[[str], None]):  # fmt: skip
        try:
            self.httpd = ThreadingHTTPServer((host, port), handler(site, token, say))
        except OSError as exc:
            raise ConfigError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
        self.httpd.daemon_threads = True
        bound = self.httpd.server_address
        shown = f"[{bound[0]}]" if ":" in str(bound[0]) else bound[0]
        self.url = f"http://{shown}:{bound[1]}"
        if not site.base_url:
            site.base_url = self.url

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.5)

    def shutdown(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
