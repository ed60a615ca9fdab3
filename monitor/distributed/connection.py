"""The Redis connection of distributed mode, from MONITOR_REDIS_URL; absent, the single-machine
mode is used everywhere."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from monitor.errors import ConfigError, SearchBackendError

ENV = "MONITOR_REDIS_URL"
CA_ENV = "MONITOR_REDIS_CA_CERTS"  # the CA a rediss:// server's certificate is checked against
LEASE_TTL_ENV = "MONITOR_LEASE_TTL"  # seconds a source's lease lasts unless renewed
DEFAULT_LEASE_TTL = 60.0


def redis_url() -> str | None:
    return os.environ.get(ENV) or None


def display_url(url: str) -> str:
    """The URL without its password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def connect(url: str | None = None, socket_timeout: float | None = None) -> Any:
    """A checked connection (one PING); ConfigError for a bad URL, exit 3 when unreachable.
    `socket_timeout`: each command's bound, retried 3 times with backoff (a crawl's queue)."""
    from redis import Redis
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError, RedisError, TimeoutError
    from redis.retry import Retry

    url = url or redis_url()
    if not url:
        raise ConfigError(f"{ENV} is not set: distributed mode needs a Redis URL")
    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"{ENV}: expected redis://host:port/db, got {display_url(url)!r}")
    options: dict[str, Any] = {}
    if socket_timeout:
        options = {
            "socket_timeout": socket_timeout,
            "retry": Retry(ExponentialBackoff(cap=4, base=0.5), 3),
            "retry_on_error": [ConnectionError, TimeoutError],
        }
    if os.environ.get(CA_ENV):
        if urlsplit(url).scheme != "rediss":
            raise ConfigError(f"{CA_ENV} is set but {ENV} is not rediss:// (TLS)")
        options["ssl_ca_certs"] = os.environ[CA_ENV]
    connection = Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30, **options)
    try:
        connection.ping()
    except RedisError as exc:
        raise SearchBackendError(_refused(exc, url)) from None
    return connection


def _refused(exc: Exception, url: str) -> str:
    """One line for a Redis that does not let us in: the login, TLS, or not reached at all."""
    from redis.exceptions import AuthenticationError, ResponseError

    where = display_url(url)
    said = str(exc)
    if isinstance(exc, AuthenticationError) or (
        isinstance(exc, ResponseError) and ("NOAUTH" in said or "WRONGPASS" in said)
    ):
        return f"Redis at {where} refused the login (the password or user in {ENV})"
    if "CERTIFICATE_VERIFY_FAILED" in said:
        return f"Redis at {where}: its TLS certificate is not trusted (set {CA_ENV})"
    return f"cannot reach Redis at {where} ({type(exc).__name__})"


def lease_ttl() -> float:
    raw = os.environ.get(LEASE_TTL_ENV)
    if not raw:
        return DEFAULT_LEASE_TTL
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{LEASE_TTL_ENV}: expected seconds, got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{LEASE_TTL_ENV}: at least 1 second, got {raw!r}")
    return value
