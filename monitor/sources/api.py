"""The `api` part of a source: a JSON list endpoint (a government CMS's XHR list, a stock exchange's
announcement search) described by field mapping, so one spider serves many such APIs.

    - id: cninfo-smic
      type: api
      urls: http://www.cninfo.com.cn/new/hisAnnouncement/query
      doc_type: filing
      api:
        method: POST                 # GET (query string) | POST (form) | POST-JSON
        params: {stock: "688981,9900043106", seDate: "{since}~{until}", pageNum: "{page}",
                 pageSize: 30}
        window: 30d                  # {since} .. {until}: the last 30 days, as date_param_format
        date_param_format: "%Y-%m-%d"
        pages: {start: 1, step: 1, max: 20}   # {page} takes start, start+step, ...
        items: announcements         # dotted path to the list (a JSON string there is decoded)
        has_more: hasMore            # optional: dotted path to a flag; else stop on a short page
        exchange: SZSE
        fields:                      # a dotted path, or a template with {field} of the item
          url: "http://static.cninfo.com.cn/{adjunctUrl}"
          title: announcementTitle
          published_at: announcementTime     # epoch milliseconds or seconds, or a date string
          company_code: secCode
          company_name: secName
          category: announcementTypeName
        date_format: "%d/%m/%Y %H:%M"  # optional: how published_at strings are written
        lookup:                      # optional: an identifier the exchange's own lookup gives
          url: http://www.cninfo.com.cn/new/information/topSearch/query
          method: POST
          params: {keyWord: "688981", maxNum: 10}
          items: ""                  # the list in the answer ("": the answer itself; JSONP too)
          match: {code: "688981"}    # the entry whose fields equal these
          value: orgId               # its field, as {orgId} in `params` above (cached 30 days)

Every string an API sends is unescaped (`Others &#x2f; Share Buyback`); codes and names that
hold several counters (`00700<br/>80700`) are split into lists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from monitor.sources import yamlfile

API_KEYS = {
    "method",
    "params",
    "window",
    "date_param_format",
    "pages",
    "items",
    "has_more",
    "exchange",
    "fields",
    "date_format",
    "lookup",
}
LOOKUP_KEYS = {"url", "method", "params", "items", "match", "value"}
METHODS = ("GET", "POST", "POST-JSON")
FIELD_KEYS = ("url", "title", "published_at", "company_code", "company_name", "category")


@dataclass(frozen=True)
class Lookup:
    """An identifier looked up through the exchange's own search (an orgId, a stockId)."""

    url: str
    value: str
    match: dict[str, str]
    method: str = "GET"
    params: dict[str, Any] = field(default_factory=dict)
    items: str = ""

    @property
    def key(self) -> str:
        """What the cache knows it by."""
        return json.dumps([self.url, self.params, self.match, self.value], sort_keys=True)

    def describe(self) -> str:
        wanted = ", ".join(f"{k} {v}" for k, v in self.match.items())
        return f"no {self.value} for {wanted} in the answer of {self.url}"


@dataclass(frozen=True)
class ApiSpec:
    items: str
    fields: dict[str, str]
    method: str = "GET"
    params: dict[str, Any] = field(default_factory=dict)
    window: timedelta | None = None
    date_param_format: str = "%Y-%m-%d"
    page_start: int = 1
    page_step: int = 1
    max_pages: int = 20
    has_more: str | None = None
    exchange: str | None = None
    date_format: str | None = None
    lookup: Lookup | None = None


def parse_lookup(raw: Any, fail: Any) -> Lookup | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        fail("'lookup' must be a mapping with url, match and value")
    unknown = set(raw) - LOOKUP_KEYS
    if unknown:
        fail(f"unknown key(s) {sorted(unknown)} in 'lookup'; allowed: {sorted(LOOKUP_KEYS)}")
    url, value, match = raw.get("url"), raw.get("value"), raw.get("match")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        fail(f"'lookup.url' must be an http(s) URL, got {url!r}")
    if not isinstance(value, str) or not value:
        fail("'lookup.value' must name the field to take, e.g. orgId")
    if not isinstance(match, dict) or not match:
        fail("'lookup.match' must map fields to the values of the wanted entry, e.g. {code: 1}")
    method = str(raw.get("method", "GET")).upper()
    if method not in METHODS:
        fail(f"'lookup.method' must be one of {', '.join(METHODS)}, got {raw.get('method')!r}")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        fail(f"'lookup.params' must be a mapping, got {params!r}")
    return Lookup(
        url=url,
        value=value,
        match={str(k): str(v) for k, v in match.items()},
        method=method,
        params=params,
        items=str(raw.get("items") or ""),
    )


def parse_api(checker: Any, parse_duration: Any) -> ApiSpec:
    """Build the ApiSpec of a source from its `api:` mapping; `checker.fail` points at the line."""
    entry = checker.raw.get("api")
    if not isinstance(entry, yamlfile.Located) or not isinstance(entry.value, dict):
        checker.fail("api", "an api source needs an 'api' mapping with 'items' and 'fields'")
    raw = yamlfile.unwrap(entry)

    def fail(message: str) -> None:
        checker.fail("api", message)

    unknown = set(raw) - API_KEYS
    if unknown:
        fail(f"unknown key(s) {sorted(unknown)}; allowed: {sorted(API_KEYS)}")
    method = str(raw.get("method", "GET")).upper()
    if method not in METHODS:
        fail(f"'method' must be one of {', '.join(METHODS)}, got {raw.get('method')!r}")
    if not isinstance(raw.get("items"), str) or not raw["items"]:
        fail("'items' must be the dotted path of the list in the answer, e.g. data.list")
    fields = raw.get("fields")
    if not isinstance(fields, dict) or not isinstance(fields.get("url"), str):
        fail("'fields' must map at least 'url' to a path or a template such as 'https://x/{id}'")
    unknown_fields = set(fields) - set(FIELD_KEYS)
    if unknown_fields:
        fail(f"unknown field(s) {sorted(unknown_fields)} in 'fields'; allowed: {FIELD_KEYS}")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        fail(f"'params' must be a mapping, got {params!r}")
    window = None
    if raw.get("window") is not None:
        window = parse_duration(raw["window"])
        if window is None:
            fail(f"'window' must be a duration such as 30d, got {raw['window']!r}")
    pages = raw.get("pages", {})
    if not isinstance(pages, dict) or not all(
        isinstance(pages.get(k, 1), int) and pages.get(k, 1) >= 0 for k in ("start", "step", "max")
    ):
        fail(f"'pages' must be a mapping of whole numbers (start, step, max), got {pages!r}")
    return ApiSpec(
        items=raw["items"],
        fields={k: str(v) for k, v in fields.items()},
        method=method,
        params=params,
        window=window,
        date_param_format=str(raw.get("date_param_format", "%Y-%m-%d")),
        page_start=pages.get("start", 1),
        page_step=pages.get("step", 1) or 1,
        max_pages=pages.get("max", 20) or 1,
        has_more=raw.get("has_more"),
        exchange=raw.get("exchange"),
        date_format=raw.get("date_format"),
        lookup=parse_lookup(raw.get("lookup"), fail),
    )
