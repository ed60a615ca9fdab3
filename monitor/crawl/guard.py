"""The request guard: a downloader middleware that every request passes first, redirects and
robots.txt included, so that a hostile page cannot make the crawler read a local file or reach an
internal address.

A request is refused (counted as `monitor/fetch/refused/<reason>`, logged once with its URL) when:
- `scheme`, `no_host`, `malformed`, `url_too_long`: it is not an http(s) URL of at most 2,083
  characters with a host;
- `off_scope`: it fetches an attachment from a host that is neither one of the source's hosts nor
  in its `attachment_hosts` (subdomains of either count);
- `private_address`: its host is, or resolves to, an address that is not public (loopback,
  private, link-local such as 169.254.169.254, multicast, reserved, shared) and not inside a
  network the source lists in `private_networks` or the crawl in MONITOR_PRIVATE_NETWORKS.

Host names are resolved here, off the reactor, once per host and crawl; a name that does not
resolve is let through, to fail in the downloader like any unreachable site.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from monitor.crawl.options import CrawlSettings
from monitor.crawl.summary import count
from monitor.text.urls import site_host, url_problem

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(IgnoreRequest):
    """The guard refused a request; `reason` is one word, as counted in the stats."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"refused ({reason}): {detail}")
        self.reason = reason


def in_scope(host: str, hosts: tuple[str, ...]) -> bool:
    """Whether `host` is one of `hosts` or a subdomain of one (a leading www. is ignored)."""
    host = site_host(host)
    return any(host == h or host.endswith("." + h) for h in hosts)


def forbidden_address(address: str, allowed: tuple[Network, ...]) -> bool:
    """Whether an IP address is not public and not inside one of the allowed networks."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed):
        return False
    return not ip.is_global or ip.is_multicast


class RequestGuard:
    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.stats = crawler.stats
        self.networks = CrawlSettings.of(crawler).private_networks
        self.addresses: dict[str, list[str]] = {}  # host → addresses it resolved to

    @classmethod
    def from_crawler(cls, crawler: Any) -> RequestGuard:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        source = getattr(self.crawler.spider, "source", None)
        problem = url_problem(request.url)
        if problem:
            self.refuse(request, problem, "not an http(s) URL this crawler may fetch")
        host = urlsplit(request.url).hostname or ""
        if request.meta.get("monitor_kind") == "attachment" and source is not None:
            scope = source.hosts + source.attachment_hosts
            if not in_scope(host, scope):
                self.refuse(request, "off_scope", f"{host} is not one of {', '.join(scope)}")
        allowed = self.networks + (source.private_networks if source is not None else ())
        for address in await self.resolve(host, request.url):
            if forbidden_address(address, allowed):
                self.refuse(request, "private_address", f"{host} is {address}, not public")

    async def browser_check(
        self, scheme: str, host: str, port: int, url: str
    ) -> tuple[str | None, str | None]:
        """For a rendering browser's request (monitor.crawl.render): (the reason it is refused,
        None) or (None, the address to connect to). Refusals are counted as
        monitor/render/refused/<reason>."""
        source = getattr(self.crawler.spider, "source", None)
        reason, detail, address = None, "", None
        if scheme not in ("http", "https") or not host:
            reason, detail = "scheme", "not an http(s) request"
        else:
            allowed = self.networks + (source.private_networks if source is not None else ())
            addresses = await self.resolve(host, url)
            bad = [a for a in addresses if forbidden_address(a, allowed)]
            if bad:
                reason, detail = "private_address", f"{host} is {bad[0]}, not public"
            elif source is not None and not in_scope(host, source.hosts + source.attachment_hosts):
                reason, detail = "off_scope", f"{host} is not one of the source's hosts"
            elif not addresses:
                reason, detail = "unresolved", f"{host} does not resolve"
            else:
                address = addresses[0]
        if reason:
            count(self.stats, f"monitor/render/refused/{reason}", url[:300])
            log = logger.info if reason in ("off_scope", "unresolved") else logger.warning
            log("source %s: the browser's request for %s refused (%s): %s",
                source.id if source else "?", url[:300], reason, detail)  # fmt: skip
        return reason, address

    async def resolve(self, host: str, url: str) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            pass
        if host not in self.addresses:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            try:
                found = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
            except (OSError, UnicodeError):
                found = []  # the downloader will report the DNS failure
            self.addresses[host] = sorted({info[4][0] for info in found})
        return self.addresses[host]

    def refuse(self, request: Request, reason: str, detail: str) -> None:
        count(self.stats, f"monitor/fetch/refused/{reason}", request.url[:300])
        source = getattr(self.crawler.spider, "source", None)
        logger.warning(
            "source %s: refused %s (%s): %s",
            source.id if source else "?",
            request.url[:300],
            reason,
            detail,
        )
        raise Refused(reason, detail)
