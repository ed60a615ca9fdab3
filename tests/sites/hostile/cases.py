"""The hostile-input fixture: one table of cases, each a source of its own on one local server.

Every crawl case is a small site: two good articles (their own text, so no case's article is a
duplicate of another's) and one bad thing next to them: a link, a page, a file, a feed entry, a
sitemap entry or an API item that a hostile or broken site serves. The test crawls all cases in
one run and asserts, per case, that the good pages were stored, that the bad one was counted
under the expected reason, and that nothing reached the "internal" server on 127.0.0.2.

Answers are built here, in code: bombs are generated, never stored in the repository.
"""

from __future__ import annotations

import gzip
import io
import json
import socket
import threading
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from monitor.demo.server import send

Answer = tuple[int, dict[str, str], bytes]
HTML = {"Content-Type": "text/html; charset=utf-8"}
SECRET = "root:x:0:0:the-internal-secret"  # what a file:// or internal fetch would leak


@dataclass
class Case:
    name: str
    what: str  # the hostile input, in words
    reason: str | None  # the summary's reason key it must be counted under (None: no count)
    kind: str = "listing"  # listing | feed | sitemap | api
    good: int = 2  # good articles that must be stored
    state: str | None = None  # the health it must leave the source in, when that is the point
    links: list[str] = field(default_factory=list)  # extra hrefs on the listing page
    attachments: list[str] = field(default_factory=list)  # hrefs on the first good article
    routes: dict[str, Answer | Callable[..., None]] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)  # extra source fields


def article(case: str, n: int, extra: str = "") -> bytes:
    """A good article page, with text of its own."""
    paragraphs = "".join(
        f"<p>Case {case}, article {n}, paragraph {p}: the provincial department announced "
        f"support measures for integrated circuit design firms, number {n * 10 + p}, covering "
        f"wafer fabrication subsidies and talent programmes in {case}.</p>"
        for p in range(1, 4)
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{case} article {n}</title>"
        f"</head><body><article><h1>{case} article {n}</h1>{paragraphs}{extra}</article>"
        "</body></html>"
    ).encode()


def _page(title: str, body: str) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><nav><a href='/'>首页</a> <a href='/zwgk/'>政务公开</a> <a href='/zcwj/'>政策文件</a>"
        f"</nav>{body}<footer><p>江东省工业和信息化厅 主办 江ICP备05012345号</p></footer>"
        "</body></html>"
    ).encode()


HEADLINES = [
    "关于开展集成电路设计企业认定工作的通知",
    "全省工业和信息化工作会议召开",
    "关于公布第五批专精特新小巨人企业名单的通知",
    "省领导调研晶圆制造重点项目",
    "关于组织申报先进制造业集群培育项目的通知",
    "人形机器人产业创新中心揭牌",
]
NOT_ARTICLES = {  # pages that answer 200 and have text, but are no article
    "soft_404": _page(
        "页面不存在 - 江东省工业和信息化厅",
        "<div class='err'><h1>抱歉，您访问的页面不存在或已被删除</h1>"
        "<p>请检查网址，或<a href='/'>返回首页</a>。</p></div>",
    ),
    "empty_article": _page(
        "关于开展2024年度项目申报的通知 - 江东省工业和信息化厅",
        "<div class='side'><h3>相关链接</h3><ul><li><a href='/l1'>江东省人民政府</a></li>"
        "<li><a href='/l2'>工业和信息化部</a></li><li><a href='/l3'>江东省发展和改革委员会</a></li>"
        "</ul></div><div class='article'><h1>关于开展2024年度项目申报的通知</h1>"
        "<div class='content'><p>&nbsp;</p></div></div>",
    ),
    "section_front": _page(
        "产业动态 - 江东省工业和信息化厅",
        "<main><h1>产业动态</h1><ul>"
        + "".join(
            f"<li><a href='/news/{i}.html'>{h}</a><span>2024-0{i + 1}-1{i}</span></li>"
            for i, h in enumerate(HEADLINES)
        )
        + "</ul><a href='?page=2'>下一页</a></main>",
    ),
}


def docx_bomb(inflated: int = 200 * 1024 * 1024) -> bytes:
    """A DOCX whose document.xml inflates to `inflated` bytes (a few hundred KB on the wire)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as part:
            chunk = b"<w:p>" + b" " * (1024 * 1024 - 10) + b"</w:p>"
            for _ in range(inflated // len(chunk)):
                part.write(chunk)
    return out.getvalue()


def pdf_bomb(inflated: int = 150 * 1024 * 1024) -> bytes:
    """A one-page PDF whose content stream inflates to `inflated` bytes."""
    stream = zlib.compress(b"0 0 m " * (inflated // 6), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return body


def gzip_bomb(inflated: int) -> bytes:
    return gzip.compress(b"<p>" + b"a" * inflated, 9)


def slow(seconds: float) -> Callable[..., None]:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", "5")
        handler.end_headers()
        handler.wfile.write(b"<p>late")

    return answer


def reset_mid_body(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    handler.wfile.write(b"<html><body><p>cut short")
    handler.wfile.flush()
    handler.connection.shutdown(socket.SHUT_RDWR)  # 99,975 bytes short


def redirect(location: str) -> Answer:
    return 302, {"Location": location, "Content-Type": "text/plain"}, b""


def feed(case: str, links: list[str], doctype: str = "") -> bytes:
    items = "".join(
        f"<item><title>{case} entry {i}</title><link>{link}</link></item>"
        for i, link in enumerate(links)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{doctype}<rss version="2.0"><channel>'
        f"<title>{case}</title>{items}</channel></rss>"
    ).encode()


def urlset(locs: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    ).encode()


def sitemapindex(locs: list[str]) -> bytes:
    entries = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}'
        "</sitemapindex>"
    ).encode()


LAUGHS = (
    '<!DOCTYPE rss [<!ENTITY a "lol">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    + "]>"
)
XXE = '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def cases(internal: str) -> list[Case]:
    """The table. `internal` is the base URL of the server on 127.0.0.2 that must never be hit."""
    huge_links = "".join(f'<a href="/x/{i}">l{i}</a> ' for i in range(200_000))
    return [
        # --- links on a listing page ----------------------------------------------------------
        Case("tel-link", "a tel: link", "skipped/scheme", links=["tel:+86-10-6820-8888"]),
        Case("mailto-link", "a mailto: link", "skipped/scheme", links=["mailto:press@x.gov.cn"]),
        Case("js-link", "a javascript: link", "skipped/scheme", links=["javascript:void(0)"]),
        Case("vbscript-link", "a vbscript: link", "skipped/scheme", links=["vbscript:msgbox(1)"]),
        Case(
            "file-link", "a file:///etc/passwd link", "skipped/scheme", links=["file:///etc/passwd"]
        ),
        Case("data-link", "a data: URL", "skipped/scheme", links=["data:text/html,<p>hi</p>"]),
        Case("ftp-link", "an ftp: link", "skipped/scheme", links=["ftp://127.0.0.1/pub/x.html"]),
        Case(
            "long-url", "a 2,200-character URL", "skipped/url_too_long", links=["/q?" + "a" * 2200]
        ),
        Case("malformed-url", "an unparsable URL", "skipped/malformed", links=["http://[::1"]),
        Case(
            "bad-port",
            "a URL with port 99999",
            "skipped/malformed",
            links=["http://127.0.0.1:99999/x"],
        ),
        Case(
            "metadata-ip",
            "a link to the cloud metadata address",
            "skipped/offsite",
            links=["http://169.254.169.254/latest/meta-data/iam"],
        ),
        Case(
            "private-ip",
            "a link to 10.1.2.3",
            "skipped/offsite",
            links=["http://10.1.2.3/x.html"],
        ),
        Case(
            "internal-link",
            "a link to a loopback address the source may not reach",
            "skipped/offsite",
            links=[f"{internal}/secret.html"],
        ),
        Case(
            "redirect-internal",
            "a same-site page that redirects to an internal address",
            "skipped/offsite",
            links=["bad.html"],
            routes={"bad.html": redirect(f"{internal}/secret.html")},
        ),
        Case(
            "redirect-file",
            "a same-site page that redirects to file:///etc/passwd",
            "fetch_errors/302",
            links=["bad.html"],
            routes={"bad.html": redirect("file:///etc/passwd")},
        ),
        Case(
            "redirect-loop",
            "a redirect loop",
            "fetch_errors/redirect_loop",
            links=["loop-a.html"],
            routes={"loop-a.html": redirect("loop-b.html"), "loop-b.html": redirect("loop-a.html")},
        ),
        Case(
            "no-permission",
            "a source on a loopback address without private_networks",
            "refused/private_address",
            good=0,
            state="broken",
            source={"private_networks": []},
        ),
        # --- bad pages ------------------------------------------------------------------------
        Case(
            "gzip-bomb",
            "a page gzip-encoded to inflate to 40 MB",
            "ignored",
            links=["bomb.html"],
            routes={
                "bomb.html": (
                    200,
                    {**HTML, "Content-Encoding": "gzip"},
                    gzip_bomb(40 * 1024 * 1024),
                )
            },
        ),
        Case(
            "huge-page",
            "a 20 MB page",
            "fetch_errors/DownloadCancelledError",
            links=["huge.html"],
            routes={"huge.html": (200, HTML, b"<p>" + b"x" * (20 * 1024 * 1024))},
        ),
        Case(
            "link-farm",
            "a page with 200,000 links",
            "rejected/link_farm",
            links=["farm.html"],
            routes={"farm.html": (200, HTML, f"<html><body>{huge_links}</body></html>".encode())},
        ),
        Case(
            "binary-page",
            "random bytes served as text/html",
            "unparsable",
            links=["noise.html"],
            routes={"noise.html": (200, HTML, bytes(range(256)) * 64)},
        ),
        Case(
            "empty-page",
            "an empty 200 answer",
            "empty",
            links=["empty.html"],
            routes={"empty.html": (200, HTML, b"")},
        ),
        Case(
            "server-error",
            "a page answering 500",
            "fetch_errors/500",
            links=["down.html"],
            routes={"down.html": (500, HTML, b"<h1>error</h1>")},
        ),
        Case("gone", "a page answering 404", "fetch_errors/404", links=["gone.html"]),
        Case(
            "slow-page",
            "a page slower than the timeout",
            "fetch_errors/DownloadTimeoutError",
            links=["slow.html"],
            routes={"slow.html": slow(45)},
        ),
        Case(
            "reset-page",
            "a connection reset mid-body",
            "fetch_errors/ResponseDataLossError",
            links=["cut.html"],
            routes={"cut.html": reset_mid_body},
        ),
        Case(
            "not-html",
            "a binary file served as a page",
            "not_html",
            links=["blob.html"],
            routes={"blob.html": (200, {"Content-Type": "application/octet-stream"}, b"\0" * 5000)},
        ),
        # --- pages that answer 200 but are not articles ------------------------------------
        Case(
            "soft-404",
            "an error page served with 200 (页面不存在)",
            "skipped/soft_404",
            links=["missing.html"],
            routes={"missing.html": (200, HTML, NOT_ARTICLES["soft_404"])},
        ),
        Case(
            "empty-article",
            "a page whose article container holds one &nbsp;",
            "skipped/empty_article",
            links=["empty.html"],
            routes={"empty.html": (200, HTML, NOT_ARTICLES["empty_article"])},
        ),
        Case(
            "sitemap-section-front",
            "a sitemap that lists a section's front page",
            "skipped/section_front",
            kind="sitemap",
            links=["chan/"],  # a page of the case's own (relative entries are made absolute)
            routes={"chan/": (200, HTML, NOT_ARTICLES["section_front"])},
        ),
        Case(
            "huge-text",
            "a page with 2 MB of article text",
            "truncated",
            good=3,
            links=["long.html"],
            routes={
                "long.html": (
                    200,
                    HTML,
                    article("huge-text", 9, "<p>" + "lorem ipsum dolor " * 120_000 + "</p>"),
                )
            },
        ),
        Case(
            "xxe-page",
            "an XHTML page with an external entity",
            None,
            good=3,
            links=["xxe.html"],
            routes={
                "xxe.html": (
                    200,
                    {"Content-Type": "application/xhtml+xml"},
                    b'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                    + article("xxe-page", 9, "<p>&xxe;</p>"),
                )
            },
        ),
        Case(
            "deep-nesting",
            "a page nested 50,000 elements deep",
            None,
            links=["deep.html"],
            routes={"deep.html": (200, HTML, b"<div>" * 50_000 + b"deep" + b"</div>" * 50_000)},
        ),
        Case(
            "gbk-as-utf8",
            "a GBK page whose server says UTF-8",
            None,
            good=3,
            links=["gbk.html"],
            routes={
                "gbk.html": (
                    200,
                    HTML,
                    (
                        "<html><head><title>工信部关于集成电路产业的通知</title></head><body><article>"
                        + "<p>为贯彻落实集成电路产业发展规划，支持晶圆制造企业扩大产能，现就有关事项通知如下。</p>"
                        * 4
                        + "</article></body></html>"
                    ).encode("gbk"),
                )
            },
        ),
        # --- attachments ----------------------------------------------------------------------
        Case(
            "att-file",
            "an attachment link to file:///etc/passwd.pdf",
            "refused/scheme",
            attachments=["file:///etc/passwd.pdf"],
        ),
        Case(
            "att-metadata",
            "an attachment on the metadata address",
            "refused/off_scope",
            attachments=["http://169.254.169.254/latest/x.pdf"],
        ),
        Case(
            "att-redirect",
            "a same-site attachment that redirects to an internal host",
            "refused/off_scope",
            attachments=["f.pdf"],
            routes={"f.pdf": redirect(f"{internal}/f.pdf")},
        ),
        Case(
            "att-private-host",
            "an attachment on a listed host that is a private address",
            "refused/private_address",
            attachments=[f"{internal}/f.pdf"],
            source={"attachment_hosts": ["127.0.0.2"]},
        ),
        Case(
            "att-docx-bomb",
            "a DOCX that inflates to 200 MB",
            "attachment_unreadable",
            attachments=["bomb.docx"],
            routes={"bomb.docx": (200, {"Content-Type": "application/octet-stream"}, docx_bomb())},
        ),
        Case(
            "att-pdf-bomb",
            "a PDF whose stream inflates to 150 MB",
            None,
            attachments=["bomb.pdf"],
            routes={"bomb.pdf": (200, {"Content-Type": "application/pdf"}, pdf_bomb())},
        ),
        Case(
            "att-broken-pdf",
            "a PDF that is not one",
            "attachment_unreadable",
            attachments=["broken.pdf"],
            routes={
                "broken.pdf": (
                    200,
                    {"Content-Type": "application/pdf"},
                    b"%PDF-1.7\n" + b"\x00garbage" * 100,
                )
            },
        ),
        Case(
            "att-too-big",
            "an attachment over the size cap",
            "attachment_errors",
            attachments=["big.pdf"],
            routes={
                "big.pdf": (
                    200,
                    {"Content-Type": "application/pdf"},
                    b"%PDF-1.4\n" + b"0" * 3_000_000,
                )
            },
        ),
        # --- feeds ----------------------------------------------------------------------------
        Case(
            "feed-js",
            "a feed entry linking javascript:",
            "skipped/scheme",
            kind="feed",
            links=["javascript:alert(1)"],
        ),
        Case(
            "feed-vbscript",
            "a feed entry linking vbscript:",
            "skipped/scheme",
            kind="feed",
            links=["vbscript:x"],
        ),
        Case(
            "feed-private",
            "a feed entry linking an internal address",
            "skipped/offsite",
            kind="feed",
            links=[f"{internal}/secret.html"],
        ),
        Case(
            "feed-xxe", "a feed with an external entity", None, kind="feed", routes={"doctype": XXE}
        ),
        Case(
            "feed-laughs",
            "a feed with an entity bomb (not expanded)",
            None,
            kind="feed",
            routes={"doctype": LAUGHS},
        ),
        Case(
            "feed-is-html",
            "an HTML page configured as a feed",
            None,
            kind="feed",
            good=0,
            state="broken",
            routes={"feed.xml": (200, HTML, article("feed-is-html", 0))},
        ),
        Case(
            "feed-404",
            "a feed URL answering 404",
            "fetch_errors/404",
            kind="feed",
            good=0,
            state="broken",
            routes={"feed.xml": (404, HTML, b"<h1>404</h1>")},
        ),
        # --- sitemaps -------------------------------------------------------------------------
        Case(
            "sitemap-file",
            "a sitemap <loc> of file:///etc/passwd",
            "skipped/scheme",
            kind="sitemap",
            links=["file:///etc/passwd"],
        ),
        Case(
            "sitemap-long",
            "a sitemap <loc> over 2,083 characters",
            "skipped/url_too_long",
            kind="sitemap",
            links=["/p?" + "b" * 2100],
        ),
        Case(
            "sitemap-index-private",
            "a sitemap index pointing at the metadata address",
            "skipped/offsite",
            kind="sitemap",
            routes={"index": "http://169.254.169.254/sitemap.xml"},
        ),
        Case(
            "sitemap-gzip-bomb",
            "a gzipped sitemap that inflates past the size cap",
            None,
            kind="sitemap",
            routes={
                "index": "bomb.xml.gz",
                "bomb.xml.gz": (
                    200,
                    {"Content-Type": "application/x-gzip"},
                    gzip_bomb(40 * 1024 * 1024),
                ),
            },
        ),
        # --- JSON APIs ------------------------------------------------------------------------
        Case(
            "api-js",
            "an API item whose url is javascript:",
            "skipped/scheme",
            kind="api",
            links=["javascript:alert(1)"],
        ),
        Case(
            "api-bad-json",
            "an API page that is not JSON",
            None,
            kind="api",
            good=0,
            routes={"api.json": (200, {"Content-Type": "application/json"}, b"{not json")},
        ),
    ]


class HostileServer(ThreadingHTTPServer):
    """Serves every case under /c/<name>/ on 127.0.0.1; `hits` of the internal server count
    requests that must never happen."""

    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", internal: str = ""):
        super().__init__((host, 0), _Handler)
        self.base = f"http://{host}:{self.server_address[1]}"
        self.routes: dict[str, Answer | Callable[..., None]] = {}
        self.hits: list[str] = []
        if internal is not None:
            self.table = cases(internal)
            for case in self.table:
                self._add(case)

    def start(self) -> HostileServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def _add(self, case: Case) -> None:
        root = f"/c/{case.name}/"
        goods = [f"good{n}.html" for n in range(1, 3)]
        for n, name in enumerate(goods, 1):
            extra = (
                "".join(
                    f'<p><a href="{a}">Attachment {i}</a></p>'
                    for i, a in enumerate(case.attachments)
                )
                if n == 1
                else ""
            )
            self.routes[root + name] = (200, HTML, article(case.name, n, extra))
        special = {k: v for k, v in case.routes.items() if k not in ("doctype", "index")}
        for name, answer in special.items():
            self.routes[root + name] = answer
        if case.kind == "listing":
            hrefs = goods + case.links
            items = "".join(f'<li><a href="{h}">item</a></li>' for h in hrefs)
            self.routes[root + "list.html"] = (
                200,
                HTML,
                f"<html><body><ul class='list'>{items}</ul></body></html>".encode(),
            )
        elif case.kind == "feed" and "feed.xml" not in special:
            body = feed(
                case.name,
                [self.base + root + g for g in goods] + case.links,
                case.routes.get("doctype", ""),
            )
            self.routes[root + "feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, body)
        elif case.kind == "sitemap":
            self.routes[root + "urls.xml"] = (
                200,
                {"Content-Type": "application/xml"},
                urlset(
                    [self.base + root + g for g in goods]
                    + [
                        link if ":" in link or link.startswith("/") else self.base + root + link
                        for link in case.links
                    ]
                ),
            )
            extra = [case.routes["index"]] if "index" in case.routes else []
            self.routes[root + "sitemap.xml"] = (
                200,
                {"Content-Type": "application/xml"},
                sitemapindex(["urls.xml", *extra]),
            )
        elif case.kind == "api" and "api.json" not in special:
            items = [{"url": root + g, "title": f"{case.name} {g}"} for g in goods] + [
                {"url": link, "title": "bad"} for link in case.links
            ]
            self.routes[root + "api.json"] = (
                200,
                {"Content-Type": "application/json"},
                json.dumps({"items": items}).encode(),
            )

    def sources_yaml(self, private: str = "127.0.0.1/32") -> str:
        """The sources file: one source per case."""
        lines = ["sources:"]
        for case in self.table:
            root = f"{self.base}/c/{case.name}/"
            start = {
                "listing": "list.html",
                "feed": "feed.xml",
                "sitemap": "sitemap.xml",
                "api": "api.json",
            }[case.kind]
            lines += [f"  - id: {case.name}", f"    type: {case.kind}", f"    urls: {root}{start}"]
            if case.kind == "listing":
                lines += ["    links: ul.list li a", "    next: a.next-page"]
            if case.kind == "api":
                lines += [
                    "    api:",
                    "      items: items",
                    "      fields: {url: url, title: title}",
                ]
            for key, value in case.source.items():
                lines.append(f"    {key}: {json.dumps(value)}")
            if "private_networks" not in case.source:
                lines.append(f"    private_networks: [{private}]")
        return "\n".join(lines) + "\n"


class _Handler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        answer = self.server.routes.get(urlsplit(self.path).path)
        if callable(answer):
            answer(self)
            return
        send(self, *(answer or (404, HTML, b"<h1>404 Not Found</h1>")))
