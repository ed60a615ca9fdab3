"""`monitor es`: the local Elasticsearch node."""

from __future__ import annotations

import click

from monitor.cli.common import (
    domain_errors,
    emit_json,
    info,
    json_option,
    lean_client,
)
from monitor.es.config import EsConfig


@click.group()
def es() -> None:
    """Manage the local Elasticsearch node (used when MONITOR_ES_URL is not set)."""


@es.command("start")
@click.option(
    "--nodes",
    type=click.IntRange(1, 9),
    default=1,
    show_default=True,
    help="Start a local cluster of this many nodes (ports MONITOR_ES_PORT, +1, ...).",
)
@domain_errors
def es_start(nodes: int) -> None:
    """Install (first time) and start the local node, or a local cluster of several nodes on
    loopback; wait until it is healthy."""
    from monitor.es.node import LocalNode

    config = EsConfig.from_env()
    if nodes > 1:
        from monitor.es.cluster import LocalCluster

        urls = LocalCluster(config, nodes).start(log=info)
        info(f"a cluster of {nodes} nodes is running; use it with MONITOR_ES_URL={','.join(urls)}")
        return
    node = LocalNode(config)
    node.start(log=info)
    info(f"Elasticsearch is running at {node.config.effective_url} (pid {node.pid()})")


@es.command("stop")
@domain_errors
def es_stop() -> None:
    """Stop the local node (and a local cluster started on the same port) cleanly."""
    from monitor.es.cluster import LocalCluster
    from monitor.es.node import LocalNode

    config = EsConfig.from_env()
    cluster = LocalCluster.existing(config)
    if cluster is not None and cluster.stop():
        info(f"the local cluster of {cluster.nodes} nodes stopped")
    stopped = LocalNode(config).stop()
    info("Elasticsearch stopped" if stopped else "Elasticsearch was not running")


@es.command("check")
@json_option()
@domain_errors
@lean_client
def es_check(as_json: bool) -> None:
    """Whether the cluster lets news-monitor work: the user's privileges (cluster and on the
    prefix's indices) and the analysers the index template names. Exit 3 when one is missing."""
    from monitor.errors import SearchBackendError
    from monitor.es.client import call, make_client
    from monitor.es.privileges import CLUSTER_PRIVILEGES, INDEX_PRIVILEGES, check_cluster

    config = EsConfig.from_env()
    found = call(config, lambda: check_cluster(make_client(config), config))
    if as_json:
        emit_json({"url": config.display_url, **found})
    else:
        who = f" as {found['user']}" if found["user"] else ""
        click.echo(f"Elasticsearch {found['version']} at {config.display_url}{who}")
        if found["security"] == "off":
            click.echo("  privileges: security is off, every request is allowed")
        else:
            wanted = len(CLUSTER_PRIVILEGES) + len(INDEX_PRIVILEGES)
            click.echo(f"  privileges: {wanted - len(found['missing'])} of {wanted} held")
            for missing in found["missing"]:
                click.echo(f"    missing {missing}")
        said = {True: "ok", False: "missing (analysis-common)", None: "not checked (no index yet, "
                "and no cluster `manage` privilege to ask without one)"}  # fmt: skip
        for name, ok in found["analyzers"].items():
            click.echo(f"  analyser {name}: {said[ok]}")
    if not found["ok"]:
        absent = [f"analyser {n}" for n, ok in found["analyzers"].items() if ok is False]
        what = ", ".join(found["missing"] + absent)
        raise SearchBackendError(f"Elasticsearch at {config.display_url} lacks: {what}")


@es.command("status")
@json_option()
@domain_errors
def es_status(as_json: bool) -> None:
    """Where Elasticsearch is, whether it runs, and how many documents it holds."""
    from monitor.es.status import cluster_status

    status = cluster_status(EsConfig.from_env())
    if as_json:
        emit_json(status)
        return
    state = "running" if status["running"] else "not running"
    click.echo(f"Elasticsearch {status['url']} ({status['kind']}): {state}")
    for key in ("version", "health", "pid", "home"):
        if status.get(key) is not None:
            click.echo(f"  {key}: {status[key]}")
    for name, count in status.get("documents", {}).items():
        click.echo(f"  {name}: {count} documents")
    if status.get("error"):
        click.echo(f"  error: {status['error']}")
