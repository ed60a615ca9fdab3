"""Index templates, mappings and aliases: the one place the index schema is defined.

Articles live in a versioned index (`<prefix>-articles-v<N>`) behind the alias `<prefix>-articles`,
created from the composable template `<prefix>-articles`. A mapping change bumps
`ARTICLES_VERSION`; the new index is created beside the old one and the alias moved after a reindex.

Text is indexed three ways from one stored copy: `title`/`text` with the `standard` analyser
(language-neutral, per-character for CJK), `.zh` with `cjk` (bigrams) and `.en` with `english`
(stemmed). Translations get fields of their own (`title_en`/`text_en` analysed as English,
`title_zh`/`text_zh` as Chinese), so an English query reaches Chinese documents through their
translation, and a Chinese query reaches English ones.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import BadRequestError, Elasticsearch

from monitor.es.config import EsConfig

ARTICLES_VERSION = 1


def _text(analyzer: str) -> dict[str, Any]:
    # offsets make highlighting long documents cheap (no re-analysis at query time)
    return {"type": "text", "analyzer": analyzer, "index_options": "offsets"}


def _multilingual(raw_keyword: bool = False) -> dict[str, Any]:
    fields: dict[str, Any] = {"zh": _text("cjk"), "en": _text("english")}
    if raw_keyword:
        fields["raw"] = {"type": "keyword", "ignore_above": 512}
    return {"type": "text", "analyzer": "standard", "fields": fields}


KEYWORD = {"type": "keyword"}
DATE = {"type": "date"}

# Where a document's raw capture is (monitor.crawl.capture): a WARC file under MONITOR_WARC_DIR
CAPTURE = {
    "properties": {
        "file": KEYWORD,
        "offset": {"type": "long"},
        "length": {"type": "long"},
        "record_id": KEYWORD,
        "status": {"type": "short"},
        "date": DATE,
    }
}

# What changed against the version before (monitor.text.changes)
CHANGES = {
    "properties": {
        "added": {"type": "integer"},
        "removed": {"type": "integer"},
        "summary": {"type": "keyword"},
    }
}

ARTICLE_PROPERTIES: dict[str, Any] = {
    "url": KEYWORD,  # the URL the page was finally fetched from (after redirects)
    "canonical_url": KEYWORD,  # the page's own canonical URL when trustworthy; the _id is its hash
    "source_id": KEYWORD,
    "source_type": KEYWORD,
    "site": {"type": "keyword", "fields": {"text": {"type": "text"}}},
    "language": KEYWORD,
    "language_score": {"type": "float"},
    "content_hash": KEYWORD,
    "title": _multilingual(raw_keyword=True),
    "text": _multilingual(),
    "description": _multilingual(),
    "authors": {"type": "keyword", "fields": {"text": {"type": "text"}}},
    "editors": {"type": "keyword", "fields": {"text": {"type": "text"}}},  # 责任编辑, "Editor:"
    "tags": KEYWORD,
    "published_at": DATE,
    "crawled_at": DATE,  # when the page was fetched for the stored version
    "first_seen_at": DATE,  # when news-monitor first stored the document (kept across updates)
    "indexed_at": DATE,  # when the stored version was written
    "extraction": {
        "properties": {
            "method": KEYWORD,
            "encoding": KEYWORD,
            "chars": {"type": "integer"},
            "truncated": {"type": "boolean"},  # text cut at MONITOR_MAX_TEXT_CHARS
        }
    },
    "doc_type": KEYWORD,  # news | policy | filing
    # Policy documents: the labelled metadata of government sites (monitor/text/govdoc.py).
    "policy": {
        "properties": {
            "issuer": {"type": "keyword", "fields": {"zh": _text("cjk")}},  # 发文机关
            "doc_number": {"type": "keyword", "fields": {"zh": _text("cjk")}},  # 文号
            "written_date": DATE,  # 成文日期
            "published_date": DATE,  # 发布日期
            "category": {"type": "keyword", "fields": {"zh": _text("cjk")}},  # 主题分类
            "status": KEYWORD,  # 有效 / 废止 / 失效 ...
            "index_number": KEYWORD,  # 索引号
        }
    },
    # References by document number (monitor.text.references): the document's own number as a
    # key, and the keys it refers to, all (`cites`) and by kind; `references`: each as written.
    "number_key": KEYWORD,
    "cites": KEYWORD,
    "implements": KEYWORD,
    "repeals": KEYWORD,
    "amends": KEYWORD,
    "references": {"type": "object", "enabled": False},  # [{key, number, kind, title}]
    "references_version": {"type": "integer"},  # the extractor that read them (re-read if older)
    # the stored document that repeals this one (monitor.es.references: kept when either arrives)
    "repealed_by": {
        "properties": {
            "id": KEYWORD,
            "doc_number": KEYWORD,
            "title": {"type": "keyword", "ignore_above": 512},
            "published_at": DATE,
        }
    },
    # Regulatory filings (announcement APIs: spiders/api.py).
    "filing": {
        "properties": {
            "exchange": KEYWORD,
            "company_code": KEYWORD,
            "company_name": {
                "type": "keyword",
                "fields": {"text": {"type": "text"}, "zh": _text("cjk")},
            },
            "category": {"type": "keyword", "fields": {"text": {"type": "text"}}},
            "announced_at": DATE,
        }
    },
    # The article itself is a PDF or DOCX file.
    "document": {
        "properties": {
            "format": KEYWORD,
            "pages": {"type": "integer"},
            "scanned": {"type": "boolean"},  # no text layer: flagged, not silently empty
            "truncated": {"type": "boolean"},
            "error": {"type": "keyword", "ignore_above": 1024},
        }
    },
    "attachments_complete": {"type": "boolean"},  # false: one failed (timeout, 5xx): retried
    # Files the page links to, with their text. An object array, not `nested`: one query searches
    # the page and its attachments together, Kibana can filter and aggregate on these fields (it
    # cannot on nested ones), and no query needs two conditions to hold in the same attachment.
    # Not child documents either: a join would tie them to the parent's shard and routing, and
    # every re-crawl would have to find and replace children.
    "attachments": {
        "properties": {
            "url": KEYWORD,
            "name": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 512}}},
            "format": KEYWORD,
            "bytes": {"type": "long"},
            "pages": {"type": "integer"},
            "chars": {"type": "integer"},
            "scanned": {"type": "boolean"},
            "truncated": {"type": "boolean"},
            "error": {"type": "keyword", "ignore_above": 1024},
            "text": _multilingual(),
            "capture": CAPTURE,
        }
    },
    "capture": CAPTURE,  # the WARC record the stored version was extracted from
    # Versions: the stored text changed (monitor.text.changes); earlier ones in <prefix>-versions
    "version": {"type": "integer"},  # 1 until the text first changes
    "changed_at": DATE,
    "changes": CHANGES,  # against the version before
    # a re-check found the page gone (404, 410, redirected home): kept, hidden from search
    "withdrawn_at": DATE,
    "withdrawn_reason": KEYWORD,
    # Stories: reprints share a story_id (monitor.es.stories); MinHash and LSH keys of the text
    "story_id": KEYWORD,
    "story_bands": {"type": "keyword", "doc_values": False},
    "story_minhash": {"type": "binary"},
    # Translation (filled by the translation worker): English and Chinese renderings.
    "title_en": _text("english"),
    "text_en": _text("english"),
    "title_zh": _text("cjk"),
    "text_zh": _text("cjk"),
    "translation": {
        "properties": {
            "status": KEYWORD,  # pending | in_progress | done | failed | unavailable | not_needed
            "model": KEYWORD,
            "source_language": KEYWORD,
            "target_language": KEYWORD,
            "translated_at": DATE,
            "chars": {"type": "integer"},  # source characters translated
            "truncated": {"type": "boolean"},  # longer than MONITOR_TRANSLATE_MAX_CHARS
            "worker": KEYWORD,  # who holds the claim while in_progress
            "claimed_at": DATE,
            "error": {"type": "keyword", "ignore_above": 1024},
            "attempts": {
                "type": "short"
            },  # failed attempts; `failed` after MONITOR_TRANSLATE_ATTEMPTS
            "retry_at": DATE,  # a failed attempt is retried after this (backoff)
        }
    },
}


# Per crawl and source: what happened (monitor.crawl.runs writes them, monitor.alerts.health
# reads them).
RUNS_VERSION = 1
COUNT = {"type": "integer"}
RUN_PROPERTIES: dict[str, Any] = {
    "run_id": KEYWORD,  # one `monitor crawl` (all its sources share it)
    "source_id": KEYWORD,
    "source_type": KEYWORD,
    "started_at": DATE,
    "finished_at": DATE,
    "duration_seconds": {"type": "float"},
    "finish_reason": KEYWORD,
    "failed": {"type": "boolean"},
    "interrupted": {"type": "boolean"},  # stopped by Ctrl-C or SIGTERM: not counted in health
    "reasons": {"type": "object", "dynamic": True},  # e.g. {"refused/private_address": 1}
    "failure": {"type": "keyword", "ignore_above": 1024},
    "pages": COUNT,
    "new_documents": COUNT,
    "unchanged": COUNT,
    "skipped": COUNT,
    "errors": COUNT,
    "no_text": COUNT,  # pages fetched whose extraction found no article text
    "listing_pages": COUNT,
    "listing_links": COUNT,  # article links the listing selectors found
    "links": COUNT,  # article links the source's own pages gave (listings, feeds, sitemaps, APIs)
    "health": KEYWORD,  # the source's state after this run (ok | silent | broken)
    "health_reason": {"type": "keyword", "ignore_above": 1024},
    "known": COUNT,  # article links not fetched: already seen (incremental crawling)
    "shared": KEYWORD,  # the shared crawl this run was a part of (distributed: judged together)
    "not_modified": COUNT,  # listing pages, feeds, sitemaps answered 304
    "attachments": COUNT,  # attachment files fetched
    "attachment_errors": COUNT,  # attachments that could not be fetched
    "attachment_pages": COUNT,  # PDF pages read from attachments
    "attachment_extract_seconds": {"type": "float"},  # worker time spent reading them
    "bytes": {"type": "long"},
    "errors_by_kind": {"type": "object", "dynamic": True},  # e.g. {"404": 1, "TimeoutError": 2}
    "http_status": {"type": "object", "dynamic": True},  # e.g. {"200": 14, "404": 1}
}

# Per fetched URL: what the crawler saw there, so the next run fetches only what is new or changed
# (monitor.crawl.seen writes and reads them; any number of crawler processes share them).
SEEN_VERSION = 1
SEEN_PROPERTIES: dict[str, Any] = {
    "url": KEYWORD,  # the URL as requested; the _id is the hash of its canonical form
    "source_id": KEYWORD,  # the source that last fetched it
    "kind": KEYWORD,  # article | listing | feed | sitemap | sitemapindex
    "etag": {"type": "keyword", "index": False},  # validators for the next conditional GET
    "last_modified": {"type": "keyword", "index": False},
    "content_hash": KEYWORD,  # of the body (listings) or of the extracted text (articles)
    "document_id": KEYWORD,  # the article stored from it, if any
    "status": {"type": "short"},
    "first_seen_at": DATE,
    "last_seen_at": DATE,  # last fetched (200) or confirmed unchanged (304)
    # why a page that killed extraction workers is not fetched again (monitor.crawl.extraction)
    "quarantined": {"type": "keyword", "ignore_above": 1024},
    "withdrawn_at": DATE,  # a re-check found the page gone (monitor.crawl.withdrawn)
    # a listing page's article links (re-checking sources): one it drops is re-checked
    "links": {"type": "keyword", "index": False, "doc_values": False},
}

# Alerts (source health changes so far): stored before delivery, so a channel that is down loses
# nothing; `_id` is the alert's identity, so two processes cannot raise one alert twice.
ALERTS_VERSION = 1
ALERT_PROPERTIES: dict[str, Any] = {
    "kind": KEYWORD,  # source_health | watch | digest
    "event": KEYWORD,  # watch alerts: new | changed | withdrawn (a watch's `on:`)
    "changes": CHANGES,  # event changed: what the new version changed
    "source_id": KEYWORD,
    "run_id": KEYWORD,  # the run that showed the change
    "state": KEYWORD,  # ok | silent | broken
    "previous_state": KEYWORD,
    "reason": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 1024}}},
    "raised_at": DATE,
    "status": KEYWORD,  # pending | delivered | failed (gave up) | stored (no channel to send to)
    "channels": KEYWORD,  # the channels it is meant for
    "delivered_to": KEYWORD,
    "attempts": COUNT,
    "last_error": {"type": "keyword", "ignore_above": 1024},
    "delivered_at": DATE,
    "claimed_at": DATE,  # status `sending`: a process is delivering it (claim lease)
    "next_attempt_at": DATE,  # pending after a failed attempt: not retried before this
    "acked": {"type": "boolean"},  # `monitor alerts ack`
    "acked_at": DATE,
    # watch alerts (kind: watch): one per (watch, story) for new documents, per (watch, document)
    # for changed and withdrawn ones; `_id` derived from both
    "watch_id": KEYWORD,
    "watch_version": {"type": "integer"},
    "watch_name": KEYWORD,
    "document_id": KEYWORD,
    "story_id": KEYWORD,  # event new: one alert per (watch, story); its reprints are `also_in`
    "also_in": {"type": "object", "enabled": False},  # [{document_id, source_id, url, ...}]
    "title": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 512}}},
    "title_en": {"type": "text"},
    "url": KEYWORD,
    "published_at": DATE,
    "language": KEYWORD,
    "doc_type": KEYWORD,
    "matched": KEYWORD,  # the watch's terms found in the document
    "snippet": {"type": "text", "index": False},  # with <em> around what matched
    "score": {"type": "float"},
    "mode": KEYWORD,  # immediate | digest
    "digest_due": DATE,  # queued alerts: when their digest goes out
    "digest_id": KEYWORD,  # the digest that carried this alert
    # digests (kind: digest): one message for many queued alerts of one watch
    "alert_ids": KEYWORD,
    "items": {"type": "object", "enabled": False},
}

# Watches: one document per watch version (`<id>:v<n>`), the compiled query stored with it; and
# the matcher's checkpoint (kind: checkpoint): every document indexed before it has been matched.
WATCHES_VERSION = 1
WATCH_PROPERTIES: dict[str, Any] = {
    "kind": KEYWORD,  # watch | checkpoint
    "watch_id": KEYWORD,
    "version": {"type": "integer"},
    "active": {"type": "boolean"},
    "name": KEYWORD,
    "spec": {"type": "object", "enabled": False},  # the watch as written (JSON)
    "spec_hash": KEYWORD,
    "query": {"type": "object", "enabled": False},  # the compiled Elasticsearch query
    "created_at": DATE,  # of this version
    "first_created_at": DATE,  # of the watch: documents indexed before it are its backlog
    "retired_at": DATE,
    "indexed_at": DATE,  # checkpoint
}

# Saved searches (`monitor search --save`, `monitor searches`): the definition a watch's `query:`
# also takes (monitor.search.saved), shared by every machine and readable from Kibana.
SEARCHES_VERSION = 1
SEARCH_PROPERTIES: dict[str, Any] = {
    "name": KEYWORD,  # the _id too
    "query": {"type": "keyword", "ignore_above": 4096},  # the query language of monitor search
    "languages": KEYWORD,
    "sources": KEYWORD,
    "since": KEYWORD,  # as written: 7d stays relative
    "until": KEYWORD,
    "sort": KEYWORD,
    "expand": {"type": "boolean"},
    "created_at": DATE,
    "updated_at": DATE,
    "last_run_at": DATE,  # `searches run NAME --new` shows what was first seen after it
    "runs": {"type": "integer"},
}

# Earlier versions of documents whose text changed: `_id` is `<document id>:v<n>`; the document
# itself holds the latest (version n+1). Written before the document is updated, so no text is lost.
VERSIONS_VERSION = 1
VERSION_PROPERTIES: dict[str, Any] = {
    "document_id": KEYWORD,
    "version": {"type": "integer"},
    "url": KEYWORD,
    "title": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 512}}},
    "text": {"type": "text"},
    "content_hash": KEYWORD,
    "crawled_at": DATE,  # when this version was fetched
    "indexed_at": DATE,
    "replaced_at": DATE,  # when the next version replaced it
    "capture": CAPTURE,
    "changes": CHANGES,  # what the next version changed
}

# Canaries: one document per source and daily check (`monitor sources check`, run by the
# scheduler; monitor.alerts.canary writes them, `monitor status` reads the last of each source).
CHECKS_VERSION = 1
CHECK_PROPERTIES: dict[str, Any] = {
    "source_id": KEYWORD,
    "checked_at": DATE,
    "verdict": KEYWORD,  # ok | blocked | unreachable | no links | no pager | article unreadable
    "ok": {"type": "boolean"},
    "error": {"type": "keyword", "ignore_above": 1024},
    "url": KEYWORD,
    "links": COUNT,
    "pager_links": COUNT,
    "title": {"type": "text"},
    "published_at": DATE,  # the first article's, as extracted
    "chars": COUNT,
    "language": KEYWORD,
    "seconds": {"type": "float"},
}

# kind → (schema version, properties, settings)
SCHEMAS: dict[str, tuple[int, dict[str, Any], dict[str, Any]]] = {
    "articles": (
        ARTICLES_VERSION,
        ARTICLE_PROPERTIES,
        {"refresh_interval": "1s", "max_result_window": 10000},
    ),
    "runs": (RUNS_VERSION, RUN_PROPERTIES, {"refresh_interval": "1s"}),
    "seen": (SEEN_VERSION, SEEN_PROPERTIES, {"refresh_interval": "1s"}),
    "alerts": (ALERTS_VERSION, ALERT_PROPERTIES, {"refresh_interval": "1s"}),
    "watches": (WATCHES_VERSION, WATCH_PROPERTIES, {"refresh_interval": "1s"}),
    "searches": (SEARCHES_VERSION, SEARCH_PROPERTIES, {"refresh_interval": "1s"}),
    "versions": (VERSIONS_VERSION, VERSION_PROPERTIES, {"refresh_interval": "1s"}),
    "checks": (CHECKS_VERSION, CHECK_PROPERTIES, {"refresh_interval": "1s"}),
}


def index_template(config: EsConfig, kind: str) -> dict[str, Any]:
    version, properties, settings = SCHEMAS[kind]
    alias = config.index_name(kind)
    return {
        "index_patterns": [f"{alias}-v*"],
        "priority": 200,
        "template": {
            "settings": {"number_of_shards": 1, "auto_expand_replicas": "0-1", **settings},
            "mappings": {
                "dynamic": "strict",
                "_meta": {"schema": f"news-monitor/{kind}", "version": version},
                "properties": properties,
            },
        },
        "_meta": {"managed_by": "news-monitor", "version": version},
    }


def ensure_index(es: Elasticsearch, config: EsConfig, kind: str) -> str:
    """Create or update the template, and the versioned index behind the alias if missing.

    Returns the alias. Idempotent: safe on every start.
    """
    version, properties, _ = SCHEMAS[kind]
    alias = config.index_name(kind)
    es.indices.put_index_template(name=alias, **index_template(config, kind))
    index = f"{alias}-v{version}"
    if not es.indices.exists_alias(name=alias):
        try:  # two processes (a crawl and its translation worker) may get here together
            es.indices.create(index=index, aliases={alias: {"is_write_index": True}})
        except BadRequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise
            es.indices.put_alias(index=index, name=alias, is_write_index=True)
    else:  # fields added within a version (additive changes) reach existing indices too
        es.indices.put_mapping(index=alias, properties=properties)
    # another process may have just created it: its shard may not answer yet (503 on search)
    es.cluster.health(index=alias, wait_for_status="yellow", timeout="30s")
    return alias


def ensure_articles_index(es: Elasticsearch, config: EsConfig) -> str:
    return ensure_index(es, config, "articles")


def delete_all(es: Elasticsearch, config: EsConfig) -> None:
    """Remove every index and template with this prefix (tests and `monitor es reset`)."""
    pattern = f"{config.index_prefix}-*"
    for name in es.indices.get(index=pattern, expand_wildcards="all", ignore_unavailable=True):
        es.indices.delete(index=name)
    templates = es.options(ignore_status=404).indices.get_index_template(name=pattern)
    for item in templates.get("index_templates", []):
        es.indices.delete_index_template(name=item["name"])
