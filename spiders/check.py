"""`monitor sources check`: does each source's configuration still find links and articles, now?

For each source: its first URL (feed, sitemap, listing page or API page) fetched, the article
links found with the same functions the spiders use, the listing's pager followed one page (its
links counted), and the first articles read by the pipeline's extraction. Requests go through
spiders.fetching (the crawl's address checks, robots.txt, a budget, a delay per host). A verdict
per source: `ok`, `blocked` (robots.txt, a refused address, HTTP 401/403/429/451), `unreachable`,
`no links`, `no pager`, `article unreadable`; with the robots verdict, the status, three example
links, the pager's next page and its link count, each sampled article's title, date, length and
language, and the time taken.
"""

from __future__ import annotations

import time
from typing import Any

from scrapy.http import Response, TextResponse
from scrapy.utils.gz import gunzip, gzip_magic_number

from monitor.sources import Source
from monitor.text.analyse import analyse_page
from spiders.fetching import Fetcher, FetchError

MIN_TEXT = 40
MAX_SITEMAP_DEPTH = 3


class CheckFailed(Exception):
    """What a check found wrong, and its verdict (no links, no pager, article unreadable)."""

    def __init__(self, message: str, verdict: str = "no links"):
        super().__init__(message)
        self.verdict = verdict


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


def _pager(source: Source, page: Response, get: Any, post: Any) -> dict[str, Any] | None:
    """The listing's next page as its pager reaches it, with its links counted; None when the
    source has no pager (`pages: none`, or not a listing). CheckFailed("no pager ...") when the
    pager it declares leads nowhere."""
    if source.type != "listing" or not isinstance(page, TextResponse):
        return None
    from spiders.listing import js_pager_pages, listing_hrefs
    from spiders.shells import find_shell

    if source.next:
        hrefs = listing_hrefs(page, source.next)
        if not hrefs:
            raise CheckFailed(f"the next selector {source.next!r} finds no link on {page.url}",
                              "no pager")  # fmt: skip
        kind, url = "next", page.urljoin(hrefs[0])
    elif source.pages and source.pages.auto:
        pages = js_pager_pages(page)
        if not pages:
            if find_shell(page.text, page.url) is not None:
                return {"kind": "shell", "url": None, "links": None}
            raise CheckFailed(f"pages: auto, but no createPageHTML(...) pager on {page.url}",
                              "no pager")  # fmt: skip
        kind, url = "createPageHTML", pages[0]
    elif source.pages and source.pages.count:
        kind, url = "pattern", source.pages.urls(page.url)[0]
    else:
        return None
    links = article_links(source, get(url), get, post)
    return {"kind": kind, "url": url, "links": len(links)}


def article_facts(
    answer: Response, encoding: str | None = None, language_hint: str | None = None
) -> dict[str, Any]:
    """What the pipeline's extraction reads from an article page: its title, date, length,
    language, encoding, whether it is a policy document, and whether it gives text."""
    doc = analyse_page(
        answer.body,
        answer.url,
        content_type=answer.headers.get(b"Content-Type", b"").decode("latin-1") or None,
        encoding=encoding,
        language_hint=language_hint,
    )
    readable = len(doc["text"]) >= MIN_TEXT or bool(doc["document"] and doc["document"]["scanned"])
    return {
        "url": answer.url,
        "title": doc["title"] or doc.get("fallback_title"),
        "published_at": doc["published_at"],
        "chars": len(doc["text"]),
        "language": doc["language"],
        "encoding": (doc.get("extraction") or {}).get("encoding"),
        "policy": bool(doc.get("policy")),  # a PDF or DOCX has neither of these two
        "not_article": doc.get("not_article"),
        "readable": readable,
    }


def _article(source: Source, url: str, get: Any) -> dict[str, Any]:
    return article_facts(get(url), source.encoding, source.language)


def check_source(
    source: Source,
    user_agent: str,
    timeout: float = 20,
    private_networks: tuple = (),
    delay: float = 1.0,
    sample: int = 1,
) -> dict[str, Any]:
    """The check of one source (see the module's docstring); never raises for what the site
    does."""
    started = time.monotonic()
    fetcher = Fetcher(
        user_agent,
        timeout=timeout,
        private_networks=tuple(private_networks) + tuple(source.private_networks),
        delay=delay,
    )
    result: dict[str, Any] = {"source": source.id, "type": source.type, "url": source.urls[0],
                              "robots": "allowed" if _robots_allow(fetcher, source.urls[0])
                              else "disallowed"}  # fmt: skip
    try:
        page = first_response(source, fetcher.get, fetcher.post)
        result["status"] = page.status
        found = article_links(source, page, fetcher.get, fetcher.post)
        links = [u for u in found if source.accepts(u)]
        result |= {"links": len(links), "examples": links[:3]}
        if not links:
            raise CheckFailed("the selectors found no article links")
        result["pager"] = _pager(source, page, fetcher.get, fetcher.post)
        articles = [_article(source, url, fetcher.get) for url in links[: max(1, sample)]]
        result["articles"] = articles
        first = articles[0]
        result["article"] = first["url"]
        result |= {k: first[k] for k in ("title", "chars", "language", "published_at")}
        unreadable = [a["url"] for a in articles if not a["readable"]]
        if len(unreadable) * 2 > len(articles) or not first["readable"]:
            raise CheckFailed(f"no article text extracted from {unreadable[0]}",
                              "article unreadable")  # fmt: skip
        result |= {"ok": True, "verdict": "ok"}
    except CheckFailed as exc:
        result |= {"ok": False, "verdict": exc.verdict, "error": str(exc)}
    except FetchError as exc:
        verdict = "blocked" if exc.blocked else "unreachable"
        result |= {"ok": False, "verdict": verdict, "error": str(exc), "status": exc.status}
    except ValueError as exc:  # an API answer that is not what the mapping expects
        result |= {"ok": False, "verdict": "no links", "error": f"unexpected answer: {exc}"}
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def _robots_allow(fetcher: Fetcher, url: str) -> bool:
    try:
        return fetcher.allowed(url)
    except FetchError:
        return True
