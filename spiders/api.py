"""JSON list endpoints: a government CMS's XHR list behind its page, or a stock exchange's
announcement search (CNINFO-style POST forms, HKEX-style GET with the list as a JSON string).

One spider, configured by field mapping (monitor/apiconfig.py): it pages through the endpoint
(`{page}` in the URL or the parameters), maps each entry to a URL, a title, a date and, for filings,
the company code and name, announcement type and exchange, then fetches the document the entry
points to (usually a PDF) as an article. Paging stops at `has_more` = false, at an empty page, at a
page that brings no new entry (an API that ignores the page parameter), or after `max` pages.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.http import Response

from monitor.sources.api import ApiSpec
from monitor.text.dates import parse_date
from spiders.base import SourceSpider

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def dig(data: Any, path: str) -> Any:
    """The value at a dotted path ('data.list', 'result.0.id'); None when it is not there."""
    for key in path.split("."):
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


def to_iso(value: Any, date_format: str | None = None) -> str | None:
    """Epoch seconds or milliseconds, a string in `date_format`, or any date parse_date knows."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()
    text = str(value).strip()
    if date_format:
        try:
            return datetime.strptime(text, date_format).isoformat()
        except ValueError:
            pass
    return parse_date(text)


def api_request(spec: ApiSpec, url: str, index: int, **options: Any) -> scrapy.Request:
    """The request for page `index` (0-based) of an API: {page}, {since}, {until} filled in."""
    today = date.today()
    since = today - spec.window if spec.window else date(1990, 1, 1)
    values = {
        "page": str(spec.page_start + index * spec.page_step),
        "since": since.strftime(spec.date_param_format),
        "until": today.strftime(spec.date_param_format),
    }

    def fill(text: Any) -> str:
        return _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), str(text))

    params = {k: fill(v) for k, v in spec.params.items()}
    target = fill(url)
    if spec.method == "POST":
        return scrapy.FormRequest(target, formdata=params, **options)
    if spec.method == "POST-JSON":
        return scrapy.http.JsonRequest(target, data=params, **options)
    if params:
        target += ("&" if urlsplit(target).query else "?") + urlencode(params)
    return scrapy.Request(target, **options)


class ApiSpider(SourceSpider):
    name = "api"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.entries_seen: set[str] = set()
        for url in self.source.urls:
            yield self.api_request(url, 0)

    def api_request(self, url: str, index: int) -> scrapy.Request:
        return api_request(
            self.source.api,
            url,
            index,
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
            link, hints = map_entry(spec, entry, self.source.doc_type)
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


def map_entry(
    spec: ApiSpec, entry: dict[str, Any], doc_type: str | None
) -> tuple[str | None, dict[str, Any]]:
    """(document URL, hints: title, date, doc_type, filing) of one entry, by the field mapping."""
    link = resolve(spec.fields["url"], entry)
    value = {k: resolve(v, entry) for k, v in spec.fields.items() if k != "url"}
    published = to_iso(value.get("published_at"), spec.date_format)
    filing = None
    if value.get("company_code") or value.get("company_name"):
        filing = {
            "exchange": spec.exchange,
            "company_code": str(value.get("company_code") or "") or None,
            "company_name": value.get("company_name"),
            "category": value.get("category"),
            "announced_at": published,
        }
    hints = {
        "title": _plain(value.get("title")),
        "published_at": published,
        "doc_type": doc_type or ("filing" if filing else None),
        "filing": filing,
    }
    return (str(link).strip() or None) if link else None, hints


def _plain(text: Any) -> str | None:
    """A title without the <em> highlighting some search APIs put in it."""
    if not text:
        return None
    return re.sub(r"<[^>]+>", "", str(text)).strip() or None
