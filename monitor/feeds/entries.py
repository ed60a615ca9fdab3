"""Which feeds there are, and their entries, read from the cluster and never written.

A saved search's feed is its newest matching documents (the search as saved, sorted by date);
a watch's feed is its newest alerts, one entry per alert (reprints of one story are one alert:
its "also in" sources are listed in the entry). A feed read is not a run of the saved search
(`searches run --new` keeps its place) and acknowledges no alert.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from monitor.errors import QueryError
from monitor.es.config import EsConfig
from monitor.text.dates import utc_now_iso

KINDS = ("search", "watch")


@dataclass(frozen=True)
class Feed:
    kind: str  # search | watch
    name: str  # the saved search's name, the watch's id
    title: str
    description: str  # the query, or the watch's terms

    @property
    def key(self) -> str:
        """How a feed is named everywhere: `search:NAME` or `watch:ID`."""
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class Entry:
    doc_id: str
    title: str
    url: str | None
    updated: str  # when it entered the feed: the document first stored, the alert raised
    published: str | None = None
    title_en: str | None = None
    summary: str = ""  # the snippet (<em> marks the matched words)
    summary_en: str | None = None
    source_id: str | None = None
    language: str | None = None
    doc_type: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    company: str | None = None
    also_in: tuple[str, ...] = ()  # reprints: the other sources' names
    matched: tuple[str, ...] = field(default=())  # a watch's terms the document matched


def list_feeds(es: Any, config: EsConfig) -> list[Feed]:
    """Every saved search, then every active watch (by id)."""
    from monitor.search.saved import SavedSearches

    found = [_search_feed(s) for s in SavedSearches(es, config).all()]
    return found + sorted(_watches(es, config).values(), key=lambda f: f.name)


def find_feed(es: Any, config: EsConfig, name: str) -> Feed:
    """The feed NAME (`search:NAME`, `watch:ID`, or bare when only one has it); QueryError
    naming what exists otherwise."""
    from monitor.search.saved import SavedSearches

    kind, _, rest = name.partition(":")
    wanted = (kind,) if rest and kind in KINDS else KINDS
    bare = rest if rest and kind in KINDS else name
    found = []
    if "search" in wanted and (saved := SavedSearches(es, config).get(bare)) is not None:
        found.append(_search_feed(saved))
    if "watch" in wanted and (watch := _watches(es, config).get(bare)) is not None:
        found.append(watch)
    if len(found) == 1:
        return found[0]
    if found:
        raise QueryError(
            f"{name!r} is a saved search and a watch: say search:{bare} or watch:{bare}"
        )
    known = ", ".join(f.key for f in list_feeds(es, config)) or "none yet"
    raise QueryError(f"no saved search or watch {name!r} (feeds: {known})")


def feed_entries(es: Any, config: EsConfig, feed: Feed, size: int) -> list[Entry]:
    """The feed's newest `size` entries, newest first."""
    if feed.kind == "search":
        return _search_entries(es, config, feed.name, size)
    return _watch_entries(es, config, feed.name, size)


def _search_feed(saved: Any) -> Feed:
    filters = [f"lang:{lang}" for lang in saved.languages] + [f"source:{s}" for s in saved.sources]
    query = " ".join([saved.query or "*", *filters])
    return Feed("search", saved.name, f"Saved search “{saved.name}”", query)


def _watches(es: Any, config: EsConfig) -> dict[str, Feed]:
    alias = config.index_name("watches")
    if not es.indices.exists_alias(name=alias):
        return {}
    query = {"bool": {"filter": [{"term": {"kind": "watch"}}, {"term": {"active": True}}]}}
    hits = es.search(index=alias, query=query, size=10_000)["hits"]["hits"]
    found = {}
    for hit in hits:
        doc = hit["_source"]
        spec = doc.get("spec") or {}
        parts = [f"{key}: {', '.join(map(str, spec[key]))}" for key in ("all", "any", "phrases")
                 if spec.get(key)]  # fmt: skip
        terms = spec.get("query") or "; ".join(parts)
        title = f"Watch “{doc.get('name') or doc['watch_id']}”"
        found[doc["watch_id"]] = Feed("watch", doc["watch_id"], title, str(terms or ""))
    return found


def _search_entries(es: Any, config: EsConfig, name: str, size: int) -> list[Entry]:
    from monitor.search.engine import search
    from monitor.search.saved import SavedSearches

    saved = SavedSearches(es, config).require(name)
    alias = config.index_name("articles")
    if not es.indices.exists_alias(name=alias):
        return []
    request = replace(saved.request(size), sort="date")  # a feed is newest first
    hits = search(es, alias, request)["hits"]
    return [
        Entry(
            doc_id=h["id"],
            title=h.get("title") or h.get("title_en") or h.get("url") or h["id"],
            url=h.get("url"),
            updated=h.get("first_seen_at") or h.get("published_at") or utc_now_iso(),
            published=h.get("published_at"),
            title_en=h.get("title_en"),
            summary=h.get("snippet") or "",
            summary_en=h.get("snippet_en"),
            source_id=h.get("source_id"),
            language=h.get("language"),
            doc_type=h.get("doc_type"),
            doc_number=h.get("doc_number"),
            issuer=h.get("issuer"),
            company=h.get("company"),
            also_in=tuple(_reprints(h)),
        )
        for h in hits
    ]


def _watch_entries(es: Any, config: EsConfig, watch_id: str, size: int) -> list[Entry]:
    from monitor.alerts.store import list_alerts

    alerts = list_alerts(es, config, kind="watch", watch_id=watch_id, size=size)
    return [
        Entry(
            doc_id=a.get("document_id") or a["id"],
            title=a.get("title") or a.get("title_en") or a.get("url") or a["id"],
            url=a.get("url"),
            updated=a.get("raised_at") or utc_now_iso(),
            published=a.get("published_at"),
            title_en=a.get("title_en"),
            summary=a.get("snippet") or "",
            source_id=a.get("source_id"),
            language=a.get("language"),
            doc_type=a.get("doc_type"),
            also_in=tuple(_also(a)),
            matched=tuple(a.get("matched") or ()),
        )
        for a in alerts
    ]


def _reprints(hit: dict[str, Any]) -> list[str]:
    """A collapsed story's other documents, by source."""
    return [str(m.get("source_id")) for m in hit.get("story") or () if m["id"] != hit["id"]]


def _also(alert: dict[str, Any]) -> list[str]:
    return [str(m.get("source_id") or m.get("url") or "") for m in alert.get("also_in") or ()]
