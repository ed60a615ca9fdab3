"""URL canonicalisation and document identity: one canonical URL, one document."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that track the visitor, not the document (analytics, share buttons, CMS spm).
TRACKING_PARAMS = {
    "spm",
    "from",
    "share",
    "share_token",
    "fbclid",
    "gclid",
    "mc_cid",
    "mc_eid",
    "ref",
}

# the paths of a site's home page (a link home, a redirect of a withdrawn page to it)
HOME_FILES = ("index.html", "index.htm", "index.shtml", "index.php", "default.htm")
HOME_PATHS = {"", "/", *(f"/{name}" for name in HOME_FILES)}


def canonicalize(url: str) -> str:
    """Lower-case scheme and host; no default port, fragment or tracking params; sorted query."""
    parts = urlsplit(canonicalize_url(url.strip(), keep_fragments=False))
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith("utm_")
    ]
    host = (parts.hostname or "").lower().rstrip(".")
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    netloc = host if parts.port in (None, default_port) else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", urlencode(query), ""))


MAX_URL_LENGTH = 2083  # what browsers and Scrapy's UrlLengthMiddleware accept
FETCHABLE_SCHEMES = ("http", "https")


def site_host(host: str) -> str:
    """A host name, lower-cased, without a trailing dot or a leading `www.`."""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def site_domain(url: str) -> str:
    """A URL's host, lower-cased, without a leading `www.`."""
    return site_host(urlsplit(url).hostname or "")


def url_problem(url: str) -> str | None:
    """Why a link cannot be fetched ('scheme', 'url_too_long', 'no_host', 'malformed'), or None.

    Pages link to tel:, mailto:, javascript: and data: URLs, and hostile ones to file: or
    gopher:; only http(s) URLs with a host are ever requested.
    """
    if len(url) > MAX_URL_LENGTH:
        return "url_too_long"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError:
        return "malformed"
    if parts.scheme.lower() not in FETCHABLE_SCHEMES:
        return "scheme"
    if not parts.hostname:
        return "no_host"
    return None


def choose_canonical(fetched_url: str, declared: str | None) -> str:
    """The page's declared canonical URL when it is trustworthy, else the fetched URL.

    A declared canonical must stay on the same site and must not point a deeper page at the
    site's root (a common CMS misconfiguration that would fold every article into one).
    """
    fetched = canonicalize(fetched_url)
    if not declared:
        return fetched
    try:
        candidate = canonicalize(declared)
    except ValueError:
        return fetched
    c, f = urlsplit(candidate), urlsplit(fetched)
    if c.scheme not in ("http", "https") or site_host(c.hostname or "") != site_host(
        f.hostname or ""
    ):
        return fetched
    if c.path in ("", "/") and f.path not in ("", "/"):
        return fetched
    return candidate


def document_id(canonical_url: str) -> str:
    """The Elasticsearch _id of a document: a hash of its canonical URL (stable across crawls)."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()
