"""What `monitor es status` reports: where the cluster is, whether it answers, what it holds."""

from __future__ import annotations

from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError

from monitor.es.client import describe, make_client
from monitor.es.config import EsConfig
from monitor.es.node import LocalNode

KINDS = ("articles", "runs")


def cluster_status(config: EsConfig) -> dict[str, Any]:
    status: dict[str, Any] = {
        "url": config.display_url,
        "kind": "local" if config.local else "remote",
        "running": False,
    }
    if config.local:
        node = LocalNode(config)
        status.update(home=str(node.root), pid=node.pid(), installed=(node.dist / "lib").is_dir())
    es = make_client(config)
    try:
        health = es.cluster.health()
        status.update(running=True, health=health["status"], cluster=health["cluster_name"])
        nodes = es.nodes.info(node_id="_local", filter_path="nodes.*.version")
        status["version"] = next(iter(nodes["nodes"].values()))["version"]
        documents = {}
        for kind in KINDS:
            alias = config.index_name(kind)
            if es.indices.exists_alias(name=alias):
                documents[alias] = es.count(index=alias)["count"]
        status["documents"] = documents
    except (ApiError, TransportError) as exc:
        status["error"] = describe(exc, config)
    return status
