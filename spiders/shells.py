"""Lists that a page's own script builds: the shells of Chinese government CMSs, read where the
browser reads them.

A column page of these sites carries no list in its HTML. Its script asks an endpoint of the same
site for the list and writes the answer into the page. A `listing` source needs nothing new for
them: when the page's `links:` selector finds nothing, the page is checked for a shell it knows,
and the shell's endpoint is called as the page's own script would call it. What was found, and
where it came from (docs/real-sites.md):

- `jpaas` (Hanweb's JPaaS publishing platform: MIIT, MOFCOM, SAMR, MOHURD, Zhejiang and many
  city sites). The page holds `<script src=".../unitbuild.js" url="/api-gateway/jpaas-publish-
  server/front/page/build/unit" queryData="{'webId':..,'pageId':..,'tplSetId':..,...}">`; the
  script GETs `url` with queryData's keys as query parameters, and the answer is JSON,
  `{"success": true, "data": {"html": "<ul><li><a href title>..</a><span>2024-..</span></li>.."}}`.
  Later pages: the same parameters and `paramJson={"pageNo": N, "pageSize": S}`.
- `jpage` (Hanweb's older JCMS "jpage" data proxy: Jiangsu, Jiangxi, Shandong, ...). The page
  holds the first records itself in `<script type="text/xml"><datastore><nextgroup>
  <![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=..&columnid=..&unitid=..">
  ]]></nextgroup><recordset><record><![CDATA[<li>..</li>]]></record>..</recordset>`, and its
  script POSTs the unit's parameters (col, appid, webid, path, columnid, sourceContentType,
  unitid, webname, permissiontype) to `dataproxy.jsp?startrecord=A&endrecord=B&perpage=P` for
  the next records; the answer is the same XML, with `<totalrecord>` (and `<totalpage>`).

Everything here is pure: a page's text in, request descriptions and links out (the spider does
the fetching). Attribute values, JSON and XML are read with bounded parsers; a shell found but
unreadable is reported, never raised.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from parsel import Selector

from monitor.distributed.wire import register
from monitor.text.dates import parse_date

MAX_SHELL_PAGES = 50  # endpoint pages read per shell and crawl (like pages: auto)
MAX_QUERY_CHARS = 4000  # a queryData attribute longer than this is not a configuration
MAX_FRAGMENT_CHARS = 2_000_000  # an endpoint's HTML or XML answer read at most this far
JPAAS_PATH = "/api-gateway/jpaas-publish-server/front/page/build/unit"
JPAGE_PATH = "/module/web/jpage/dataproxy.jsp"
# the unit parameters the jpage script posts (they come from the page, never from us)
JPAGE_KEYS = (
    "col",
    "appid",
    "webid",
    "path",
    "columnid",
    "sourceContentType",
    "unitid",
    "webname",
    "permissiontype",
)
JPAGE_PER_PAGE = 15  # the jpage script's defaults, when the page does not say
JPAGE_GROUP = 3  # pages fetched per request

# 'key':'value' / "key":"value" / key:123 in a flat JavaScript object literal
_PAIR = re.compile(
    r"""['"]?([A-Za-z_]\w{0,40})['"]?\s*:\s*"""
    r"""(?:'([^']{0,500})'|"([^"]{0,500})"|([\w.-]{1,100}))"""
)
_TOTAL = re.compile(
    r"(?:totalPage|pageCount|totalpage|total_page)['\"]?\s*[:=]\s*['\"]?(\d{1,6})|共\s*(\d{1,6})\s*页"
)
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_XML_NUMBER = re.compile(r"<(totalrecord|totalpage)>\s*(\d{1,9})\s*</\1>")
_JPAGE_NUMBER = re.compile(r"\b(perPage|totalRecord|groupSize)\s*:\s*['\"]?(\d{1,9})")
_JPAGE_PROXY = re.compile(r"\bproxyUrl\s*:\s*['\"]([^'\"]{1,300})['\"]")


class ShellError(ValueError):
    """An endpoint's answer that is not what the shell's script expects (said in one line)."""


@dataclass(frozen=True)
class Endpoint:
    """One request for a page of a shell's list, as the page's script would send it."""

    url: str
    method: str = "GET"  # GET: `params` in the query string; POST: `form` as the body
    form: dict[str, str] = field(default_factory=dict)


@dataclass
class ListPage:
    """What an endpoint answered: (href, title, date) of each item, and how many pages there
    are when the answer says (None: read on while pages bring new links)."""

    links: list[tuple[str, str, str | None]]
    total_pages: int | None = None


@register  # a page's requests carry it: it travels in a shared crawl's queue
@dataclass(frozen=True)
class Shell:
    """A list built by script on a page: its kind, and how to ask for page N of it."""

    kind: str  # jpaas | jpage
    base: str  # the endpoint's absolute URL, without the parameters
    params: dict[str, str]
    per_page: int | None = None
    first_page: int = 1  # the first page to ask for (jpage: the page already holds the first)
    preloaded: tuple[tuple[str, str, str | None], ...] = ()  # links the page itself carries
    total_pages: int | None = None

    def endpoint(self, page: int) -> Endpoint:
        if self.kind == "jpaas":
            params = dict(self.params)
            if page > 1:
                params["paramJson"] = _param_json(params.get("paramJson"), page, self.per_page)
            return Endpoint(_with_query(self.base, params))
        size = self.per_page or JPAGE_PER_PAGE
        group = size * JPAGE_GROUP
        start = (page - 1) * group + 1
        query = {"startrecord": start, "endrecord": start + group - 1, "perpage": size}
        return Endpoint(_with_query(self.base, query), "POST", dict(self.params))

    def read(self, text: str) -> ListPage:
        """The links of one endpoint answer (ShellError when it is not the expected kind)."""
        if self.kind == "jpaas":
            return read_jpaas(text)
        return read_jpage(text, self.per_page)


def find_shell(html: str, page_url: str) -> Shell | None:
    """The script-built list on a page, or None when the page has none this module knows."""
    if "queryData" in html or "querydata" in html:
        shell = _jpaas_shell(html, page_url)
        if shell:
            return shell
    if "dataproxy" in html or "<datastore" in html:
        return _jpage_shell(html, page_url)
    return None


# --- jpaas --------------------------------------------------------------------------------------


def _jpaas_shell(html: str, page_url: str) -> Shell | None:
    selector = Selector(text=html)
    for script in selector.xpath("//script[@querydata]"):
        source, url = script.attrib.get("src", ""), script.attrib.get("url", "")
        if "unitbuild" not in source and "jpaas" not in url:
            continue
        params = object_literal(script.attrib.get("querydata", ""))
        if not params or not (params.get("pageId") or params.get("webId")):
            continue
        endpoint = _join(page_url, url or JPAAS_PATH)
        return Shell(
            kind="jpaas",
            base=endpoint,
            params=params,
            per_page=_int(params.get("pageSize")) or _int(_json_key(params, "pageSize")),
        )
    return None


def read_jpaas(text: str) -> ListPage:
    try:
        answer = json.loads(text[:MAX_FRAGMENT_CHARS])
    except ValueError as exc:
        raise ShellError(f"the jpaas unit answered something that is not JSON ({exc})") from None
    if not isinstance(answer, dict):
        raise ShellError("the jpaas unit's answer is not a JSON object")
    if answer.get("success") is False:
        raise ShellError(f"the jpaas unit refused: {str(answer.get('message') or answer)[:200]}")
    data = answer.get("data")
    fragment = data.get("html") if isinstance(data, dict) else None
    if not isinstance(fragment, str):
        raise ShellError("the jpaas unit's answer has no data.html")
    total = None
    for key in ("totalPage", "pageCount", "pages"):
        if isinstance(data, dict) and _int(data.get(key)):
            total = _int(data.get(key))
    return ListPage(fragment_links(fragment), total or _pager_total(fragment))


def _param_json(existing: str | None, page: int, size: int | None) -> str:
    try:
        value = json.loads(existing) if existing else {}
    except ValueError:
        value = {}
    value = value if isinstance(value, dict) else {}
    value["pageNo"] = page
    if size:
        value["pageSize"] = size
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- jpage (dataproxy.jsp) ---------------------------------------------------------------------


def _jpage_shell(html: str, page_url: str) -> Shell | None:
    selector = Selector(text=html)
    params: dict[str, str] = {}
    proxy = None
    for href in re.findall(r"<nextgroup>\s*<!\[CDATA\[.*?href=['\"]([^'\"]{1,2000})", html, re.S):
        if "dataproxy" in href:
            proxy = href
            break
    if proxy:
        params = {k: v for k, v in parse_qsl(urlsplit(proxy).query) if k in JPAGE_KEYS}
    scripts = " ".join(selector.xpath("//script[not(@src)]/text()").getall())[:MAX_FRAGMENT_CHARS]
    for key, *values in _PAIR.findall(scripts):
        if key in JPAGE_KEYS and key not in params:
            params[key] = next((v for v in values if v), "")
    if not params.get("unitid") and not params.get("columnid"):
        return None
    numbers = {k: int(v) for k, v in _JPAGE_NUMBER.findall(scripts)}
    per_page = numbers.get("perPage")
    found = _JPAGE_PROXY.search(scripts)
    endpoint = _join(page_url, (found[1] if found else None) or (proxy or JPAGE_PATH))
    endpoint = endpoint.split("?", 1)[0]
    # the records the page itself carries (the first group), read like an answer
    preloaded = read_jpage(html, per_page)
    total_records = numbers.get("totalRecord")
    groups = None
    if total_records is not None:
        groups = math.ceil(total_records / ((per_page or JPAGE_PER_PAGE) * JPAGE_GROUP))
    return Shell(
        kind="jpage",
        base=endpoint,
        params=params,
        per_page=per_page,
        first_page=2 if preloaded.links else 1,
        preloaded=tuple(preloaded.links),
        total_pages=groups or preloaded.total_pages,
    )


def read_jpage(text: str, per_page: int | None = None) -> ListPage:
    text = text[:MAX_FRAGMENT_CHARS]
    if "<datastore" not in text and "<record" not in text:
        raise ShellError("the jpage data proxy answered something that is not its XML")
    links: list[tuple[str, str, str | None]] = []
    for record in _RECORD.findall(text):
        links.extend(fragment_links(record))
    numbers = {k: int(v) for k, v in _XML_NUMBER.findall(text)}
    total = None
    if "totalrecord" in numbers:
        total = math.ceil(numbers["totalrecord"] / ((per_page or JPAGE_PER_PAGE) * JPAGE_GROUP))
    return ListPage(links, total)


# --- shared ------------------------------------------------------------------------------------


def fragment_links(fragment: str) -> list[tuple[str, str, str | None]]:
    """(href, title, date) of the list items in an HTML fragment: each link inside a list item
    (or, without items, every link), its title attribute or text, and a date in the item."""
    selector = Selector(text=fragment[:MAX_FRAGMENT_CHARS] or "<p></p>")
    found = []
    items = selector.xpath("//li[.//a[@href]]") or selector.xpath("//*[a[@href]]")
    for item in items:
        for link in item.xpath(".//a[@href]"):
            href = link.attrib["href"].strip()
            if not href or href.startswith("#"):
                continue
            title = link.attrib.get("title") or " ".join(
                "".join(link.xpath(".//text()").getall()).split()
            )
            found.append((href, title, parse_date(" ".join(item.xpath(".//text()").getall()))))
    seen: set[str] = set()
    return [link for link in found if not (link[0] in seen or seen.add(link[0]))]


def object_literal(text: str) -> dict[str, str]:
    """The keys and values of a flat JavaScript object literal such as queryData's
    "{'webId':'x','pageSize':20}" (nested values are kept as their text)."""
    text = text[:MAX_QUERY_CHARS].strip()
    try:  # some pages write real JSON
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, dict):
        return {str(k): _text(v) for k, v in value.items()}
    result = {}
    for key, *values in _PAIR.findall(text):
        result[key] = next((v for v in values if v), "")
    return result


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return "null" if value is None else str(value)


def _json_key(params: dict[str, str], key: str) -> Any:
    try:
        value = json.loads(params.get("paramJson") or "{}")
    except ValueError:
        return None
    return value.get(key) if isinstance(value, dict) else None


def _pager_total(fragment: str) -> int | None:
    match = _TOTAL.search(fragment[-20000:])
    return _int(match[1] or match[2]) if match else None


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _join(page_url: str, url: str) -> str:
    return urljoin(page_url, url.strip())


def _with_query(url: str, params: dict[str, Any]) -> str:
    return url + ("&" if urlsplit(url).query else "?") + urlencode(params)
