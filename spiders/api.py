"""JSON list endpoints: a government CMS's XHR list behind its page, or a stock exchange's
announcement search (CNINFO-style POST forms, HKEX-style GET with the list as a JSON string).

One spider, configured by field mapping (monitor/apiconfig.py): it pages through the endpoint
(`{page}` in the URL or the parameters), maps each entry to a URL, a title, a date and, for filings,
the company code and name, announcement type and exchange, then fetches the document the entry
points to (usually a PDF) as an article. Paging stops at `has_more` = false, at an empty page, at a
page that brings no new entry (an API that ignores the page parameter), or after `max` pages.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator, Iterable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.http import Response

from monitor.sources.api import ApiSpec, Lookup
from monitor.sources.lookups import LookupCache
from monitor.text.dates import parse_date
from monitor.text.zones import from_epoch, localize, source_zone
from spiders.base import SourceSpider

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def dig(data: Any, path: str) -> Any:
    """The value at a dotted path ('data.list', 'result.0.id'; '' is the data itself); None when
    it is not there."""
    for key in path.split(".") if path else ():
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        else:
            return None
    return data


def resolve(spec: str, entry: dict[str, Any]) -> Any:
    """A mapped field: a template with {name} placeholders, or a dotted path."""
    if "{" in spec:
        return _PLACEHOLDER.sub(lambda m: str(dig(entry, m[1]) or "").strip(), spec)
    return dig(entry, spec)


def to_iso(value: Any, date_format: str | None = None, zone: str | None = None) -> str | None:
    """Epoch seconds or milliseconds, a string in `date_format`, or any date parse_date knows;
    written in `zone`, the source's (a time without an offset is the zone's local time)."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value
        return from_epoch(seconds, zone)
    text = str(value).strip()
    if date_format:
        try:
            return localize(datetime.strptime(text, date_format).isoformat(), zone)
        except ValueError:
            pass
    return localize(parse_date(text), zone)


def fill(text: Any, values: dict[str, str]) -> str:
    """`{name}` placeholders replaced by their values (unknown ones left as they are)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), str(text))


def request_for(url: str, method: str, params: dict[str, str], **options: Any) -> scrapy.Request:
    if method == "POST":
        return scrapy.FormRequest(url, formdata=params, **options)
    if method == "POST-JSON":
        return scrapy.http.JsonRequest(url, data=params, **options)
    if params:
        url += ("&" if urlsplit(url).query else "?") + urlencode(params)
    return scrapy.Request(url, **options)


def api_request(
    spec: ApiSpec, url: str, index: int, looked_up: dict[str, str] | None = None, **options: Any
) -> scrapy.Request:
    """The request for page `index` (0-based) of an API: {page}, {since}, {until} and a looked-up
    identifier ({orgId}) filled in."""
    today = date.today()
    since = today - spec.window if spec.window else date(1990, 1, 1)
    values = {
        **(looked_up or {}),
        "page": str(spec.page_start + index * spec.page_step),
        "since": since.strftime(spec.date_param_format),
        "until": today.strftime(spec.date_param_format),
    }
    params = {k: fill(v, values) for k, v in spec.params.items()}
    return request_for(fill(url, values), spec.method, params, **options)


class ApiSpider(SourceSpider):
    name = "api"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.entries_seen: set[str] = set()
        self.looked_up: dict[str, str] = {}
        lookup = self.source.api.lookup
        if lookup is not None:
            cache = LookupCache.of(self.crawler.settings)
            found = cache.get(lookup.key)
            if found is None:  # asked first; the pages follow its answer
                params = {k: str(v) for k, v in lookup.params.items()}
                yield request_for(
                    lookup.url,
                    lookup.method,
                    params,
                    callback=self.parse_lookup,
                    errback=self.on_lookup_error,
                    meta={"monitor_kind": "api"},
                    dont_filter=True,
                )
                return
            self.looked_up[lookup.value] = found
        for url in self.source.urls:
            yield self.api_request(url, 0)

    def parse_lookup(self, response: Response) -> Iterable[scrapy.Request]:
        lookup = self.source.api.lookup
        found = None
        try:
            found = looked_up(lookup, response.text)
        except ValueError as exc:
            self.logger.warning("source %s: lookup %s: %s", self.source.id, response.url, exc)
        if found is None:
            self.lookup_failed(lookup.describe())
            return
        LookupCache.of(self.crawler.settings).put(lookup.key, found)
        self.logger.info("source %s: %s is %s (looked up)", self.source.id, lookup.value, found)
        self.looked_up[lookup.value] = found
        for url in self.source.urls:
            yield self.api_request(url, 0)

    def on_lookup_error(self, failure: Any) -> None:
        self.on_error(failure)
        self.lookup_failed(f"the lookup {self.source.api.lookup.url} failed")

    def lookup_failed(self, why: str) -> None:
        """One line naming the company, and a failed run (not an empty one)."""
        self.crawler.stats.inc_value("monitor/api/lookup_failed")
        self.logger.error("source %s: %s; the source cannot be crawled", self.source.id, why)
        self.crawler.engine.close_spider(self, f"lookup failed: {why}")

    def api_request(self, url: str, index: int) -> scrapy.Request:
        return api_request(
            self.source.api,
            url,
            index,
            self.looked_up,
            callback=self.parse_api,
            errback=self.on_error,
            cb_kwargs={"url": url, "index": index},
            meta={"monitor_kind": "api"},
        )

    def parse_api(self, response: Response, url: str, index: int) -> Iterable[scrapy.Request]:
        spec = self.source.api
        self.crawler.stats.inc_value("monitor/api/pages")
        try:
            data, entries = api_entries(spec, response.text)
        except ValueError as exc:
            self.crawler.stats.inc_value("monitor/api/invalid")
            self.logger.warning("source %s: %s: %s", self.source.id, response.url, exc)
            return
        new = 0
        for entry in entries:
            link, hints = map_entry(spec, entry, self.source.doc_type, source_zone(self.source))
            if not link:
                self.crawler.stats.inc_value("monitor/api/no_url")
                continue
            request = self.article_request(self.link(response, link), hints)
            if request is not None and request.url not in self.entries_seen:
                self.entries_seen.add(request.url)
                new += 1
                yield request
        self.crawler.stats.inc_value("monitor/api/entries", len(entries))
        more = bool(dig(data, spec.has_more)) if spec.has_more else bool(entries)
        if more and new and index + 1 < spec.max_pages:
            yield self.api_request(url, index + 1)


def api_entries(spec: ApiSpec, text: str) -> tuple[Any, list[dict[str, Any]]]:
    """(the decoded answer, its entries); ValueError says what is wrong with the answer."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    entries = dig(data, spec.items)
    if isinstance(entries, str):  # HKEX-style: the list arrives as a JSON string
        try:
            entries = json.loads(entries)
        except ValueError as exc:
            raise ValueError(f"{spec.items!r} holds a string that is not JSON: {exc}") from None
    if entries is None:  # some APIs say null, not [], when nothing matches
        entries = []
    if not isinstance(entries, list):
        raise ValueError(f"no list at {spec.items!r} in the answer")
    return data, [e for e in entries if isinstance(e, dict)]


def looked_up(lookup: Lookup, text: str) -> str | None:
    """The identifier in a lookup's answer (JSON, or JSONP: `callback({...});`), or None."""
    body = text.strip()
    jsonp = re.match(r"^[\w$.]+\s*\((.*)\)\s*;?\s*$", body, re.S)
    try:
        data = json.loads(jsonp[1] if jsonp else body)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    entries = dig(data, lookup.items)
    entries = entries if isinstance(entries, list) else [entries]
    for entry in entries:
        if isinstance(entry, dict) and all(
            str(entry.get(k, "")).strip() == v for k, v in lookup.match.items()
        ):
            value = entry.get(lookup.value)
            if value not in (None, ""):
                return str(value)
    return None


def map_entry(
    spec: ApiSpec, entry: dict[str, Any], doc_type: str | None, zone: str | None = None
) -> tuple[str | None, dict[str, Any]]:
    """(document URL, hints: title, date, doc_type, filing) of one entry, by the field mapping;
    every string unescaped, a code or name holding several counters split into a list."""
    link = resolve(spec.fields["url"], entry)
    value = {k: _unescaped(resolve(v, entry)) for k, v in spec.fields.items() if k != "url"}
    published = to_iso(value.get("published_at"), spec.date_format, zone)
    filing = None
    if value.get("company_code") or value.get("company_name"):
        filing = {
            "exchange": spec.exchange,
            "company_code": counters(value.get("company_code")),
            "company_name": counters(value.get("company_name")),
            "category": _plain(value.get("category")),
            "announced_at": published,
        }
    hints = {
        "title": _plain(value.get("title")),
        "published_at": published,
        "doc_type": doc_type or ("filing" if filing else None),
        "filing": filing,
    }
    link = html.unescape(str(link)).strip() if link else None
    return link or None, hints


_BREAK = re.compile(r"<br\s*/?>|\n", re.I)


def counters(value: Any) -> str | list[str] | None:
    """A code or name as sent: one counter as a string, several (`00700<br/>80700`) as a list."""
    if value in (None, ""):
        return None
    parts = [p for p in (_plain(part) for part in _BREAK.split(str(value))) if p]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else list(dict.fromkeys(parts))


def _unescaped(value: Any) -> Any:
    """An API's string with its entities decoded (`&#x2f;` → `/`); other values unchanged."""
    return html.unescape(value) if isinstance(value, str) else value


def _plain(text: Any) -> str | None:
    """A title without the <em> highlighting some search APIs put in it."""
    if not text:
        return None
    return re.sub(r"<[^>]+>", "", str(text)).strip() or None
