"""Where Elasticsearch is and how to log in: MONITOR_ES_* settings and environment variables,
validated once. Secrets are kept out of `repr` and of every message."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from monitor.coerce import number
from monitor.errors import ConfigError


def _redact_url(url: str) -> str:
    """The URL with any user name and password replaced by ***; never raises."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))
    return url


# The oldest local node supported: the first 8.x whose integ-test-zip our analysis plugin builds
# against and the suite's smoke tier runs on (docs/operations.md).
OLDEST_LOCAL = (14, 3)


@dataclass(frozen=True)
class EsConfig:
    """Where Elasticsearch is and how to log in. No URL means the local node under `home`."""

    url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_certs: str | None = None
    fingerprint: str | None = None
    cloud_id: str | None = field(default=None, repr=False)
    index_prefix: str = "monitor"
    home: Path = Path("var")
    local_port: int = 9200
    local_heap: str = "512m"
    local_version: str = "8.19.21"
    request_timeout: float = 30.0

    ENV = {
        "url": "MONITOR_ES_URL",
        "api_key": "MONITOR_ES_API_KEY",
        "username": "MONITOR_ES_USERNAME",
        "password": "MONITOR_ES_PASSWORD",
        "ca_certs": "MONITOR_ES_CA_CERTS",
        "fingerprint": "MONITOR_ES_FINGERPRINT",
        "cloud_id": "MONITOR_ES_CLOUD_ID",
        "index_prefix": "MONITOR_INDEX_PREFIX",
        "home": "MONITOR_HOME",
        "local_port": "MONITOR_ES_PORT",
        "local_heap": "MONITOR_ES_HEAP",
        "local_version": "MONITOR_ES_VERSION",
        "request_timeout": "MONITOR_ES_TIMEOUT",
    }

    @classmethod
    def from_env(cls, *sources: Mapping[str, Any]) -> EsConfig:
        """Read MONITOR_* names from each mapping in turn (first hit wins), e.g. settings, env."""
        values: dict[str, Any] = {}
        for attr, name in cls.ENV.items():
            for mapping in (*sources, os.environ):
                raw = mapping.get(name)
                if raw not in (None, ""):
                    values[attr] = _coerce(attr, name, raw)
                    break
        for attr, name in SECRET_FILES.items():  # a secret from a file (a mounted secret)
            if attr in values:
                continue
            path = next((m.get(name) for m in (*sources, os.environ) if m.get(name)), None)
            if path:
                values[attr] = read_secret(name, path)
        config = cls(**values)
        if config.url and config.cloud_id:
            raise ConfigError("set MONITOR_ES_URL or MONITOR_ES_CLOUD_ID, not both")
        tls = [n for n, v in (("MONITOR_ES_CA_CERTS", config.ca_certs),
                              ("MONITOR_ES_FINGERPRINT", config.fingerprint)) if v]  # fmt: skip
        plain = [u for u in config.hosts if u.startswith("http:")] if config.url else []
        if tls and plain:
            raise ConfigError(f"{tls[0]} is set but MONITOR_ES_URL is plain http "
                              f"({_redact_url(plain[0])}): use https://")  # fmt: skip
        remote = config.url or config.cloud_id
        if remote and (config.username is None) != (config.password is None):
            raise ConfigError("set both MONITOR_ES_USERNAME and MONITOR_ES_PASSWORD, or neither")
        if not re.match(r"^[a-z0-9][a-z0-9_-]*$", config.index_prefix):
            raise ConfigError(
                "MONITOR_INDEX_PREFIX: use lower-case letters, digits, '-' or '_', "
                f"got {config.index_prefix!r}"
            )
        return config

    @property
    def local(self) -> bool:
        return not (self.url or self.cloud_id)

    @property
    def effective_url(self) -> str:
        return self.url or f"http://127.0.0.1:{self.local_port}"

    @property
    def hosts(self) -> list[str]:
        """The cluster's URLs: MONITOR_ES_URL may list several, comma-separated (the client
        fails over between them)."""
        return [u.strip() for u in self.effective_url.split(",") if u.strip()]

    @property
    def display_url(self) -> str:
        """The URL(s) without credentials, for logs and messages."""
        if self.cloud_id:
            return f"Elastic Cloud deployment {self.cloud_id.split(':', 1)[0]!r}"
        return ",".join(_redact_url(u) for u in self.hosts)

    def index_name(self, kind: str) -> str:
        """The alias for one kind of document, e.g. `monitor-articles`."""
        return f"{self.index_prefix}-{kind}"


# the settings a secret may also be read from, as a file's content (Docker and Kubernetes secrets)
SECRET_FILES = {"api_key": "MONITOR_ES_API_KEY_FILE", "password": "MONITOR_ES_PASSWORD_FILE"}


def read_secret(name: str, path: str) -> str:
    """A secret from a file (its content, stripped); ConfigError when unreadable or empty."""
    try:
        secret = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read {path}: {exc.strerror}") from None
    if not secret:
        raise ConfigError(f"{name}: {path} is empty")
    return secret


def _coerce(attr: str, name: str, raw: Any) -> Any:
    try:
        if attr == "local_port":
            return number(raw, int, minimum=1, maximum=65535)
        if attr == "request_timeout":
            return number(raw, float, above=0)
    except ValueError:
        what = "a TCP port (1-65535)" if attr == "local_port" else "seconds > 0"
        raise ConfigError(f"{name}: expected {what}, got {raw!r}") from None
    if attr == "home":
        return Path(raw)
    if attr == "fingerprint":
        digits = re.sub(r"[\s:]", "", str(raw)).lower()
        if not re.fullmatch(r"[0-9a-f]{64}", digits):
            raise ConfigError(f"{name}: expected a SHA-256 fingerprint (64 hex digits): {raw!r}")
        return digits
    if attr == "local_version":
        found = re.fullmatch(r"8\.(\d+)\.(\d+)", str(raw).strip())
        if not found or (int(found[1]), int(found[2])) < OLDEST_LOCAL:
            raise ConfigError(
                f"{name}: expected an Elasticsearch version 8.14.3 to 8.x, got {raw!r}"
            )
        return found[0]
    if attr == "url":
        for url in str(raw).split(","):  # several: the nodes of one cluster
            try:
                parts = urlsplit(url.strip())
                parts.port  # noqa: B018 -- raises ValueError on a port out of range or not a number
            except ValueError as exc:
                raise ConfigError(f"{name}: {exc}, in {_redact_url(url)!r}") from None
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigError(f"{name}: expected an http(s) URL, got {_redact_url(url)!r}")
    if attr == "ca_certs" and not Path(raw).is_file():
        raise ConfigError(f"{name}: CA file not found: {raw}")
    return str(raw)
