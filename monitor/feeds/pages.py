"""The HTML pages of `monitor serve`: the feeds, search results, one document. Plain HTML with a
little inline CSS and no script; every value from the index is escaped (a page's text, title and
URL are an attacker's), links to original pages are http(s) only."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote, urlencode

from monitor.feeds.atom import marked, web_link
from monitor.feeds.entries import Feed

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60em;padding:0 1em;color:#222}
header{border-bottom:1px solid #ccc;padding:.6em 0;display:flex;gap:1em;align-items:center}
header a{font-weight:bold;text-decoration:none;color:#036}
form{display:flex;gap:.4em;flex:1}input[type=search]{flex:1;padding:.3em}
.hit{margin:1em 0}.hit h3{margin:0;font-size:1.05em}.meta{color:#666;font-size:.9em}
.en{color:#555;font-style:italic}mark{background:#fe8}table{border-collapse:collapse}
td{padding:.1em .8em .1em 0;vertical-align:top}.para{margin:.7em 0}
.para .en{border-left:3px solid #ddd;padding-left:.6em}.repealed{color:#a00;font-weight:bold}
"""


def e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def page(title: str, body: str, query: str = "") -> bytes:
    """A whole page, with the search box on top."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<meta name=viewport content='width=device-width'><title>{e(title)} · news-monitor"
        f"</title><style>{STYLE}</style></head><body><header><a href='/'>news-monitor</a>"
        "<form action='/search' method=get role=search><input type=search name=q "
        f"value='{e(query)}' placeholder='MIIT semiconductor policy · 集成电路' aria-label=Search>"
        "<button>Search</button></form></header>"
        f"<main>{body}</main></body></html>"
    ).encode()


def feed_href(feed: Feed) -> str:
    return f"/feeds/{quote(feed.key, safe=':')}.atom"


def index_page(feeds: list[Feed]) -> bytes:
    rows = "".join(
        f"<li><a href='{e(feed_href(f))}' type='application/atom+xml'>{e(f.title)}</a> "
        f"<span class=meta>{e(f.key)} · {e(f.description)}</span></li>"
        for f in feeds
    )
    body = "<h1>Feeds</h1>" + (
        f"<ul>{rows}</ul>"
        if feeds
        else "<p>No saved searches or watches yet: <code>monitor search QUERY --save NAME</code>"
        " saves a search; watches come from the watchlist.</p>"
    )
    links = "".join(
        f"<link rel=alternate type='application/atom+xml' title='{e(f.title)}' "
        f"href='{e(feed_href(f))}'>"
        for f in feeds
    )
    return page("Feeds", links + body)


def _hit(hit: dict[str, Any]) -> str:
    link = web_link(hit.get("url"))
    original = f" · <a href='{e(link)}' rel='noreferrer noopener'>original</a>" if link else ""
    facts = [hit.get("source_id"), hit.get("doc_type"), (hit.get("published_at") or "")[:10],
             hit.get("doc_number"), hit.get("issuer"), hit.get("company")]  # fmt: skip
    meta = " · ".join(e(f) for f in facts if f)
    title = e(hit.get("title") or hit.get("url") or hit["id"])
    en = f"<div class=en>{e(hit['title_en'])}</div>" if hit.get("title_en") else ""
    snippet = f"<div>{marked(hit['snippet'])}</div>" if hit.get("snippet") else ""
    snippet_en = f"<div class=en>{marked(hit['snippet_en'])}</div>" if hit.get("snippet_en") else ""
    repealed = " <span class=repealed>repealed</span>" if hit.get("repealed_by") else ""
    return (
        f"<div class=hit><h3><a href='/doc/{quote(hit['id'], safe='')}'>{title}</a>{repealed}</h3>"
        f"{en}<div class=meta>{meta}{original}</div>{snippet}{snippet_en}</div>"
    )


def results_page(query: str, result: dict[str, Any], page_no: int, size: int, lang: str) -> bytes:
    hits = result["hits"]
    total = result["total"]
    shown = f"{result['offset'] + 1}–{result['offset'] + len(hits)} of {total}" if hits else "none"
    relaxed = " (no document matched every concept: fewer required)" if result["relaxed"] else ""
    body = f"<p class=meta>{e(shown)}{e(relaxed)}</p>" + "".join(_hit(h) for h in hits)
    nav = []
    args = {"q": query, **({"lang": lang} if lang else {})}
    if page_no > 1:
        nav.append(f"<a href='/search?{e(urlencode({**args, 'page': page_no - 1}))}'>previous</a>")
    if result["offset"] + len(hits) < total:
        nav.append(f"<a href='/search?{e(urlencode({**args, 'page': page_no + 1}))}'>next</a>")
    return page(f"Search: {query}", body + f"<p>{' · '.join(nav)}</p>", query)


def document_page(doc: dict[str, Any], refs: dict[str, Any]) -> bytes:
    from monitor.search.lookup import document_fields, side_by_side

    other = "zh" if doc.get("language") == "en" else "en"
    title = doc.get("title") or "(no title)"
    parts = [f"<h1>{e(title)}</h1>"]
    if doc.get(f"title_{other}"):
        parts.append(f"<p class=en>{e(doc[f'title_{other}'])}</p>")
    if refs.get("repealed_by"):
        first = refs["repealed_by"][0]
        parts.append(f"<p class=repealed>Repealed by <a href='/doc/{quote(first['id'], safe='')}'>"
                     f"{e(first.get('doc_number') or first.get('title'))}</a></p>")  # fmt: skip
    rows = []
    for label, value in document_fields(doc):
        shown = e(value)
        if label in ("url", "fetched from") and (link := web_link(str(value))):
            shown = f"<a href='{e(link)}' rel='noreferrer noopener'>{e(value)}</a>"
        rows.append(f"<tr><td class=meta>{e(label)}</td><td>{shown}</td></tr>")
    parts.append(f"<table>{''.join(rows)}</table>")
    for original, translated in side_by_side(doc.get("text"), doc.get(f"text_{other}")):
        en = f"<div class=en>{e(translated)}</div>" if translated else ""
        parts.append(f"<div class=para><div>{e(original)}</div>{en}</div>")
    for n, attachment in enumerate(doc.get("attachments") or [], 1):
        name = attachment.get("name") or attachment.get("url")
        parts.append(f"<h2>Attachment {n}: {e(name)}</h2>")
        if attachment.get("error"):
            parts.append(f"<p class=meta>not read: {e(attachment['error'])}</p>")
        for paragraph in (attachment.get("text") or "").split("\n"):
            if paragraph.strip():
                parts.append(f"<div class=para>{e(paragraph)}</div>")
    parts.append(_references(refs))
    return page(title, "".join(parts))


def _references(refs: dict[str, Any]) -> str:
    parts = []
    if refs.get("cites"):
        parts.append(f"<h2>Cites ({len(refs['cites'])})</h2><ul>")
        for ref in refs["cites"]:
            found = ref.get("document")
            target = (f" → <a href='/doc/{quote(found['id'], safe='')}'>{e(found['title'])}</a>"
                      if found else " <span class=meta>(not stored)</span>")  # fmt: skip
            parts.append(f"<li>{e(ref['kind'])} {e(ref.get('number'))}{target}</li>")
        parts.append("</ul>")
    if refs.get("cited_by"):
        parts.append(f"<h2>Cited by ({len(refs['cited_by'])})</h2><ul>")
        for doc in refs["cited_by"]:
            parts.append(f"<li>{e(doc['kind'])} <a href='/doc/{quote(doc['id'], safe='')}'>"
                         f"{e(doc['title'])}</a></li>")  # fmt: skip
        parts.append("</ul>")
    return "".join(parts)


def error_page(status: int, message: str) -> bytes:
    return page(f"{status}", f"<h1>{status}</h1><p>{e(message)}</p>")
