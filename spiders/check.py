"""`monitor sources check`: does each source's configuration still find links and articles?

For each source: fetch its first URL (feed, sitemap, listing page or API page), find the article
links with the same functions the spiders use, then fetch the first article and run the pipeline's
extraction on it. One request at a time per source, a short timeout, the project's User-Agent; it
does not obey robots.txt delays, so run it by hand, not on a schedule. The outcome per source:
ok, or what failed (fetch, no links, no text) with the URL.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

from scrapy.http import Response, TextResponse
from scrapy.http.headers import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.gz import gunzip, gzip_magic_number

from monitor.sources import Source
from monitor.text.analyse import analyse_page

MIN_TEXT = 40
MAX_SITEMAP_DEPTH = 3


class CheckFailed(Exception):
    pass


def fetch(url: str, user_agent: str, timeout: float, method: str = "GET", body: bytes | None = None,
          headers: dict[str, str] | None = None) -> Response:  # fmt: skip
    request = urllib.request.Request(
        url, data=body, method=method, headers={"User-Agent": user_agent, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            raw, final, header_items = answer.read(), answer.geturl(), answer.getheaders()
    except urllib.error.HTTPError as exc:
        raise CheckFailed(f"HTTP {exc.code} from {url}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise CheckFailed(f"cannot fetch {url}: {getattr(exc, 'reason', exc)}") from None
    scrapy_headers = Headers(header_items)
    cls = responsetypes.from_args(headers=scrapy_headers, url=final, body=raw)
    return cls(url=final, body=raw, headers=scrapy_headers)


def _post_form(post: Any, url: str, form: dict[str, str], referer: str) -> Response:
    from urllib.parse import urlencode

    kind = "application/x-www-form-urlencoded; charset=UTF-8"
    return post(url, urlencode(form).encode(), {"Content-Type": kind, "Referer": referer})


def article_links(
    source: Source, response: Response, get: Any, post: Any = None, depth: int = 0
) -> list[str]:
    """The article URLs the source's spider would request from its first page."""
    if source.type == "listing":
        from spiders.listing import listing_hrefs

        if not isinstance(response, TextResponse):
            raise CheckFailed(f"{response.url} is not a text page")
        if source.encoding:
            response = response.replace(encoding=source.encoding)
        hrefs = listing_hrefs(response, source.links)
        if not hrefs:  # a list the page's script builds: read where the browser reads it
            from spiders.shells import ShellError, find_shell

            shell = find_shell(response.text, response.url)
            if shell is not None:
                hrefs = [href for href, _, _ in shell.preloaded]
                if not hrefs:
                    endpoint = shell.endpoint(shell.first_page)
                    if endpoint.method == "GET":
                        answer = get(endpoint.url)
                    else:
                        answer = _post_form(post, endpoint.url, endpoint.form, response.url)
                    try:
                        hrefs = [href for href, _, _ in shell.read(answer.text).links]
                    except ShellError as exc:
                        raise CheckFailed(
                            f"{shell.kind} list endpoint {answer.url}: {exc}"
                        ) from None
        return [response.urljoin(h) for h in hrefs]
    if source.type == "feed":
        from spiders.feed import feed_entries

        return [response.urljoin(link) for link, _ in feed_entries(response) if link]
    if source.type == "sitemap":
        from spiders.sitemap import sitemap_entries

        body = gunzip(response.body) if gzip_magic_number(response) else response.body
        kind, entries = sitemap_entries(body)
        if kind == "sitemapindex" and entries and depth < MAX_SITEMAP_DEPTH:
            return article_links(source, get(entries[0][0]), get, post, depth + 1)
        return [loc for loc, _ in entries]
    from spiders.api import api_entries, map_entry

    _, entries = api_entries(source.api, response.text)
    found = [map_entry(source.api, e, source.doc_type)[0] for e in entries]
    return [response.urljoin(u) for u in found if u]


def first_response(source: Source, get: Any, post: Any) -> Response:
    if source.type != "api":
        return get(source.urls[0])
    from spiders.api import api_request, looked_up, request_for

    values = {}
    lookup = source.api.lookup
    if lookup is not None:  # asked every check: a check is for seeing the site answer now
        asked = request_for(
            lookup.url, lookup.method, {k: str(v) for k, v in lookup.params.items()}
        )
        answer = _send(asked, get, post)
        found = looked_up(lookup, answer.text)
        if found is None:
            raise CheckFailed(lookup.describe())
        values[lookup.value] = found
    return _send(api_request(source.api, source.urls[0], 0, values), get, post)


def _send(request: Any, get: Any, post: Any) -> Response:
    if request.method == "POST":
        content_type = request.headers.get(b"Content-Type", b"").decode()
        return post(request.url, request.body, {"Content-Type": content_type})
    return get(request.url)


def check_source(source: Source, user_agent: str, timeout: float = 20) -> dict[str, Any]:
    result: dict[str, Any] = {"source": source.id, "type": source.type, "url": source.urls[0]}

    def get(url: str) -> Response:
        return fetch(url, user_agent, timeout)

    def post(url: str, body: bytes, headers: dict[str, str]) -> Response:
        return fetch(url, user_agent, timeout, "POST", body, headers)

    try:
        found = article_links(source, first_response(source, get, post), get, post)
        links = [u for u in found if source.accepts(u)]
        result["links"] = len(links)
        if not links:
            raise CheckFailed("the selectors found no article links")
        article = get(links[0])
        result["article"] = article.url
        doc = analyse_page(
            article.body,
            article.url,
            content_type=article.headers.get(b"Content-Type", b"").decode("latin-1") or None,
            encoding=source.encoding,
            language_hint=source.language,
        )
        title = doc["title"] or doc.get("fallback_title")
        result |= {"title": title, "chars": len(doc["text"]), "language": doc["language"]}
        if len(doc["text"]) < MIN_TEXT and not (doc["document"] and doc["document"]["scanned"]):
            raise CheckFailed(f"no article text extracted from {article.url}")
        result["ok"] = True
    except CheckFailed as exc:
        result |= {"ok": False, "error": str(exc)}
    except ValueError as exc:  # an API answer that is not what the mapping expects
        result |= {"ok": False, "error": f"unexpected answer: {exc}"}
    return result
