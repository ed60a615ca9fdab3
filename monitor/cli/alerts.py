"""`monitor alerts`: the alerts news-monitor raised (source health changes, watch matches,
digests): list, show, ack; and a channel test."""

from __future__ import annotations

import click

from monitor.cli.common import CHANNELS_OPTION, connect, domain_errors, emit_json, info, json_option


@click.group()
def alerts() -> None:
    """Alerts raised by news-monitor (source health, watches, digests) and their delivery."""


STATUSES = ["pending", "delivered", "failed", "stored", "queued", "digested"]


def _line(a: dict) -> str:
    """One alert in one line, whatever its kind."""
    ack = " (acked)" if a.get("acked") else ""
    error = f"  [{a['last_error']}]" if a.get("last_error") else ""
    if a.get("kind") == "watch":
        what = f"watch {a['watch_id']}: {a.get('title')}  [{a.get('source_id')}]  {a.get('url')}"
        if a.get("also_in"):
            what += f"  (also in {len(a['also_in'])})"
    elif a.get("kind") == "digest":
        what = f"digest {a['watch_id']}: {len(a.get('alert_ids') or [])} documents"
    else:
        what = f"{a['source_id']}: {a['previous_state']} → {a['state']}  {a['reason']}"
    return f"{a['raised_at'][:19]}  {a['status']:<9}  {what}{error}{ack}"


@alerts.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only alerts in this state.")
@click.option(
    "--kind", type=click.Choice(["source_health", "watch", "digest"]), help="Only this kind."
)
@click.option("--watch", "watch_id", help="Only the alerts of this watch.")
@click.option("--size", default=50, show_default=True, help="How many, newest first.")
@json_option("Print one JSON object with an `alerts` list.")
@domain_errors
def alerts_list(
    status: str | None, kind: str | None, watch_id: str | None, size: int, as_json: bool
) -> None:
    """The newest alerts (source health changes, watch matches, digests) and their delivery."""
    from monitor.alerts.store import list_alerts
    from monitor.es.client import call

    config, es = connect()
    found = call(config, lambda: list_alerts(es, config, status, kind, watch_id, size))
    if as_json:
        emit_json({"alerts": found})
        return
    if not found:
        info("no alerts")
    for a in found:
        click.echo(f"{a['id']}  {_line(a)}")


@alerts.command("show")
@click.argument("alert_id")
@domain_errors
def alerts_show(alert_id: str) -> None:
    """One alert, whole, as JSON."""
    from monitor.alerts.store import get_alert
    from monitor.es.client import call

    config, es = connect()
    emit_json(call(config, lambda: get_alert(es, config, alert_id)))


@alerts.command("ack")
@click.argument("alert_ids", nargs=-1, required=True)
@domain_errors
def alerts_ack(alert_ids: tuple[str, ...]) -> None:
    """Mark alerts as seen (acknowledged); they stay in the index."""
    from monitor.alerts.store import ack_alert
    from monitor.es.client import call

    config, es = connect()
    for alert_id in alert_ids:
        call(config, lambda i=alert_id: ack_alert(es, config, i))
        info(f"acknowledged {alert_id}")


@alerts.command("test")
@CHANNELS_OPTION
@click.argument("channel_id")
@domain_errors
def alerts_test(channels_file: str, channel_id: str) -> None:
    """Send a test message to one channel (checks the settings and the credentials)."""
    from monitor.errors import ConfigError, DeliveryFailed
    from monitor.notify.channels import load_channels
    from monitor.notify.send import DeliveryError, Message, deliver

    channels = load_channels(channels_file, required=True)
    channel = channels.channels.get(channel_id)
    if channel is None:
        raise ConfigError(f"no channel {channel_id!r}; defined: {sorted(channels.channels)}")
    text = "This is a test message from news-monitor: the channel works."
    payload = {"kind": "test", "channel": channel_id, "text": text}
    try:
        deliver(channel, Message("[news-monitor] test", text, f"<p>{text}</p>", payload))
    except DeliveryError as exc:
        raise DeliveryFailed(str(exc)) from None
    info(f"sent to {channel_id}")
