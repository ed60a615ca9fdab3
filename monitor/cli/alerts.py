"""`monitor alerts`: the alerts news-monitor raised (source health changes), and a channel test."""

from __future__ import annotations

import click

from monitor.cli.common import CHANNELS_OPTION, connect, domain_errors, emit_json, info, json_option


@click.group()
def alerts() -> None:
    """Alerts raised by news-monitor (source health changes) and their delivery."""


@alerts.command("list")
@click.option(
    "--status", type=click.Choice(["pending", "delivered", "failed", "stored"]), help="Only these."
)
@click.option("--size", default=50, show_default=True, help="How many, newest first.")
@json_option("Print one JSON object with an `alerts` list.")
@domain_errors
def alerts_list(status: str | None, size: int, as_json: bool) -> None:
    """The newest alerts with their delivery state."""
    from monitor.es.client import call

    config, es = connect()
    alias = config.index_name("alerts")
    query = {"term": {"status": status}} if status else {"match_all": {}}

    def fetch() -> list[dict]:
        if not es.indices.exists_alias(name=alias):
            return []
        hits = es.search(index=alias, query=query, size=size, sort=[{"raised_at": "desc"}])
        return [hit["_source"] | {"id": hit["_id"]} for hit in hits["hits"]["hits"]]

    found = call(config, fetch)
    if as_json:
        emit_json({"alerts": found})
        return
    if not found:
        info("no alerts")
    for a in found:
        click.echo(
            f"{a['raised_at']}  {a['status']:<9}  {a['source_id']}: {a['previous_state']} → "
            f"{a['state']}  {a['reason']}"
            + (f"  [{a['last_error']}]" if a.get("last_error") else "")
        )


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
