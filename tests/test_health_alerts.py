"""Health changes raise alerts through real channels: an SMTP server (aiosmtpd) and a webhook
receiver that checks the signature, plus a JSONL file; a channel that is down loses nothing."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from datetime import datetime, timezone
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from monitor.demo.server import LOCAL_CRAWL_SETTINGS, render_sources, serve
from monitor.errors import ConfigError
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from monitor.notify.channels import load_channels
from monitor.notify.send import sign
from tests.conftest import SITES, crawl_json, new_config, run_monitor

SECRET = "s3cret-for-tests"


class Inbox:
    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


class Hook(ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), _HookHandler)
        self.up = True
        self.received: list[dict] = []
        self.bad_signatures = 0
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _HookHandler(BaseHTTPRequestHandler):
    server: Hook

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not self.server.up:
            self.send_response(503)
        elif self.headers.get("X-Monitor-Signature") != sign(SECRET, body):
            self.server.bad_signatures += 1
            self.send_response(401)
        else:
            self.server.received.append(json.loads(body))
            self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


def write_channels(path, smtp_port: int, hook_url: str, jsonl) -> None:
    path.write_text(
        f"""channels:
  - id: mail
    type: email
    host: 127.0.0.1
    port: {smtp_port}
    security: none
    from: monitor@example.org
    to: [analyst@example.org]
  - id: hook
    type: webhook
    url: {hook_url}
    secret_env: TEST_HOOK_SECRET
    retries: 1
  - id: file
    type: jsonl
    path: {jsonl}
health: [mail, hook, file]
""",
        encoding="utf-8",
    )


def set_listing_class(root, css_class: str) -> None:
    for page in (root / "gov/zcwj").glob("index*.html"):
        body = page.read_bytes()
        for old in (b'<ul class="list">', b'<ul class="news-items">'):
            body = body.replace(old, f'<ul class="{css_class}">'.encode())
        page.write_bytes(body)


def test_broken_and_recovered_sources_alert_once_through_every_channel(tmp_path, smtp):
    smtp_port, inbox = smtp
    hook = Hook()
    root = tmp_path / "www"
    shutil.copytree(SITES / "www", root)
    server = serve(root)
    config = new_config()
    channels, jsonl = tmp_path / "channels.yaml", tmp_path / "alerts.jsonl"
    write_channels(channels, smtp_port, f"http://127.0.0.1:{hook.server_port}/hook", jsonl)
    sources = render_sources(SITES / "sources.yaml", server.base, tmp_path / "sources.yaml")
    env = {"TEST_HOOK_SECRET": SECRET}

    def crawl() -> dict:
        extra = ("--source", "jiangdong-gov", "--no-translate", "--channels", str(channels))
        return crawl_json(sources, config, *extra, env_extra=env)

    def stored_alerts() -> list[dict]:
        result = run_monitor("alerts", "list", "--json", config=config)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["alerts"]

    try:
        crawl()  # first run, fine: nothing to say
        assert stored_alerts() == [] and not inbox.mails

        set_listing_class(root, "news-items")  # the CMS changed its layout
        hook.up = False  # and the webhook receiver is down
        crawl()
        [broken] = stored_alerts()
        assert (broken["previous_state"], broken["state"]) == ("ok", "broken")
        assert broken["status"] == "pending" and "HTTP 503" in broken["last_error"]
        assert broken["delivered_to"] == ["file", "mail"]
        [mail] = inbox.mails
        assert "jiangdong-gov is broken" in mail["Subject"]
        parts = {
            p.get_content_type(): p.get_payload(decode=True).decode()
            for p in mail.walk()
            if not p.is_multipart()
        }
        assert "no article links" in parts["text/plain"] and "<p>" in parts["text/html"]

        set_listing_class(root, "list")  # fixed; the receiver is back
        hook.up = True
        # the webhook's retry falls due 2 s after its failure: a crawl that finds nothing to
        # extract ends sooner than that, and would find the retry not yet due
        due = datetime.fromisoformat(broken["next_attempt_at"])
        time.sleep(max(0.0, (due - datetime.now(timezone.utc)).total_seconds()) + 0.2)
        crawl()
        alerts = stored_alerts()
        assert [(a["previous_state"], a["state"]) for a in alerts] == [
            ("broken", "ok"),
            ("ok", "broken"),
        ]
        assert all(a["status"] == "delivered" for a in alerts)
        # exactly once per channel: the mail was not sent again when the webhook was retried
        assert len(inbox.mails) == 2 and hook.bad_signatures == 0
        assert sorted(h["state"] for h in hook.received) == ["broken", "ok"]
        assert len(jsonl.read_text().splitlines()) == 2
        # seen: acknowledged, and it stays; an unknown id is a usage error
        acked = run_monitor("alerts", "ack", alerts[1]["id"], config=config)
        assert acked.returncode == 0, acked.stderr
        shown = json.loads(run_monitor("alerts", "show", alerts[1]["id"], config=config).stdout)
        assert shown["acked"] is True and shown["id"] == alerts[1]["id"] and shown["acked_at"]
        assert run_monitor("alerts", "ack", "no-such-alert", config=config).returncode == 2
        broken_only = run_monitor("alerts", "list", "--json", config=config)
        assert len(json.loads(broken_only.stdout)["alerts"]) == 2
    finally:
        server.shutdown()
        hook.shutdown()
        delete_all(make_client(config), config)


def test_channel_test_command_reports_a_dead_channel(tmp_path, smtp):
    smtp_port, inbox = smtp
    channels = tmp_path / "channels.yaml"
    write_channels(channels, smtp_port, f"http://127.0.0.1:{free_port()}/nobody", tmp_path / "a")
    env = {"TEST_HOOK_SECRET": SECRET}
    ok = run_monitor("alerts", "test", "mail", "--channels", str(channels), env_extra=env)
    assert (
        ok.returncode == 0
        and "test message" in inbox.mails[0].get_payload()[0].get_payload(decode=True).decode()
    )
    dead = run_monitor("alerts", "test", "hook", "--channels", str(channels), env_extra=env)
    assert dead.returncode == 7 and "channel hook" in dead.stderr and SECRET not in dead.stderr


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("channels:\n  - id: a\n    type: pager\n", 3, "must be one of"),
        ("channels:\n  - id: a\n    type: webhook\n    url: ftp://x\n", 4, "not an http(s) URL"),
        (
            "channels:\n  - id: a\n    type: webhook\n    url: http://x\n    secret_env: NOPE_X\n",
            5,
            "NOPE_X is not set",
        ),
        ("channels:\n  - id: a\n    type: jsonl\n    path: a\nhealth: [b]\n", 5, "unknown channel"),
        ("channels:\n  - id: a\n    type: email\n    host: h\n    from: f\n    to: x\n", 6, "'to'"),
    ],
)
def test_bad_channels_file_names_the_line(tmp_path, text, line, words):
    path = tmp_path / "channels.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_channels(path)
    assert f"channels.yaml:{line}:" in str(error.value) and words in str(error.value)


def test_a_slack_url_never_shows_and_a_removed_channel_does_not_stop_the_crawl(tmp_path):
    """The Slack-compatible webhook's URL is its secret: not in the output, the logs or the
    stored alert. Removing that channel from the file later ends its retries, not the crawl."""
    token = "T0SECRET/B0SECRET/xoxb-very-secret-token"
    with socket.socket() as probe:  # a port nobody listens on: the webhook is down
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    root = tmp_path / "www"
    shutil.copytree(SITES / "www", root)
    set_listing_class(root, "moved-elsewhere")  # a layout change: the source turns broken
    server = serve(root)
    config = new_config()
    channels, jsonl = tmp_path / "channels.yaml", tmp_path / "alerts.jsonl"
    slack = (
        f"  - id: chat\n    type: slack\n    url: http://127.0.0.1:{dead_port}/services/{token}\n"
    )
    slack += "    retries: 0\n"
    jsonl_channel = f"  - id: file\n    type: jsonl\n    path: {jsonl}\n"
    channels.write_text(f"channels:\n{slack}{jsonl_channel}health: [chat, file]\n")
    sources = render_sources(SITES / "sources.yaml", server.base, tmp_path / "sources.yaml")
    args = ("crawl", "--sources", str(sources), "--source", "jiangdong-gov", "--no-translate")
    args += ("--channels", str(channels), *LOCAL_CRAWL_SETTINGS)
    try:
        first = run_monitor(*args, config=config)
        listed = run_monitor("alerts", "list", "--json", config=config)
        [alert] = json.loads(listed.stdout)["alerts"]
        assert alert["status"] == "pending" and alert["delivered_to"] == ["file"]
        assert "127.0.0.1" in alert["last_error"]
        for text in (first.stdout, first.stderr, listed.stdout, json.dumps(alert)):
            assert "SECRET" not in text and "xoxb" not in text
        channels.write_text(f"channels:\n{jsonl_channel}health: [file]\n")  # chat removed
        time.sleep(2.5)  # past the retry's backoff
        second = run_monitor(*args, config=config)
        assert second.returncode in (0, 5), second.stderr[-2000:]  # 5: the source is broken
        assert "Traceback" not in second.stderr
        alerts = json.loads(run_monitor("alerts", "list", "--json", config=config).stdout)
        assert len(alerts["alerts"]) == 1, alerts
        [alert] = alerts["alerts"]
        assert alert["status"] == "delivered" and "no longer in the channels file" in (
            alert["last_error"] or ""
        )
        assert len(jsonl.read_text().splitlines()) == 1  # the file had it once, not again
        assert json.loads(jsonl.read_text())["status"] == "delivered"
    finally:
        server.shutdown()
        delete_all(make_client(config), config)
