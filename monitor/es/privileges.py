"""What a cluster must let news-monitor do (`monitor es check`): the privileges its user needs, the
analysers its index template names, and whether the cluster grants them.

The privileges are the ones the code uses, no more: cluster `monitor` (health, node versions) and
`manage_index_templates` (the composable templates written at each start); on the indices of the
prefix (`<prefix>-*`): `create_index` and `manage` (the versioned index and its alias, mapping
additions, refresh), `read`, `write` (bulk, partial updates, deletes of the seen-record), and
`view_index_metadata` (aliases). A crawl, a search and a watch with exactly these are tested on a
node with security on (tests/test_secured.py).
"""

from __future__ import annotations

from typing import Any

from elasticsearch import ApiError, Elasticsearch

from monitor.es.config import EsConfig

CLUSTER_PRIVILEGES = ["monitor", "manage_index_templates"]
INDEX_PRIVILEGES = ["create_index", "manage", "read", "write", "view_index_metadata"]
ANALYZERS = ("cjk", "english")  # monitor.es.schema's fields name them (analysis-common)


def check_cluster(es: Elasticsearch, config: EsConfig) -> dict[str, Any]:
    """{"version", "security", "missing": [privileges not granted], "analyzers": {name: ok},
    "ok"}. With security off (the local node) every privilege is held."""
    nodes = es.nodes.info(node_id="_local", filter_path="nodes.*.version")
    found: dict[str, Any] = {"version": next(iter(nodes["nodes"].values()))["version"]}
    pattern = f"{config.index_prefix}-*"
    try:
        answer = es.security.has_privileges(
            cluster=CLUSTER_PRIVILEGES,
            index=[{"names": [pattern], "privileges": INDEX_PRIVILEGES}],
        )
    except ApiError as exc:
        if not _security_off(exc):
            raise
        found.update(security="off", user=None, missing=[])
    else:
        missing = [f"cluster:{p}" for p, held in answer["cluster"].items() if not held]
        granted = answer["index"].get(pattern, {})
        missing += [f"index {pattern}:{p}" for p, held in granted.items() if not held]
        found.update(security="on", user=answer.get("username"), missing=missing)
    found["analyzers"] = {name: _has_analyzer(es, config, name) for name in ANALYZERS}
    found["ok"] = not found["missing"] and False not in found["analyzers"].values()
    return found


def _security_off(exc: ApiError) -> bool:
    """The cluster has no security: the endpoint is not there (security disabled), or says so."""
    said = f"{exc.body} {exc.message}".lower()
    unrouted = "no handler found" in said and "_security" in said
    return unrouted or ("security" in said and ("disabled" in said or "not enabled" in said))


def _has_analyzer(es: Elasticsearch, config: EsConfig, name: str) -> bool | None:
    """Whether the cluster knows the analyser; None when it cannot be asked: the cluster-wide
    `_analyze` needs the `manage` cluster privilege, which news-monitor does not, so a user
    without it is asked on the articles index, once that exists."""
    alias = config.index_name("articles")
    for index in (None, alias):
        try:
            if index and not es.indices.exists_alias(name=alias):
                return None
            es.indices.analyze(index=index, analyzer=name, text="集成电路 policies")
            return True
        except ApiError as exc:
            if exc.meta.status == 400:
                return False
            if exc.meta.status != 403:
                raise
    return None
