"""Delivery of one message to one channel. Blocking: call it off the reactor.

Every failure raises DeliveryError with a one-line reason (no secrets); webhooks are retried with
exponential backoff first. The caller keeps the alert pending and tries again later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from monitor.notify.channels import Channel, shown_url

RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
SIGNATURE_HEADER = "X-Monitor-Signature"


class DeliveryError(Exception):
    """A channel could not take the message."""


@dataclass(frozen=True)
class Message:
    subject: str
    text: str  # plain-text body
    html: str  # HTML body (e-mail)
    payload: dict[str, Any] = field(default_factory=dict)  # the JSON webhooks and files receive


def sign(secret: str, body: bytes) -> str:
    """The signature header value a receiver recomputes to trust a webhook body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(channel: Channel, message: Message, sleep=time.sleep) -> None:
    try:
        {"email": _email, "webhook": _webhook, "slack": _slack, "jsonl": _jsonl}[channel.type](
            channel, message, sleep
        )
    except DeliveryError:
        raise
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"channel {channel.id}: {type(exc).__name__}: {exc}") from None


def _email(channel: Channel, message: Message, sleep) -> None:
    o = channel.options
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = message.subject, o["from"], ", ".join(o["to"])
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    context = ssl.create_default_context()
    if o["security"] == "ssl":
        smtp = smtplib.SMTP_SSL(o["host"], o["port"], timeout=o["timeout"], context=context)
    else:
        smtp = smtplib.SMTP(o["host"], o["port"], timeout=o["timeout"])
    with smtp:
        if o["security"] == "starttls":
            smtp.starttls(context=context)
        if o["username"]:
            smtp.login(o["username"], channel.secret or "")
        smtp.send_message(mail)


def _post(channel: Channel, body: bytes, headers: dict[str, str], sleep) -> None:
    o = channel.options
    request = urllib.request.Request(
        o["url"], data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    for attempt in range(o["retries"] + 1):
        try:
            with urllib.request.urlopen(request, timeout=o["timeout"]) as response:
                response.read()
                return
        except urllib.error.HTTPError as exc:
            reason = f"HTTP {exc.code}"
            if exc.code not in RETRY_STATUSES:
                break
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
        if attempt < o["retries"]:
            sleep(0.5 * 2**attempt)
    raise DeliveryError(f"channel {channel.id}: {shown_url(o['url'])}: {reason}")


def _webhook(channel: Channel, message: Message, sleep) -> None:
    body = json.dumps(message.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {"X-Monitor-Event": message.payload.get("kind", "alert")}
    if channel.secret:
        headers[SIGNATURE_HEADER] = sign(channel.secret, body)
    _post(channel, body, headers, sleep)


def _slack(channel: Channel, message: Message, sleep) -> None:
    body = json.dumps({"text": f"*{message.subject}*\n{message.text}"}).encode("utf-8")
    _post(channel, body, {}, sleep)


def _jsonl(channel: Channel, message: Message, sleep) -> None:
    path = Path(channel.options["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(message.payload, ensure_ascii=False, sort_keys=True) + "\n")
