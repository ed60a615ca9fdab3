"""Saved searches: a name for a query and its filters, stored in the cluster (`<prefix>-searches`)
so every machine and Kibana see them. `run --new` shows what was first stored since the last run.

The definition is the one a watch takes (monitor.alerts.watches: `query:` plus the same filter
names), so a saved search becomes a watch by adding channels to it in watchlists.yaml.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

from monitor.errors import QueryError
from monitor.es.config import EsConfig
from monitor.es.schema import ensure_index
from monitor.search.engine import SearchRequest
from monitor.search.when import date_range
from monitor.text.dates import utc_now_iso

_NAME = re.compile(r"^[\w][\w .:-]{0,99}$")


@dataclass(frozen=True)
class SavedSearch:
    name: str
    query: str = ""
    languages: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: str | None = None  # as typed: "7d" stays relative to each run
    until: str | None = None
    sort: str | None = None
    expand: bool = True
    created_at: str | None = None
    updated_at: str | None = None
    last_run_at: str | None = None
    runs: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def request(self, size: int = 10, offset: int = 0, new_since: str | None = None):
        """The SearchRequest of this search; with `new_since`, only documents first stored
        after it."""
        since, until = date_range(self.since, self.until)
        filters = ()
        if new_since:
            filters = ({"range": {"first_seen_at": {"gt": new_since}}},)
        return SearchRequest(
            self.query,
            self.languages[0] if len(self.languages) == 1 else None,
            self.sources,
            since,
            until,
            size=size,
            offset=offset,
            sort=self.sort or "relevance",
            expand=self.expand,
            filters=filters
            + (({"terms": {"language": list(self.languages)}},) if len(self.languages) > 1 else ()),
        )

    def as_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        doc.pop("extra")
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in doc.items()}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> SavedSearch:
        known = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__ and k != "extra"}
        for key in ("languages", "sources"):
            known[key] = tuple(known.get(key) or ())
        return cls(**known)


def check_name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise QueryError(
            f"a saved search's name is letters, digits, spaces and - _ . : (up to 100), "
            f"got {name!r}"
        )
    return name


class SavedSearches:
    """The saved searches of one cluster and prefix."""

    def __init__(self, es: Elasticsearch, config: EsConfig) -> None:
        self.es = es
        self.config = config
        self.alias = config.index_name("searches")

    def _ready(self) -> None:
        ensure_index(self.es, self.config, "searches")

    def save(self, search: SavedSearch) -> SavedSearch:
        """Create or replace (a replaced search keeps its creation time and last run)."""
        self._ready()
        now = utc_now_iso()
        old = self.get(search.name)
        kept = (
            {"created_at": old.created_at, "last_run_at": old.last_run_at, "runs": old.runs}
            if old
            else {"created_at": now}
        )
        saved = SavedSearch.from_doc({**search.as_doc(), **kept, "updated_at": now})
        self.es.index(index=self.alias, id=saved.name, document=saved.as_doc(), refresh="wait_for")
        return saved

    def get(self, name: str) -> SavedSearch | None:
        try:
            return SavedSearch.from_doc(self.es.get(index=self.alias, id=name)["_source"])
        except NotFoundError:
            return None

    def require(self, name: str) -> SavedSearch:
        found = self.get(name)
        if found is None:
            names = ", ".join(s.name for s in self.all()) or "none"
            raise QueryError(f"no saved search {name!r} (saved: {names})")
        return found

    def all(self) -> list[SavedSearch]:
        if not self.es.indices.exists_alias(name=self.alias):
            return []
        hits = self.es.search(index=self.alias, size=1000, sort=[{"name": "asc"}])["hits"]["hits"]
        return [SavedSearch.from_doc(h["_source"]) for h in hits]

    def remove(self, name: str) -> bool:
        try:
            self.es.delete(index=self.alias, id=name, refresh="wait_for")
            return True
        except NotFoundError:
            return False

    def mark_run(self, search: SavedSearch, at: datetime | str | None = None) -> None:
        """Record a run, so that the next `--new` starts from here."""
        when = at.isoformat() if isinstance(at, datetime) else (at or utc_now_iso())
        self.es.update(
            index=self.alias,
            id=search.name,
            doc={"last_run_at": when, "runs": search.runs + 1},
            refresh="wait_for",
        )
