"""Alert channels, declared in a YAML file (`MONITOR_CHANNELS_FILE`, default `channels.yaml`) and
validated once, with errors that name the file, the line and the field.

    channels:
      - id: ops-mail
        type: email                  # email | webhook | slack | jsonl
        host: smtp.example.org
        port: 587
        security: starttls           # starttls | ssl | none
        username: monitor            # optional; the password comes from the environment
        password_env: MONITOR_SMTP_PASSWORD
        from: monitor@example.org
        to: [analyst@example.org]
      - id: ops-hook
        type: webhook
        url: https://hooks.example.org/news-monitor
        secret_env: MONITOR_WEBHOOK_SECRET   # signs the body: X-Monitor-Signature: sha256=<hex>
      - id: team-chat
        type: slack
        url: https://hooks.slack.com/services/...
      - id: log
        type: jsonl
        path: var/alerts.jsonl
    health: [ops-mail, log]          # channels that hear about source health changes

Secrets are never written in the file: `password_env` and `secret_env` name environment
variables, read at start-up (a missing one is an error).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor.errors import ConfigError
from monitor.sources import yamlfile

KEYS = {
    "email": {"host", "port", "security", "username", "password_env", "from", "to", "timeout"},
    "webhook": {"url", "secret_env", "timeout", "retries"},
    "slack": {"url", "timeout", "retries"},
    "jsonl": {"path"},
}
SECURITY = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class Channel:
    id: str
    type: str
    options: dict[str, Any] = field(default_factory=dict)
    secret: str | None = field(default=None, repr=False)  # SMTP password or webhook HMAC key


@dataclass(frozen=True)
class Channels:
    channels: dict[str, Channel]
    health: tuple[str, ...] = ()  # channel ids for source health changes


class _Checker(yamlfile.EntryChecker):
    kind = "channel"

    def url(self) -> str:
        url = self.text("url", required=True)
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            self.fail("url", f"not an http(s) URL: {shown_url(url)!r}")
        return url

    def secret(self, key: str) -> str | None:
        name = self.text(key)
        if name is None:
            return None
        if name not in os.environ:
            self.fail(key, f"environment variable {name} is not set")
        return os.environ[name]

    def number(self, key: str, default: float, minimum: float) -> float:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            self.fail(key, f"expected a number >= {minimum}, got {value!r}")
        return value

    def build(self) -> Channel:
        channel_id = self.text("id", required=True)
        kind = self.text("type", required=True)
        if kind not in KEYS:
            self.fail("type", f"must be one of {', '.join(KEYS)}, got {kind!r}")
        unknown = set(self.raw) - KEYS[kind] - {"id", "type"}
        if unknown:
            self.fail(sorted(unknown)[0], f"not a field of {kind} channels: {sorted(KEYS[kind])}")
        return getattr(self, f"_{kind}")(channel_id)

    def _email(self, channel_id: str) -> Channel:
        to = yamlfile.unwrap(self.raw.get("to"))
        to = [to] if isinstance(to, str) else to
        if not to or not all(isinstance(a, str) and "@" in a for a in to):
            self.fail("to", f"expected an address or a list of addresses, got {to!r}")
        security = self.raw.get("security", "starttls")
        if security not in SECURITY:
            self.fail("security", f"must be one of {', '.join(SECURITY)}, got {security!r}")
        options = {
            "host": self.text("host", required=True),
            "port": int(self.number("port", 587 if security == "starttls" else 25, 1)),
            "security": security,
            "username": self.text("username"),
            "from": self.text("from", required=True),
            "to": list(to),
            "timeout": self.number("timeout", 30, 1),
        }
        return Channel(channel_id, "email", options, self.secret("password_env"))

    def _http(self) -> dict[str, Any]:
        return {
            "url": self.url(),
            "timeout": self.number("timeout", 10, 1),
            "retries": int(self.number("retries", 3, 0)),
        }

    def _webhook(self, channel_id: str) -> Channel:
        return Channel(channel_id, "webhook", self._http(), self.secret("secret_env"))

    def _slack(self, channel_id: str) -> Channel:
        return Channel(channel_id, "slack", self._http())

    def _jsonl(self, channel_id: str) -> Channel:
        return Channel(channel_id, "jsonl", {"path": self.text("path", required=True)})


def load_channels(path: str | Path, required: bool = False) -> Channels:
    """Channels from a file; an absent file means no channels, unless `required`."""
    file = str(path)
    if not Path(path).exists() and not required:
        return Channels({})
    doc = yamlfile.load(path)
    if doc is None or not isinstance(doc.value, dict):
        raise ConfigError("expected a mapping with 'channels:'", file=file, line=1)
    unknown = set(doc.value) - {"channels", "health"}
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(f"unknown top-level key {key!r}", file=file, line=doc.lines[key])
    entries = doc.value.get("channels")
    items = entries.value if isinstance(entries, yamlfile.Located) else None
    if not isinstance(items, list):
        raise ConfigError("'channels' must be a list", file=file, line=doc.lines.get("channels", 1))
    channels: dict[str, Channel] = {}
    for index, entry in enumerate(items):
        if not isinstance(entry, yamlfile.Located) or not isinstance(entry.value, dict):
            raise ConfigError(
                "each channel must be a mapping", file=file, line=entries.lines[index]
            )
        channel = _Checker(entry, file).build()
        if channel.id in channels:
            raise ConfigError(f"duplicate channel id {channel.id!r}", file=file, line=entry.line)
        channels[channel.id] = channel
    health = yamlfile.unwrap(doc.value.get("health")) or []
    health = [health] if isinstance(health, str) else health
    missing = [h for h in health if h not in channels]
    if missing:
        raise ConfigError(
            f"'health' names unknown channel(s) {missing}; defined: {sorted(channels)}",
            file=file,
            line=doc.lines["health"],
        )
    return Channels(channels, tuple(health))


def shown_url(url: str) -> str:
    """A webhook URL as it may be shown: scheme and host only. A Slack-compatible webhook's path
    *is* its secret, and other webhooks often carry a token in the path or the query."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/***"
