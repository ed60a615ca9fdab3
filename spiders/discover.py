"""`monitor sources discover URL`: source entries proposed for a site's page, best first, each
with why it was chosen.

From the page the user gives (a home page, a section, a column), in a few requests:
- **feeds** the page links to (`<link rel="alternate">` RSS, Atom, JSON Feed), else the common
  paths (/feed, /rss.xml, /atom.xml, /feed.xml, /index.xml), each read as the feed spider reads
  it (entries counted);
- **sitemaps**: robots.txt's `Sitemap:` lines, else /sitemap.xml and /sitemap_index.xml; a news
  sitemap (Google News extension) is preferred, an index is followed to its news sitemap;
- **the page as a listing**: the repeated block of article links (links in one container that
  share a path shape and carry titles and dates, outside navigation, headers, footers and side
  rails), as a CSS selector checked against the page; its pager (a next link, a
  createPageHTML(...) pager, a list built by script of the kinds spiders/shells.py reads), else
  `pages: none`; or "needs `render: true`" when the page has no list and scripts draw it;
- for the best listing or feed: one sample article, read by the pipeline's extraction, gives the
  language, the encoding and the kind (a page with a policy's labelled fields is `policy`).

Every request goes through the same checks as a crawl's (monitor.crawl.guard: http(s) only, no
private or link-local address unless allowed, redirects checked too), obeys robots.txt, is
capped in size and count, and waits `delay` seconds between requests to a host.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from scrapy.http import TextResponse
from scrapy.utils.gz import gunzip, gzip_magic_number

from monitor.text.urls import site_host
from spiders.fetching import MAX_BYTES, Fetcher, FetchError

COMMON_FEEDS = ("/feed", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml")
COMMON_SITEMAPS = ("/sitemap.xml", "/sitemap_index.xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
MIN_LINKS = 4  # links in a block for it to be a list of articles
# containers that are page furniture, by tag or by a word of their class or id
_CHROME_TAGS = {"nav", "header", "footer", "aside"}
_CHROME = re.compile(
    r"(?:^|[-_ ])(?:nav|navbar|menu|footer|foot|header|head|top|breadcrumbs?|crumbs?|sidebar|"
    r"side|aside|rail|related|hot|rank|ranking|share|pager|pages?|pagination|copyright|links|"
    r"friend|tags?|toolbar|login|banner)(?:$|[-_ 0-9])",
    re.IGNORECASE,
)
_ITEM_TAGS = {"li", "tr", "dd", "dt", "article"}
_DATE = re.compile(r"(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}(?:\s*[-/.月]\s*\d{1,2})?")
_NEXT_TEXT = re.compile(
    r"^\s*(?:下一页|下页|后一页|next(?: page)?|older(?: posts)?|›|»|>)\s*[›»>]?\s*$", re.IGNORECASE
)
_CREATE_PAGE = re.compile(r"createPageHTML\s*\(")
_HAN = re.compile(r"[\u4e00-\u9fff]")


# --- proposals ----------------------------------------------------------------------------------


@dataclass
class Proposal:
    entry: dict[str, Any]  # the source entry, as sources.yaml has it
    why: list[str]
    score: float
    sample: dict[str, Any] | None = None  # what the sample article gave

    def as_dict(self) -> dict[str, Any]:
        return {"entry": self.entry, "why": self.why, "score": round(self.score, 3),
                "sample": self.sample}  # fmt: skip


@dataclass
class Block:
    """A container's links: the candidates for a listing's `links:` selector."""

    selector: str
    links: list[tuple[str, str]]  # (absolute URL, text)
    dated: int  # items with a date beside the link
    titled: int  # links with a headline's length
    shape_share: float  # links sharing the commonest path shape
    chrome: bool

    @property
    def score(self) -> float:
        n = len(self.links)
        quality = 0.4 * self.titled / n + 0.3 * self.dated / n + 0.3 * self.shape_share
        return n * quality * (0.1 if self.chrome else 1.0)


def _words(element: Any) -> str:
    return " ".join(f"{element.tag} {element.get('class') or ''} {element.get('id') or ''}".split())


def _is_chrome(element: Any) -> bool:
    for node in (element, *element.iterancestors()):
        if not isinstance(node.tag, str):
            continue
        if node.tag in _CHROME_TAGS or _CHROME.search(
            f"{node.get('class') or ''} {node.get('id') or ''}"
        ):
            return True
    return False


def _shape(url: str) -> str:
    """A URL's path with digits and the last segment's name generalised: /a/2024/05/x1.html →
    /a/9/9/*.html."""
    path = urlsplit(url).path
    head, _, last = path.rpartition("/")
    extension = last.rpartition(".")[2] if "." in last else ""
    return re.sub(r"\d+", "9", head) + "/*" + (f".{extension}" if extension else "")


def _headline(text: str) -> bool:
    return len(_HAN.findall(text)) >= 6 or len(text.split()) >= 4


def _css_of(element: Any) -> str:
    """A CSS step for the element: tag#id, tag.class (its first class that is a word), or tag."""
    if element.get("id") and re.fullmatch(r"[A-Za-z][\w-]*", element.get("id")):
        return f"{element.tag}#{element.get('id')}"
    for name in (element.get("class") or "").split():
        if re.fullmatch(r"[A-Za-z][\w-]*", name):
            return f"{element.tag}.{name}"
    return element.tag


def _selector(container: Any, item_tag: str | None, root: Any) -> str:
    """The shortest selector from the container's own step up its ancestors that matches only
    it, followed by the items' links."""
    steps: list[str] = []
    node = container
    while node is not None and isinstance(node.tag, str) and node.tag not in ("html", "body"):
        steps.insert(0, _css_of(node))
        path = " ".join(steps)
        if len(root.cssselect(path)) == 1:
            break
        node = node.getparent()
    tail = f"{item_tag} a" if item_tag else "a"
    return f"{' '.join(steps)} {tail}".strip()


def link_blocks(html: str, page_url: str) -> list[Block]:
    """The page's containers of links to the same site, as candidate listings, best first."""
    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    host = site_host(urlsplit(page_url).hostname or "")
    groups: dict[Any, list[tuple[Any, str, str]]] = {}
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = urljoin(page_url, href)
        if site_host(urlsplit(url).hostname or "") != host or url.split("#")[0] == page_url:
            continue
        item = next((n for n in anchor.iterancestors() if n.tag in _ITEM_TAGS), None)
        container = item.getparent() if item is not None else anchor.getparent()
        if container is None:
            continue
        text = " ".join((anchor.get("title") or anchor.text_content()).split())
        context = " ".join((item if item is not None else anchor).text_content().split())
        groups.setdefault(container, []).append((item, url, text + "\u0000" + context))
    blocks = []
    for container, members in groups.items():
        urls = list(dict.fromkeys(url for _, url, _ in members))
        if len(urls) < MIN_LINKS:
            continue
        texts = {url: blob.split("\u0000") for _, url, blob in members}
        shapes = Counter(_shape(u) for u in urls)
        item_tags = Counter(item.tag for item, _, _ in members if item is not None)
        item_tag = item_tags.most_common(1)[0][0] if item_tags else None
        selector = _selector(container, item_tag, root)
        blocks.append(
            Block(
                selector=selector,
                links=[(u, texts[u][0]) for u in urls],
                dated=sum(1 for u in urls if _DATE.search(texts[u][1])),
                titled=sum(1 for u in urls if _headline(texts[u][0])),
                shape_share=shapes.most_common(1)[0][1] / len(urls),
                chrome=_is_chrome(container),
            )
        )
    return sorted(blocks, key=lambda b: b.score, reverse=True)


def next_selector(html: str, page_url: str) -> str | None:
    """A selector of the page's next-page link(s): rel=next, or a link reading 下一页 / Next."""
    root = lxml.html.fromstring(html)
    if root.cssselect("a[rel~=next]"):
        return "a[rel~=next]"
    for anchor in root.iter("a"):
        if not _NEXT_TEXT.match(anchor.text_content() or "") or not anchor.get("href"):
            continue
        if urljoin(page_url, anchor.get("href")).split("#")[0] == page_url:
            continue
        own = _css_of(anchor)
        if own != "a" and len(root.cssselect(own)) <= 2:
            return own
        parent = anchor.getparent()
        if parent is not None:
            return _selector(parent, None, root)
    return None


_DATED = re.compile(r"^(?:\d+|\d{4}[-_]?\d{2}(?:[-_]?\d{2})?|t?\d{6,8})$")


def _common_prefix(urls: list[str]) -> str | None:
    """The directory every URL is under (at least one segment), as an `allow` pattern; it stops
    before a dated directory (/2024/05/, /202403/): next month's articles are under another."""
    paths = [urlsplit(u).path.rsplit("/", 1)[0].split("/") for u in urls]
    common: list[str] = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) != 1 or _DATED.match(parts[0]):
            break
        common.append(parts[0])
    prefix = "/".join(common).strip("/")
    return f"/{prefix}/" if prefix else None


def source_id(url: str, taken: set[str]) -> str:
    """An id from the site's name and the page's section, unique among `taken`."""
    parts = urlsplit(url)
    host = site_host(parts.hostname or "")
    if re.fullmatch(r"[\d.]+|\[.*\]", host):
        base = ""
    else:
        labels = [x for x in host.split(".") if x not in ("www", "com", "cn", "org", "gov", "net")]
        base = labels[0] if labels else host.split(".")[0]
    section = [p for p in parts.path.split("/") if p and "." not in p][-2:]
    name = "-".join(x for x in [base, *section] if x) or "site"
    name = re.sub(r"[^a-z0-9_.-]+", "-", name.lower()).strip("-")[:56] or "site"
    found, n = name, 2
    while found in taken:
        found, n = f"{name}-{n}", n + 1
    taken.add(found)
    return found


def _language(texts: list[str]) -> str | None:
    from monitor.text.language import detect

    sample = "\n".join(texts)[:2000]
    return detect(None, sample).language if sample.strip() else None


def sample_article(fetcher: Fetcher, url: str) -> dict[str, Any] | None:
    """What the pipeline's extraction reads from one article (spiders.check.article_facts), or
    None when it cannot be fetched."""
    from spiders.check import article_facts

    answer = fetcher.get_or_none(url)
    return None if answer is None else article_facts(answer)


def _facts(entry: dict[str, Any], why: list[str], sample: dict[str, Any] | None) -> None:
    """The sample article's language, encoding and kind, into the entry."""
    if not sample:
        return
    why.append(
        f"a sample article ({sample['url']}): {sample['title']!r}, {sample['chars']} characters,"
        f" {sample['language'] or 'language unknown'}"
    )
    if sample["language"] in ("zh", "en"):
        entry["language"] = sample["language"]
    encoding = (sample["encoding"] or "").lower()
    if encoding and encoding.replace("-", "") not in ("utf8", "ascii"):
        entry["encoding"] = encoding
        why.append(f"pages decoded as {encoding}")
    if sample["policy"]:
        entry["doc_type"] = "policy"
        why.append("the article has a policy document's labelled fields (发文机关, 文号, ...)")


def _listing(page: TextResponse, fetcher: Fetcher, taken: set[str]) -> Proposal | None:
    """The page as a listing source: its best block of article links and its pager; a list
    its script builds; or, with neither, one to render."""
    from spiders.shells import find_shell

    html, url = page.text, page.url
    blocks = [b for b in link_blocks(html, url) if not b.chrome]
    shell = find_shell(html, url)
    entry: dict[str, Any] = {"id": "", "type": "listing", "urls": url}
    why: list[str] = []
    if shell is not None:
        links, score = _shell_links(shell, html, url, fetcher, entry, why)
    elif blocks:
        links, score = _block_links(blocks, html, url, entry, why)
    else:
        return _to_render(html, url, entry, why, taken)
    entry["id"] = source_id(url, taken)
    allow = _common_prefix(links) if links else None
    if allow:
        entry["allow"] = allow
    sample = sample_article(fetcher, links[0]) if links else None
    if sample is None and page.encoding and "utf" not in page.encoding.lower():
        entry["encoding"] = page.encoding.lower()
    if sample is None and links:
        entry["language"] = _language([t for b in blocks[:1] for _, t in b.links]) or "zh"
    _facts(entry, why, sample)
    return Proposal(entry, why, score, sample)


def _shell_links(
    shell: Any, html: str, url: str, fetcher: Fetcher, entry: dict[str, Any], why: list[str]
) -> tuple[list[str], float]:
    """A list the page's script builds (spiders/shells.py): `pages: auto` reads it; the links
    of its first page (those the page carries, else its endpoint's first answer)."""
    # the spider reads the shell when `links:` finds nothing on the page itself
    entry |= {"links": "ul li a", "pages": "auto"}
    if lxml.html.fromstring(html).cssselect("ul li a"):
        why.append(
            "warning: 'ul li a' also matches links on the page itself, so the spider would not "
            "read the shell: narrow `links:` to what the page does not have"
        )
    why.append(f"the list is built by script ({shell.kind}: {shell.base}): read where the "
               "page's script reads it, page after page")  # fmt: skip
    links = [urljoin(url, h) for h, _, _ in shell.preloaded]
    endpoint = shell.endpoint(shell.first_page)
    if not links and endpoint.method == "GET":
        answer = fetcher.get_or_none(endpoint.url)
        if isinstance(answer, TextResponse):
            try:
                links = [urljoin(url, h) for h, _, _ in shell.read(answer.text).links]
            except Exception:  # noqa: BLE001  (an unreadable answer: no links, said below)
                links = []
    why.append(f"{len(links)} article links on its first page")
    return links, 0.8 if links else 0.3


def _block_links(
    blocks: list[Block], html: str, url: str, entry: dict[str, Any], why: list[str]
) -> tuple[list[str], float]:
    """The best block's selector and links, and the page's pager."""
    best = blocks[0]
    links = [u for u, _ in best.links]
    entry["links"] = best.selector
    n = len(links)
    why.append(
        f"{n} article links in {best.selector!r} ({best.titled} with a headline's length, "
        f"{best.dated} dated, {best.shape_share:.0%} with one URL shape)"
    )
    if len(blocks) > 1:
        others = ", ".join(f"{b.selector!r} ({len(b.links)})" for b in blocks[1:3])
        why.append(f"not taken: {others}")
    if _CREATE_PAGE.search(html):
        entry["pages"] = "auto"
        why.append("pager: createPageHTML(...) (read by `pages: auto`)")
    elif nxt := next_selector(html, url):
        entry["next"] = nxt
        why.append(f"pager: next link {nxt!r}")
    else:
        entry["pages"] = "none"
        why.append("no pager found: only this page is read")
    return links, 0.5 + 0.5 * min(1.0, n / 10) * (0.5 + 0.5 * best.dated / n)


def _to_render(
    html: str, url: str, entry: dict[str, Any], why: list[str], taken: set[str]
) -> Proposal | None:
    """No list in the HTML: drawn by the page's scripts (rendered), or no listing at all."""
    scripts = len(lxml.html.fromstring(html).findall(".//script")) if html.strip() else 0
    if not scripts:
        return None
    entry |= {"id": source_id(url, taken), "links": "a", "pages": "none", "render": True}
    why.append(
        f"no list of article links in the page's HTML, and {scripts} scripts: it is drawn by "
        "script, so it needs `render: true` (headless Chromium); `monitor sources check` it, "
        "and narrow `links:` to the list's container"
    )
    return Proposal(entry, why, 0.2)


def _feeds(
    page: TextResponse | None, url: str, fetcher: Fetcher, taken: set[str], given: bool = False
) -> list[Proposal]:
    """Feeds the page links to (or the page itself, `given`), else those at common paths."""
    from spiders.feed import feed_entries

    linked: list[str] = [url] if given else []
    if page is not None and not given:
        root = lxml.html.fromstring(page.text) if page.text.strip() else None
        for link in root.iter("link") if root is not None else ():
            kind = (link.get("type") or "").lower()
            if "alternate" in (link.get("rel") or "").lower() and kind in FEED_TYPES:
                linked.append(urljoin(page.url, link.get("href") or ""))
    found = []
    candidates = [(u, True) for u in dict.fromkeys(linked)]
    if not candidates:
        candidates = [(base + path, False) for base in _bases(url) for path in COMMON_FEEDS]
    for feed_url, was_linked in candidates[: 2 * len(COMMON_FEEDS)]:
        answer = fetcher.get_or_none(feed_url)
        if answer is None:
            continue
        try:
            entries = [link for link, _ in feed_entries(answer) if link]
        except Exception:  # noqa: BLE001  (not a feed after all)
            entries = []
        if not entries:
            continue
        how = "linked from the page" if was_linked else "at a common path"
        why = [f"{'the feed given' if given else how}: {len(entries)} entries"]
        entry = {"id": source_id(feed_url, taken), "type": "feed", "urls": answer.url}
        sample = sample_article(fetcher, urljoin(answer.url, entries[0]))
        _facts(entry, why, sample)
        found.append(Proposal(entry, why, (0.9 if was_linked else 0.6), sample))
        break  # one feed: the first linked, or the first at a common path
    return found


def _sitemaps(url: str, fetcher: Fetcher, taken: set[str]) -> list[Proposal]:
    from spiders.sitemap import sitemap_entries

    listed = fetcher.sitemaps_in_robots(url)
    candidates = listed or [base + path for base in _bases(url) for path in COMMON_SITEMAPS]
    for sitemap_url in candidates[:4]:
        answer = fetcher.get_or_none(sitemap_url)
        if answer is None:
            continue
        body = gunzip(answer.body, max_size=MAX_BYTES) if gzip_magic_number(answer) else answer.body
        kind, entries = sitemap_entries(body)
        news = b"sitemap-news" in body or b"/schemas/sitemap-news/" in body
        if kind == "sitemapindex" and entries:
            # an index: its news sitemap when it has one
            named = [loc for loc, _ in entries if "news" in loc.lower()] or [entries[0][0]]
            child = fetcher.get_or_none(named[0])
            if child is not None:
                child_body = (gunzip(child.body, max_size=MAX_BYTES)
                              if gzip_magic_number(child) else child.body)  # fmt: skip
                child_kind, child_entries = sitemap_entries(child_body)
                if child_kind == "urlset" and child_entries:
                    answer, entries, kind = child, child_entries, child_kind
                    news = b"/schemas/sitemap-news/" in child_body
        if kind != "urlset" or not entries:
            continue
        where = "listed in robots.txt" if listed else "at a common path"
        why = [f"{'news sitemap' if news else 'sitemap'} {where}: {len(entries)} URLs"]
        entry: dict[str, Any] = {"id": source_id(answer.url, taken), "type": "sitemap",
                                 "urls": answer.url}  # fmt: skip
        allow = _common_prefix([loc for loc, _ in entries])
        if allow:
            entry["allow"] = allow
        sample = sample_article(fetcher, entries[0][0])
        _facts(entry, why, sample)
        return [Proposal(entry, why, 0.7 if news else 0.4, sample)]
    return []


def _bases(url: str) -> list[str]:
    """Where common feed and sitemap paths are tried: the site's root, and the page's first
    directory (a site of several publications: /ennews/atom.xml)."""
    parts = urlsplit(url)
    root = f"{parts.scheme}://{parts.netloc}"
    first = parts.path.strip("/").split("/")[0] if parts.path.count("/") > 1 else ""
    return [root] + ([f"{root}/{first}"] if first else [])


def discover(url: str, fetcher: Fetcher, taken: set[str] | None = None) -> list[Proposal]:
    """Proposals for the site of `url`, best first (FetchError when the page itself cannot be
    fetched)."""
    taken = set() if taken is None else taken
    fetcher.requests = 0  # the budget is per discovery
    page = fetcher.get(url)
    if not isinstance(page, TextResponse):
        raise FetchError(f"{url} is not a text page")
    if page.url != url:
        url = page.url
    body = page.body.lstrip()[:200].lower()
    proposals: list[Proposal] = []
    if b"<rss" in body or b"<feed" in body or b"<rdf" in body:
        proposals += _feeds(page, url, fetcher, taken, given=True)
    elif not body.startswith(b"<?xml"):
        listing = _listing(page, fetcher, taken)
        if listing is not None:
            proposals.append(listing)
        proposals += _feeds(page, url, fetcher, taken)
    with contextlib.suppress(FetchError):
        proposals += _sitemaps(url, fetcher, taken)
    return sorted(proposals, key=lambda p: p.score, reverse=True)


def as_yaml(proposal: Proposal, found_at: str) -> str:
    """The entry as sources.yaml lines, with comments saying what was detected."""
    import yaml

    lines = [f"  # discovered from {found_at}:"]
    lines += [f"  #   {reason}" for reason in proposal.why]
    dumped = yaml.safe_dump([proposal.entry], allow_unicode=True, sort_keys=False, width=100)
    lines += ["  " + line for line in dumped.rstrip("\n").splitlines()]
    return "\n".join(lines) + "\n"
