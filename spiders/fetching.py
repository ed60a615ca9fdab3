"""Polite, guarded fetching outside a crawl, for `monitor sources discover` and `monitor sources
check`: the same checks as a crawl's request guard (monitor.crawl.guard: http(s) only, no private
or link-local address unless allowed, every redirect checked), robots.txt obeyed, answers capped
in size, a budget of requests and a delay between requests to a host."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scrapy.http import Response, TextResponse
from scrapy.http.headers import Headers
from scrapy.responsetypes import responsetypes

from monitor.crawl.guard import Network, forbidden_address
from monitor.text.urls import url_problem

MAX_REQUESTS = 24  # per discovery or check of one source
MAX_BYTES = 5 * 1024 * 1024  # per answer, after decompression


class FetchError(Exception):
    """A request that could not be made (refused, failed, over a limit): one line; `status`:
    the HTTP status, when the server answered one."""

    def __init__(self, message: str, status: int | None = None, blocked: bool = False):
        super().__init__(message)
        self.status, self.blocked = status, blocked


class _Guarded(urllib.request.HTTPRedirectHandler):
    def __init__(self, fetcher: Fetcher):
        self.fetcher = fetcher

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        self.fetcher.check(newurl)  # a redirect is a request like any other
        return super().redirect_request(req, fp, code, msg, headers, newurl)


@dataclass
class Fetcher:
    """Polite, guarded GETs: at most `max_requests`, `delay` seconds apart per host, robots.txt
    obeyed, answers capped at MAX_BYTES (after decompression)."""

    user_agent: str
    timeout: float = 20.0
    private_networks: tuple[Network, ...] = ()
    delay: float = 1.0
    max_requests: int = MAX_REQUESTS
    requests: int = 0
    log: list[str] = field(default_factory=list)  # every URL asked for, with its outcome
    _robots: dict[str, urllib.robotparser.RobotFileParser | None] = field(default_factory=dict)
    _last: dict[str, float] = field(default_factory=dict)

    def check(self, url: str) -> None:
        problem = url_problem(url)
        if problem:
            raise FetchError(f"refused ({problem}): {url}", blocked=True)
        host = urlsplit(url).hostname or ""
        try:
            addresses = {a[4][0] for a in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
        except OSError:
            raise FetchError(f"cannot resolve {host}") from None
        for address in sorted(addresses):
            if forbidden_address(address, self.private_networks):
                raise FetchError(
                    f"refused (private_address): {host} is {address}, not public "
                    "(allow it with MONITOR_PRIVATE_NETWORKS)",
                    blocked=True,
                )

    def get(self, url: str, robots: bool = True, headers: dict[str, str] | None = None) -> Response:
        return self.send(url, robots=robots, headers=headers)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Response:
        return self.send(url, body=body, headers=headers)

    def send(
        self,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        robots: bool = True,
    ) -> Response:
        self.check(url)
        if robots and not self.allowed(url):
            raise FetchError(f"robots.txt disallows {url}", blocked=True)
        if self.requests >= self.max_requests:
            raise FetchError(f"more than {self.max_requests} requests: stopped")
        host = urlsplit(url).netloc
        wait = self._last.get(host, 0.0) + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.requests += 1
        opener = urllib.request.build_opener(_Guarded(self))
        request = urllib.request.Request(
            url, data=body, headers={"User-Agent": self.user_agent, **(headers or {})}
        )
        try:
            with opener.open(request, timeout=self.timeout) as answer:
                raw = answer.read(MAX_BYTES + 1)
                final, header_items = answer.geturl(), answer.getheaders()
        except urllib.error.HTTPError as exc:
            self.log.append(f"{url}: HTTP {exc.code}")
            blocked = exc.code in (401, 403, 429, 451)
            raise FetchError(f"HTTP {exc.code} from {url}", exc.code, blocked) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            self.log.append(f"{url}: failed")
            raise FetchError(f"cannot fetch {url}: {getattr(exc, 'reason', exc)}") from None
        finally:
            self._last[host] = time.monotonic()
        if len(raw) > MAX_BYTES:
            raise FetchError(f"{url}: more than {MAX_BYTES} bytes")
        self.log.append(f"{url}: {len(raw)} bytes")
        scrapy_headers = Headers(header_items)
        cls = responsetypes.from_args(headers=scrapy_headers, url=final, body=raw)
        return cls(url=final, body=raw, headers=scrapy_headers, status=200)

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self._robots:
            parser: urllib.robotparser.RobotFileParser | None = None
            try:
                answer = self.get(root + "/robots.txt", robots=False)
                parser = urllib.robotparser.RobotFileParser()
                parser.parse(answer.text.splitlines() if isinstance(answer, TextResponse) else [])
            except FetchError:
                parser = None  # no robots.txt: everything is allowed
            self._robots[root] = parser
        parser = self._robots[root]
        return parser is None or parser.can_fetch(self.user_agent, url)

    def sitemaps_in_robots(self, url: str) -> list[str]:
        parts = urlsplit(url)
        self.allowed(url)
        parser = self._robots.get(f"{parts.scheme}://{parts.netloc}")
        return list(parser.site_maps() or []) if parser else []

    def get_or_none(self, url: str) -> Response | None:
        try:
            return self.get(url)
        except FetchError:
            return None
