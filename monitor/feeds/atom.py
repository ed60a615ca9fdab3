"""A feed as an Atom document (RFC 4287), written with ElementTree (feedgen 1.0.0, the library
for it, drops the `rel` and `type` of an entry's links: its atom_entry names the element it makes
`link`, as the link it reads; two links would both become `alternate`).

Each entry: its id (`urn:news-monitor:<prefix>:doc:<document id>`: the same document is the same
entry in every feed, whichever reader sees it twice), its title (and the translated title), the
original page as its `alternate` link (http(s) only), the document view of `monitor serve` as a
`related` link when served, `updated` when it entered the feed (first stored, or the alert
raised), `published` as the page dates it, its source as author, type and language as categories,
and a summary: the snippet with the matched words in bold, its translation, the reprints.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timezone
from urllib.parse import quote

from monitor import __version__
from monitor.feeds.entries import Entry, Feed

GENERATOR = "news-monitor"
ATOM = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def marked(fragment: str, tag: str = "mark") -> str:
    """A search snippet as safe HTML: everything escaped, its <em> matches as `tag`."""
    escaped = html.escape(fragment or "", quote=False)
    return escaped.replace("&lt;em&gt;", f"<{tag}>").replace("&lt;/em&gt;", f"</{tag}>")


def plain(fragment: str) -> str:
    return (fragment or "").replace("<em>", "").replace("</em>", "")


def web_link(url: str | None) -> str | None:
    """A link a reader may follow: http(s) only (a stored URL came from a page)."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


def _summary(entry: Entry) -> str:
    parts = []
    if entry.summary:
        parts.append(f"<p>{marked(entry.summary, 'b')}</p>")
    if entry.summary_en:
        parts.append(f"<p><i>{marked(entry.summary_en, 'b')}</i></p>")
    facts = [entry.source_id, entry.doc_type, entry.doc_number, entry.issuer, entry.company]
    facts = [html.escape(str(f)) for f in facts if f]
    if facts:
        parts.append(f"<p>{' · '.join(facts)}</p>")
    if entry.also_in:
        parts.append(f"<p>Also in: {html.escape(', '.join(entry.also_in))}</p>")
    if entry.matched:
        parts.append(f"<p>Matched: {html.escape(', '.join(entry.matched))}</p>")
    return "".join(parts)


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    element.text = text
    return element


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def atom(
    feed: Feed,
    entries: list[Entry],
    prefix: str,
    self_url: str | None = None,
    doc_url: Callable[[str], str] | None = None,
) -> bytes:
    """The Atom document of `feed` with `entries` (newest first)."""
    root = ET.Element("feed", {"xmlns": ATOM})
    _text(root, "id", f"urn:news-monitor:{prefix}:feed:{quote(feed.key, safe=':')}")
    _text(root, "title", feed.title)
    _text(root, "subtitle", feed.description or feed.key)
    newest = max((w for e in entries if (w := _when(e.updated))), default=None)
    _text(root, "updated", _stamp(newest or datetime.now(timezone.utc)))
    author = ET.SubElement(root, "author")
    _text(author, "name", GENERATOR)
    _text(root, "generator", GENERATOR, version=__version__)
    if self_url:
        ET.SubElement(root, "link", {"rel": "self", "href": self_url, "type": ATOM_TYPE})
    for entry in entries:
        item = ET.SubElement(root, "entry")
        _text(item, "id", f"urn:news-monitor:{prefix}:doc:{quote(entry.doc_id, safe='')}")
        title = entry.title
        if entry.title_en and entry.title_en != entry.title:
            title = f"{entry.title} — {entry.title_en}"
        _text(item, "title", title)
        if link := web_link(entry.url):
            ET.SubElement(item, "link", {"rel": "alternate", "href": link})
        if doc_url is not None:
            attrs = {"rel": "related", "href": doc_url(entry.doc_id), "type": "text/html"}
            ET.SubElement(item, "link", attrs)
        _text(item, "updated", _stamp(_when(entry.updated) or datetime.now(timezone.utc)))
        if published := _when(entry.published):
            _text(item, "published", _stamp(published))
        if entry.source_id:
            _text(ET.SubElement(item, "author"), "name", entry.source_id)
        for term in (entry.doc_type, entry.language):
            if term:
                ET.SubElement(item, "category", {"term": term})
        _text(item, "summary", _summary(entry), type="html")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
