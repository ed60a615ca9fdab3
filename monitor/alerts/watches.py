"""Watches: what analysts want to hear about, from `watchlists.yaml`, validated once (file:line
errors) and compiled into ordinary Elasticsearch queries by the search module's own clauses
(monitor.search.engine.term_clause), so a watch and a search with the same words match the same
documents with the same analysers.

```yaml
watches:
  - id: miit-chips                       # lower-case letters, digits, - _ .
    name: MIIT semiconductor policy
    all: [semiconductor]                 # every one must match (a term or a phrase)
    any: [MIIT, 工信部]                   # at least one
    none: [recruitment]                  # none may
    phrases: ["export controls"]         # exact phrases, each must match
    near: [{terms: [lithography, export], within: 5}]   # within 5 words (Chinese: characters)
    weights: {subsidy: 2}                # per-term weight in the score
    min_score: 1.5                       # optional floor on the score
    filters: {sources: [miit-policy], doc_types: [policy], languages: [zh],
              companies: [SMIC], issuers: [工业和信息化部]}
    cross_language: true                 # (default) also through translations and the glossary
    channels: [analyst-mail]             # from channels.yaml
    mode: immediate                      # or digest
    digest: {every: daily, at: "08:00", timezone: Asia/Shanghai}   # or {every: hourly}
    rate_limit: {max: 20, per: 1h}       # more immediate alerts than this fold into one digest
    on: [new, changed, withdrawn]        # events (default [new]): a document first matching,
                                         # a new version of one, a matching page found gone
```
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.search.clauses import company_clause, issuer_clause
from monitor.search.concepts import Lexicon
from monitor.search.engine import term_clause
from monitor.search.glossary import Glossary
from monitor.sources import parse_duration, yamlfile

WATCH_KEYS = {
    "id",
    "name",
    "query",
    "all",
    "any",
    "none",
    "phrases",
    "near",
    "weights",
    "min_score",
    "filters",
    "cross_language",
    "channels",
    "mode",
    "digest",
    "rate_limit",
    "enabled",
    "on",
}
EVENTS = ("new", "changed", "withdrawn")  # what a watch alerts on (`on:`)
FILTER_FIELDS = {  # filter name → what it matches
    "sources": "source_id",
    "doc_types": "doc_type",
    "languages": "language",
    "companies": "company",
    "issuers": "issuer",
}
MODES = ("immediate", "digest")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Near:
    terms: tuple[str, ...]
    within: int  # words, or characters for Chinese


@dataclass(frozen=True)
class Digest:
    every: str = "daily"  # hourly | daily
    at: str = "08:00"  # daily: local time of day
    timezone: str = "UTC"

    def due_after(self, moment: datetime) -> datetime:
        """The first digest time strictly after `moment` (aware datetimes)."""
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone)
        if self.every == "hourly":
            return (
                local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            ).astimezone(moment.tzinfo)
        hour, minute = (int(x) for x in self.at.split(":"))
        candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if candidate <= local:
            candidate += timedelta(days=1)
        return candidate.astimezone(moment.tzinfo)


@dataclass(frozen=True)
class RateLimit:
    max: int = 20  # immediate alerts per watch and period; beyond: folded into one digest
    per: timedelta = timedelta(hours=1)
    fold_after: timedelta = timedelta(minutes=5)  # when the folded ones are sent together


@dataclass(frozen=True)
class Watch:
    id: str
    name: str
    query: str = ""  # the query language of `monitor search` (as a saved search has it)
    all: tuple[str, ...] = ()
    any: tuple[str, ...] = ()
    none: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    near: tuple[Near, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)
    min_score: float | None = None
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cross_language: bool = True
    channels: tuple[str, ...] = ()
    mode: str = "immediate"
    digest: Digest = Digest()
    rate_limit: RateLimit = RateLimit()
    enabled: bool = True
    on: tuple[str, ...] = ("new",)

    def spec(self) -> dict[str, Any]:
        """The watch as plain JSON (stored with each version; its hash says when it changed)."""
        data = asdict(self)
        if self.on == ("new",):  # the default: watches written before `on:` keep their hash
            del data["on"]
        data["rate_limit"] = {
            "max": self.rate_limit.max,
            "per": self.rate_limit.per.total_seconds(),
            "fold_after": self.rate_limit.fold_after.total_seconds(),
        }
        return data

    @property
    def digest_hash(self) -> str:
        return hashlib.sha1(json.dumps(self.spec(), sort_keys=True).encode()).hexdigest()[:16]

    @property
    def terms(self) -> tuple[str, ...]:
        """Every positive term and phrase (what an alert says was matched)."""
        near = tuple(t for n in self.near for t in n.terms)
        query = (self.query,) if self.query else ()
        return tuple(dict.fromkeys((*query, *self.all, *self.any, *self.phrases, *near)))

    @classmethod
    def from_spec(cls, data: dict[str, Any]) -> Watch:
        rate = data.get("rate_limit") or {}
        return cls(
            **{
                **{k: v for k, v in data.items() if k in WATCH_KEYS},
                **{k: tuple(data.get(k) or ()) for k in ("all", "any", "none", "phrases")},
                "channels": tuple(data.get("channels") or ()),
                "on": tuple(data.get("on") or ("new",)),
                "near": tuple(Near(tuple(n["terms"]), n["within"]) for n in data.get("near") or ()),
                "filters": {k: tuple(v) for k, v in (data.get("filters") or {}).items()},
                "digest": Digest(**(data.get("digest") or {})),
                "rate_limit": RateLimit(
                    rate.get("max", 20),
                    timedelta(seconds=rate.get("per", 3600)),
                    timedelta(seconds=rate.get("fold_after", 300)),
                ),
            }
        )


# --- compiling ----------------------------------------------------------------------------------


def compile_watch(watch: Watch, glossary: Glossary | None) -> dict[str, Any]:
    """The Elasticsearch query of a watch (without the batch's ids filter, added when matching)."""

    # a watch's term is one concept: only renderings of the whole term count (not those of the
    # words inside "subsidy5" or of an unlisted multi-word phrase)
    lexicon = Lexicon(glossary) if glossary and watch.cross_language else None

    def clause(term: str, slop: int = 0) -> dict[str, Any]:
        return term_clause(term, lexicon, slop=slop, boost=watch.weights.get(term, 1.0))

    must = [clause(t) for t in (*watch.all, *watch.phrases)]
    filters: list[dict[str, Any]] = []
    if watch.query:  # a saved search's definition: the search's own query, coordination included
        from monitor.search.engine import bare_lexicon
        from monitor.search.query import compile_query

        compiled = compile_query(watch.query, lexicon or bare_lexicon(), decision=True)
        must.append(compiled.query)
        filters += compiled.filters
    if watch.any:
        must.append({"bool": {"should": [clause(t) for t in watch.any], "minimum_should_match": 1}})
    for near in watch.near:
        must.append(clause(" ".join(near.terms), slop=near.within))
    filters += [_filter(name, values) for name, values in watch.filters.items() if values]
    return {
        "bool": {
            "must": must or [{"match_all": {}}],
            "must_not": [clause(t) for t in watch.none],
            "filter": filters,
        }
    }


def _filter(name: str, values: tuple[str, ...]) -> dict[str, Any]:
    field_name = FILTER_FIELDS[name]
    if field_name == "company":
        return company_clause(list(values))
    if field_name == "issuer":
        return issuer_clause(list(values))
    return {"terms": {field_name: list(values)}}


# --- the watchlist file -------------------------------------------------------------------------


class _WatchChecker(yamlfile.EntryChecker):
    kind = "watch"

    def __init__(self, entry: Any, file: str):
        super().__init__(entry, file)
        if True in self.raw:  # YAML 1.1 reads a bare `on:` key as the boolean true
            self.raw = {("on" if k is True else k): v for k, v in self.raw.items()}
            self.lines = {("on" if k is True else k): v for k, v in self.lines.items()}

    def words(self, key: str) -> tuple[str, ...]:
        value = yamlfile.unwrap(self.raw.get(key))
        if value is None:
            return ()
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(
            isinstance(v, str) and v.strip() for v in values
        ):
            self.fail(key, f"expected a term or a list of terms, got {value!r}")
        return tuple(v.strip() for v in values)

    def near(self) -> tuple[Near, ...]:
        value = yamlfile.unwrap(self.raw.get("near")) or []
        found = []
        for item in value if isinstance(value, list) else [value]:
            terms, within = (item or {}).get("terms") if isinstance(item, dict) else None, None
            if isinstance(item, dict):
                within = item.get("within")
            if (
                not isinstance(terms, list)
                or len(terms) < 2
                or not all(isinstance(t, str) for t in terms)
                or isinstance(within, bool)
                or not isinstance(within, int)
                or not 0 <= within <= 100
            ):
                self.fail("near", f"expected {{terms: [a, b], within: N (0-100)}}, got {item!r}")
            found.append(Near(tuple(terms), within))
        return tuple(found)

    def weights(self) -> dict[str, float]:
        value = yamlfile.unwrap(self.raw.get("weights")) or {}
        if not isinstance(value, dict) or not all(
            isinstance(w, (int, float)) and not isinstance(w, bool) and w > 0
            for w in value.values()
        ):
            self.fail("weights", f"expected {{term: weight > 0}}, got {value!r}")
        return {str(k): float(v) for k, v in value.items()}

    def filters(self) -> dict[str, tuple[str, ...]]:
        value = yamlfile.unwrap(self.raw.get("filters")) or {}
        if not isinstance(value, dict):
            self.fail("filters", f"expected a mapping, got {value!r}")
        unknown = set(value) - set(FILTER_FIELDS)
        if unknown:
            self.fail(
                "filters", f"unknown filter(s) {sorted(unknown)}; allowed: {sorted(FILTER_FIELDS)}"
            )
        found = {}
        for name, values in value.items():
            values = [values] if isinstance(values, str) else values
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                self.fail("filters", f"{name}: expected a list of names, got {values!r}")
            found[name] = tuple(values)
        return found

    def digest(self) -> Digest:
        value = yamlfile.unwrap(self.raw.get("digest")) or {}
        if not isinstance(value, dict) or set(value) - {"every", "at", "timezone"}:
            self.fail(
                "digest",
                f"expected {{every: hourly|daily, at: 'HH:MM', timezone: Z}}, got {value!r}",
            )
        digest = Digest(
            every=str(value.get("every", "daily")),
            at=str(value.get("at", "08:00")),
            timezone=str(value.get("timezone", "UTC")),
        )
        if digest.every not in ("hourly", "daily"):
            self.fail("digest", f"'every' must be hourly or daily, got {digest.every!r}")
        try:
            time.fromisoformat(digest.at)
        except ValueError:
            self.fail("digest", f"'at' must be a time such as 08:00, got {digest.at!r}")
        try:
            ZoneInfo(digest.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail("digest", f"unknown time zone {digest.timezone!r}")
        return digest

    def rate_limit(self) -> RateLimit:
        value = yamlfile.unwrap(self.raw.get("rate_limit")) or {}
        if not isinstance(value, dict) or set(value) - {"max", "per", "fold_after"}:
            self.fail("rate_limit", f"expected {{max: N, per: 1h, fold_after: 5m}}, got {value!r}")
        limit = value.get("max", 20)
        per = parse_duration(value.get("per", "1h"))
        fold = parse_duration(value.get("fold_after", "5m"))
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or limit < 0
            or not per
            or fold is None
        ):
            self.fail(
                "rate_limit", f"expected {{max: N >= 0, per: 1h, fold_after: 5m}}, got {value!r}"
            )
        return RateLimit(limit, per, fold)

    def events(self) -> tuple[str, ...]:
        if self.raw.get("on") is None:
            return ("new",)
        found = self.words("on")
        wrong = [e for e in found if e not in EVENTS]
        if wrong or not found:
            self.fail("on", f"expected a list of {', '.join(EVENTS)}, got {list(found)!r}")
        return tuple(dict.fromkeys(found))

    def build(self, channel_ids: set[str] | None) -> Watch:
        unknown = set(self.raw) - WATCH_KEYS
        if unknown:
            self.fail(
                sorted(unknown)[0],
                f"unknown field; allowed fields: {', '.join(sorted(WATCH_KEYS))}",
            )
        watch_id = self.text("id", required=True)
        if not _ID_RE.match(watch_id):
            self.fail("id", f"use lower-case letters, digits, '-', '_' or '.', got {watch_id!r}")
        mode = self.text("mode") or "immediate"
        if mode not in MODES:
            self.fail("mode", f"must be one of {', '.join(MODES)}, got {mode!r}")
        channels = self.words("channels")
        if channel_ids is not None:
            missing = [c for c in channels if c not in channel_ids]
            if missing:
                self.fail(
                    "channels", f"unknown channel(s) {missing}; defined: {sorted(channel_ids)}"
                )
        min_score = self.raw.get("min_score")
        if min_score is not None and (
            isinstance(min_score, bool) or not isinstance(min_score, (int, float)) or min_score < 0
        ):
            self.fail("min_score", f"expected a number >= 0, got {min_score!r}")
        query = self.text("query") or ""
        if query:
            from monitor.errors import QueryError
            from monitor.search.engine import bare_lexicon
            from monitor.search.query import compile_query

            try:
                compile_query(query, bare_lexicon())
            except QueryError as exc:
                self.fail("query", str(exc))
        watch = Watch(
            id=watch_id,
            name=self.text("name") or watch_id,
            query=query,
            all=self.words("all"),
            any=self.words("any"),
            none=self.words("none"),
            phrases=self.words("phrases"),
            near=self.near(),
            weights=self.weights(),
            min_score=float(min_score) if min_score is not None else None,
            filters=self.filters(),
            cross_language=self.flag("cross_language", True),
            channels=channels,
            mode=mode,
            digest=self.digest(),
            rate_limit=self.rate_limit(),
            enabled=self.flag("enabled", True),
            on=self.events(),
        )
        if not (watch.query or watch.all or watch.any or watch.phrases or watch.near):
            self.fail(None, "a watch needs terms ('all', 'any', 'phrases' or 'near') or a 'query'")
        return watch


def load_watchlist(path: str | Path, channel_ids: set[str] | None = None) -> list[Watch]:
    """Load and validate a watchlist file: a top-level `watches:` list of mappings; with
    `channel_ids`, every channel a watch names must be one of them."""
    return yamlfile.load_entries(
        path,
        "watches",
        "watch",
        lambda entry, file: _WatchChecker(entry, file).build(channel_ids),
        empty=True,
    )
