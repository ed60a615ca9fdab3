"""The only place that builds an Elasticsearch client; errors never carry credentials."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import TlsError, TransportError
from elasticsearch import ApiError, Elasticsearch, OrjsonSerializer

from monitor.errors import SearchBackendError
from monitor.es.config import EsConfig

T = TypeVar("T")

# The transport logs every failed attempt with a traceback; our callers say it in one line
# (monitor.es.patience, describe), so only its errors are shown.
for _name in ("elastic_transport.transport", "elastic_transport.node_pool"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def make_client(config: EsConfig, **overrides: Any) -> Elasticsearch:
    """A client for the configured cluster (or the local node's URL); `overrides` replace the
    transport options (the local node's health probe uses short timeouts and no retries)."""
    options: dict[str, Any] = {
        "request_timeout": config.request_timeout,
        "retry_on_timeout": True,
        "max_retries": 2,
    }
    if config.api_key:
        options["api_key"] = config.api_key
    elif config.username is not None:
        options["basic_auth"] = (config.username, config.password)
    if config.ca_certs:
        options["ca_certs"] = config.ca_certs
    if config.fingerprint:  # pinned: the certificate (or its CA) is this one, whoever signed it
        options["ssl_assert_fingerprint"] = config.fingerprint
    # orjson encodes a bulk body several times faster than the standard library
    options["serializer"] = OrjsonSerializer()
    if config.cloud_id:
        return Elasticsearch(cloud_id=config.cloud_id, **options | overrides)
    return Elasticsearch(config.hosts, **options | overrides)


def _text(body: Any) -> str | None:
    """A short reason from a body that is not Elasticsearch's JSON (a proxy's HTML page)."""
    if not isinstance(body, str) or not body.strip():
        return None
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()
    return text[:160] or None


def describe(exc: Exception, config: EsConfig) -> str:
    """One line that says what went wrong, without the URL's credentials or the API key."""
    where = config.display_url
    if isinstance(exc, ApiError):
        info = exc.body.get("error", {}) if isinstance(exc.body, dict) else {}
        reason = info.get("reason") if isinstance(info, dict) else None
        status = exc.meta.status
        if status == 401:
            login = "MONITOR_ES_API_KEY" if config.api_key else "MONITOR_ES_USERNAME/_PASSWORD"
            return f"Elasticsearch at {where} answered 401: the credentials were refused ({login})"
        if not reason and not isinstance(exc.body, dict):  # a proxy's page, or none (HEAD)
            hint = " (plain http to a TLS port is answered so)" if status == 400 else ""
            reason = _text(exc.body) or f"a reply that is not Elasticsearch's{hint}"
        reason = reason or exc.message
        return f"Elasticsearch at {where} answered {status}: {reason}"
    if isinstance(exc, TlsError):
        said = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in said or "fingerprint" in said.lower():
            trust = "MONITOR_ES_CA_CERTS or MONITOR_ES_FINGERPRINT"
            return f"Elasticsearch at {where}: its TLS certificate is not trusted (set {trust})"
        return f"Elasticsearch at {where}: the TLS handshake failed"
    if isinstance(exc, TransportConnectionError):
        return f"cannot reach Elasticsearch at {where} ({type(exc).__name__})"
    return f"Elasticsearch at {where}: {type(exc).__name__}"


def call(config: EsConfig, fn: Callable[[], T]) -> T:
    """Run one client call, turning client errors into a SearchBackendError."""
    try:
        return fn()
    except (ApiError, TransportError) as exc:
        raise SearchBackendError(describe(exc, config)) from None


def term_buckets(
    es: Elasticsearch, index: str, field: str, size: int = 1000, aggs: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Buckets of a terms aggregation on `field`, with sub-aggregations; [] when no index."""
    if not es.indices.exists_alias(name=index):
        return []
    body: dict[str, Any] = {"terms": {"field": field, "size": size}}
    if aggs:
        body["aggs"] = aggs
    try:
        response = es.search(index=index, size=0, aggs={"buckets": body})
    except ApiError as exc:
        if exc.meta.status != 503:
            raise
        # another process has just created the index: its shard is starting
        es.cluster.health(index=index, wait_for_status="yellow", timeout="30s")
        response = es.search(index=index, size=0, aggs={"buckets": body})
    return response["aggregations"]["buckets"]["buckets"]
