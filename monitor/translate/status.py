"""How far translation is: documents per language and translation status, and what waits for a
model (with the command that installs it). `monitor status` and the crawl summary show it."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from monitor.es.client import term_buckets
from monitor.es.config import EsConfig
from monitor.translate.argos import installed_packages
from monitor.translate.config import TranslateConfig
from monitor.translate.worker import target_of


def translation_status(
    es: Elasticsearch, es_config: EsConfig, config: TranslateConfig
) -> dict[str, Any]:
    index = es_config.index_name("articles")
    report: dict[str, Any] = {
        "index": index,
        "documents": 0,
        "by_language": {},
        "waiting_for_model": [],
    }
    statuses = {"status": {"terms": {"field": "translation.status", "size": 20}}}
    buckets = term_buckets(es, index, "language", size=50, aggs=statuses)
    report["documents"] = sum(b["doc_count"] for b in buckets)  # every document has a language
    installed = {(p.from_code, p.to_code) for p in installed_packages(config)}
    for bucket in buckets:
        language = bucket["key"]
        states = {b["key"]: b["doc_count"] for b in bucket["status"]["buckets"]}
        report["by_language"][language] = states
        waiting = states.get("pending", 0) + states.get("unavailable", 0)
        target = target_of(language)
        if waiting and language not in ("und", "en") and (language, target) not in installed:
            report["waiting_for_model"].append(
                {
                    "language": language,
                    "target": target,
                    "documents": waiting,
                    "command": f"monitor models install {language} {target}",
                }
            )
    return report
