"""One page in, one analysed document out: decoding, extraction, language, identity, hash.

The crawl's extraction stage and `monitor extract` both call `analyse_page`, so what the CLI shows
is what the pipeline indexes. It runs in worker processes: plain arguments, a plain dict back.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import warnings
from itertools import islice
from typing import Any

from lxml import html as lxml_html
from trafilatura.utils import load_html

from monitor.text.article.extract import extract
from monitor.text.article.pagekind import not_an_article
from monitor.text.documents import document_format, extract_document
from monitor.text.encoding import decode_html
from monitor.text.govdoc import policy_metadata
from monitor.text.language import detect, warm_up
from monitor.text.limits import PageRejected
from monitor.text.stories import signature
from monitor.text.urls import choose_canonical, document_id

PARAGRAPH_CHARS = 30  # shorter lines are headlines, bylines, editor notes: not part of the hash
_LINK = re.compile(rb"<a[\s>]", re.IGNORECASE)
_TAG = re.compile(rb"<[a-zA-Z!/?]")


def content_hash(text: str, title: str | None = None) -> str:
    """Hash of the article's paragraphs, normalised (NFKC, case-folded, no white space).

    Reprints keep the paragraphs but change the headline, byline and editor's note, so only
    paragraph-length lines other than the title count (all lines when none is that long).
    """
    lines = [line for line in text.splitlines() if line.strip() != (title or "").strip()]
    paragraphs = [line for line in lines if len(line.strip()) >= PARAGRAPH_CHARS] or lines
    normalised = "".join(unicodedata.normalize("NFKC", "".join(paragraphs)).casefold().split())
    return hashlib.sha1(normalised.encode("utf-8")).hexdigest()


def analyse_page(
    body: bytes,
    url: str,
    *,
    content_type: str | None = None,
    encoding: str | None = None,
    language_hint: str | None = None,
    max_pages: int = 300,
    max_links: int = 5000,
    max_text_chars: int = 300_000,
) -> dict[str, Any]:
    """Raises PageRejected for a page that is a link farm, not an article (over `max_links`
    links): parsing one costs a worker a minute and a gigabyte, and its "text" is link text."""
    kind = document_format(body, content_type, url)
    if kind is not None:
        return analyse_file(
            body, url, content_type=content_type, language_hint=language_hint, max_pages=max_pages
        )
    links = sum(1 for _ in islice(_LINK.finditer(body), max_links + 1))
    if links > max_links:
        raise PageRejected("link_farm", f"more than {max_links} links ({len(body)} bytes)")
    decoded = decode_html(body, content_type, encoding)
    tree, shared = _tree(decoded.text)
    found = extract(decoded.text, url, tree, shared=shared)
    if not found.text and not _TAG.search(body[:65536]):
        found.method = "unparsable"  # no markup at all: binary or garbage, not an empty article
    truncated = len(found.text) > max_text_chars
    if truncated:
        found.text = found.text[:max_text_chars]
    language = detect(found.title, found.text, language_hint)
    canonical = choose_canonical(url, found.canonical_url)
    not_article = not_an_article(
        tree, found.title, found.found_text, found.method, found.links, url=url
    )
    return {
        "id": document_id(canonical),
        "canonical_url": canonical,
        "title": found.title,
        "text": found.text,
        "description": found.description,
        "published_at": found.published_at,
        "authors": found.authors,
        "editors": found.editors,
        "site": found.site,
        "tags": found.tags,
        "language": language.language,
        "language_score": language.score,
        "language_method": language.method,
        "content_hash": content_hash(found.text, found.title) if found.text else None,
        "extraction": {
            "method": found.method,
            "encoding": decoded.encoding,
            "chars": len(found.text),
            "truncated": truncated,
        },
        "encoding_lossy": decoded.lossy,
        "declared_encoding": decoded.declared,
        "policy": policy_metadata(decoded.text, tree if shared else None) or None,
        "document": None,
        "not_article": not_article,  # why the page is not an article (article/pagekind.py)
        # MinHash and LSH keys of the text: reprints meet under one story_id (text/stories.py)
        "story": signature(found.text) if found.text and not not_article else None,
    }


def _tree(html: str) -> tuple[Any, bool]:
    """(the page parsed once, whether it is the tree trafilatura would parse). trafilatura's own
    loader first (its repairs, no comments or processing instructions): every reader of the page
    gets this one parse, trafilatura a copy (it prunes what it reads). A page it refuses as not
    HTML is parsed plainly for our rules, and trafilatura gets the text, as before."""
    if not html.strip():
        return None, False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = load_html(html)
        except (TypeError, ValueError, lxml_html.etree.ParserError):
            tree = None
    if tree is not None:
        return tree, True
    try:
        return lxml_html.fromstring(html), False
    except (ValueError, lxml_html.etree.ParserError):
        return None, False


def analyse_file(
    body: bytes,
    url: str,
    *,
    content_type: str | None = None,
    language_hint: str | None = None,
    max_pages: int = 300,
) -> dict[str, Any]:
    """The same shape as analyse_page, for a PDF or DOCX fetched as the document itself (a filing,
    a policy PDF linked from a listing). A scan or an unreadable file keeps its entry, flagged in
    `document`, with the body's hash as content hash: its title and metadata are still worth it."""
    found = extract_document(body, url, content_type, max_pages)
    text = found["text"]
    language = detect(found["title"], text, language_hint)
    canonical = choose_canonical(url, None)
    first_line = next((line for line in text.splitlines() if line.strip()), "")[:120]
    return {
        "id": document_id(canonical),
        "canonical_url": canonical,
        "title": found["title"],
        "fallback_title": first_line or None,
        "text": text,
        "description": None,
        "published_at": None,
        "authors": [],
        "editors": [],
        "site": None,
        "tags": [],
        "language": language.language,
        "language_score": language.score,
        "language_method": language.method,
        "content_hash": content_hash(text) if text else hashlib.sha1(body).hexdigest(),
        "extraction": {"method": found["format"], "encoding": None, "chars": len(text)},
        "encoding_lossy": False,
        "declared_encoding": None,
        "policy": None,
        "document": {k: found[k] for k in ("format", "pages", "scanned", "truncated", "error")},
    }


def init_worker() -> None:
    """Initialiser for extraction worker processes: load the language profiles once."""
    warm_up()
