"""Render monitor/demo/sites/articles.yaml into the offline sample sites under www/ beside it.

    python monitor/demo/sites/build.py

Writes the pages (with navigation, related links, footers), feeds, sitemaps, the nasty pages
(broken HTML, a wrong declared charset, an empty page, a robots-protected page, a reprint), the
per-file HTTP headers (headers.json) and what a crawl must produce (expected.json). The output is
committed: the saved pages are the fixtures; this script only documents how they were made.
Feeds and sitemaps say {{BASE}}, which the server (monitor.demo.server) replaces with its address.
"""

from __future__ import annotations

import gzip
import html
import json
import shutil
from pathlib import Path

import yaml

HERE = Path(__file__).parent
WWW = HERE / "www"


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def cn_date(iso: str) -> str:
    y, m, d = iso[:10].split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"


def write(path: str, content: str | bytes, encoding: str = "utf-8") -> None:
    target = WWW / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))


# --- 江东省工业和信息化厅: GBK, metadata table, JavaScript pager ------------------------------------

GOV_HEAD = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk" />
<title>{title}_江东省工业和信息化厅</title>
<meta name="SiteName" content="江东省工业和信息化厅" /><meta name="ColumnName" content="政策文件" />
<link rel="stylesheet" href="/gov/css/main.css" /><script src="/gov/js/common.js"></script>
</head><body>
<div class="top"><span>欢迎访问江东省工业和信息化厅门户网站</span><a href="/gov/">无障碍浏览</a> <a href="/gov/">English</a></div>
<div class="header"><div class="logo">江东省工业和信息化厅</div>
<ul class="nav"><li><a href="/gov/">首页</a></li><li><a href="/gov/zcwj/index.html">政策文件</a></li><li><a href="/gov/gzdt/">工作动态</a></li><li><a href="/gov/zwgk/">政务公开</a></li><li><a href="/gov/hdjl/">互动交流</a></li></ul></div>
"""
GOV_FOOT = """<div class="footer"><p>主办单位：江东省工业和信息化厅　地址：江东省临川市政务中心东区8号</p>
<p>网站标识码：3600000017　江ICP备05001234号　江公网安备36010002000123号</p><p>建议使用1366×768分辨率浏览本网站</p></div>
<script type="text/javascript">var _trs_uv = 1; document.write('<span class="counter"></span>');</script>
</body></html>"""


def gov_article(a: dict, related: list[dict]) -> str:
    paragraphs = "\n".join(f'<p style="text-indent:2em;">{esc(p)}</p>' for p in a["body"])
    rel = "".join(
        f'<li><a href="/gov/zcwj/{r["slug"]}.html">{esc(r["title"])}</a></li>' for r in related
    )
    return (
        GOV_HEAD.format(title=esc(a["title"]))
        + f"""
<div class="crumb">当前位置：<a href="/gov/">首页</a> &gt; <a href="/gov/zcwj/index.html">政策文件</a> &gt; 正文</div>
<div class="main">
<table class="xxgk-table"><tr><td>索引号：</td><td>736500012/2024-0{a["slug"][5]}{a["slug"][-3:]}</td><td>主题分类：</td><td>工业、交通\\其他</td></tr>
<tr><td>发文机关：</td><td>江东省工业和信息化厅</td><td>成文日期：</td><td>{cn_date(a["date"])}</td></tr>
<tr><td>标　　题：</td><td colspan="3">{esc(a["title"])}</td></tr>
<tr><td>发文字号：</td><td>{esc(a["number"])}</td><td>发布日期：</td><td>{a["date"]}</td></tr></table>
<div class="article">
<h1 class="title">{esc(a["title"])}</h1>
<div class="info">发布日期：{a["date"]}　来源：江东省工业和信息化厅　浏览次数：<span id="hits">0</span>　字号：[<a href="javascript:doZoom(16)">大</a> <a href="javascript:doZoom(14)">中</a> <a href="javascript:doZoom(12)">小</a>]</div>
<div class="TRS_Editor" id="zoom">
<p style="text-align:center;">{esc(a["number"])}</p>
{paragraphs}
<p style="text-align:right;">江东省工业和信息化厅</p><p style="text-align:right;">{cn_date(a["date"])}</p>
</div>
<div class="share">分享到：<a href="javascript:void(0)">微信</a> <a href="javascript:void(0)">微博</a>　<a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
</div></div>
<div class="related"><h3>相关文件</h3><ul>{rel}</ul></div>
"""
        + GOV_FOOT
    )


def gov_listing(page: int, pages: int, items: list[dict]) -> str:
    rows = "\n".join(
        f'<li><a href="./{a["slug"]}.html" target="_blank" title="{esc(a["title"])}">{esc(a["title"])}</a><span>{a["date"]}</span></li>'
        for a in items
    )
    return (
        GOV_HEAD.format(title="政策文件")
        + f"""
<div class="crumb">当前位置：<a href="/gov/">首页</a> &gt; 政策文件</div>
<div class="main"><div class="column-title">政策文件</div>
<ul class="list">
{rows}
</ul>
<div class="page"><script type="text/javascript">createPageHTML({pages}, {page}, "index", "html");</script></div>
</div>
"""
        + GOV_FOOT
    )


# --- 东方科技报: UTF-8 news site with RSS ------------------------------------------------------------


def zh_article(a: dict, hot: list[dict], broken: bool = False) -> str:
    paragraphs = "\n".join(f"<p>{esc(p)}</p>" for p in a["body"])
    if broken:  # unclosed <p> and <div>, stray closing tags, a <b> never closed, no </body></html>
        paragraphs = "\n".join(f"<p>{esc(p)}" for p in a["body"]) + "\n</span></td><b>"
    hot_links = "".join(
        f'<li><a href="/zhnews/{h["slug"]}.html">{esc(h["title"])}</a></li>' for h in hot
    )
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{esc(a["title"])} - 东方科技报</title>
<meta name="keywords" content="集成电路,半导体,产业政策"><meta name="author" content="{esc(a["author"])}">
<meta property="og:title" content="{esc(a["title"])}"><meta property="og:site_name" content="东方科技报">
<meta property="article:published_time" content="{a["date"]}T09:00:00+08:00">
</head><body>
<header class="site-header"><a class="logo" href="/zhnews/">东方科技报</a>
<nav><a href="/zhnews/">首页</a> <a href="/zhnews/chanye/">产业</a> <a href="/zhnews/zhengce/">政策</a> <a href="/zhnews/pinglun/">评论</a> <a href="/zhnews/app/">客户端下载</a></nav></header>
<div class="breadcrumb"><a href="/zhnews/">首页</a> &gt; <a href="/zhnews/chanye/">产业</a></div>
<main><article class="news-detail">
<h1>{esc(a["title"])}</h1>
<div class="meta"><span class="time">{a["date"]} 09:00</span> <span class="source">来源：东方科技报</span> <span class="author">{esc(a["author"])}</span></div>
<div class="content">
{paragraphs}
{"" if broken else "</div>"}
<p class="editor">（责任编辑：张帆）</p>
</article>
<aside class="hot"><h3>热点推荐</h3><ul>{hot_links}</ul></aside></main>
<footer><p>关于我们 | 联系我们 | 广告服务 | 版权声明</p><p>东方科技报社版权所有 未经书面授权禁止转载　沪ICP备08012345号</p></footer>
<script>window.dataLayer = window.dataLayer || [];</script>
"""
    return page if broken else page + "</body></html>"


def rss(items: list[tuple[str, str, str]]) -> str:
    body = "\n".join(
        f"<item><title>{esc(t)}</title><link>{{{{BASE}}}}{esc(link)}</link><pubDate>{d}</pubDate><guid>{{{{BASE}}}}{esc(link)}</guid></item>"
        for t, link, d in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>东方科技报 - 产业</title><link>{{{{BASE}}}}/zhnews/</link><description>产业新闻</description><language>zh-cn</language>
{body}
</channel></rss>
"""


def rfc822(iso: str) -> str:
    from datetime import datetime
    from email.utils import format_datetime

    return format_datetime(datetime.fromisoformat(iso + "T09:00:00+08:00"))


# --- Pacific Industry Review: English, Atom feed and news sitemap ------------------------------------


def en_article(a: dict, related: list[dict]) -> str:
    paragraphs = "\n".join(f"<p>{esc(p)}</p>" for p in a["body"])
    rel = "".join(
        f'<li><a href="/ennews/{r["slug"]}.html">{esc(r["title"])}</a></li>' for r in related
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(a["title"])} | Pacific Industry Review</title>
<meta property="og:title" content="{esc(a["title"])}"><meta property="og:site_name" content="Pacific Industry Review">
<meta property="og:type" content="article"><meta name="author" content="{esc(a["author"])}">
<meta property="article:published_time" content="{a["date"]}">
<link rel="canonical" href="/ennews/{a["slug"]}.html">
</head><body>
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept all</button></div>
<header><a href="/ennews/" class="brand">Pacific Industry Review</a>
<nav><a href="/ennews/">Home</a> <a href="/ennews/tech/">Technology</a> <a href="/ennews/policy/">Policy</a> <a href="/ennews/markets/">Markets</a> <a href="/ennews/subscribe/">Subscribe</a></nav></header>
<main><article>
<h1>{esc(a["title"])}</h1>
<p class="byline">By <span class="author">{esc(a["author"])}</span> · <time datetime="{a["date"]}">{a["date"][:10]}</time></p>
<div class="share">Share: <a href="#">X</a> <a href="#">LinkedIn</a> <a href="#">Email</a></div>
<div class="article-body">
{paragraphs}
</div>
<div class="newsletter"><h3>Subscribe to our newsletter</h3><p>Get the week's industrial policy news from Asia in your inbox every Friday.</p><form><input type="email"><button>Sign up</button></form></div>
</article>
<aside class="related"><h3>Related stories</h3><ul>{rel}</ul></aside></main>
<footer><p>About us · Contact · Advertise · Privacy policy · Terms of use</p><p>© 2024 Pacific Industry Review Ltd. All rights reserved.</p></footer>
</body></html>"""


def atom(entries: list[dict]) -> str:
    body = "\n".join(
        f"""<entry><title>{esc(a["title"])}</title><link rel="alternate" type="text/html" href="{{{{BASE}}}}/ennews/{a["slug"]}.html"/>
<id>tag:pacific-industry-review.example,2024:{a["slug"]}</id><published>{a["date"]}</published><updated>{a["date"]}</updated>
<author><name>{esc(a["author"])}</name></author><summary>{esc(a["body"][0][:120])}</summary></entry>"""
        for a in entries
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Pacific Industry Review</title>
<link href="{{{{BASE}}}}/ennews/"/><updated>2024-07-16T12:00:00Z</updated><id>tag:pacific-industry-review.example,2024:feed</id>
{body}
</feed>
"""


def news_sitemap(urls: list[tuple[str, str, str]]) -> str:
    body = "\n".join(
        f"""<url><loc>{{{{BASE}}}}{loc}</loc><news:news><news:publication><news:name>Pacific Industry Review</news:name><news:language>en</news:language></news:publication>
<news:publication_date>{date}</news:publication_date><news:title>{esc(title)}</news:title></news:news></url>"""
        for loc, date, title in urls
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{body}
</urlset>
"""


def main() -> None:
    data = yaml.safe_load((HERE / "articles.yaml").read_text(encoding="utf-8"))
    shutil.rmtree(WWW, ignore_errors=True)
    headers: dict[str, dict[str, str]] = {}
    expected: list[dict] = []

    write("/robots.txt", "User-agent: *\nDisallow: /zhnews/private/\n")

    gov = data["gov"]["articles"]
    for i, a in enumerate(gov):
        path = f"/gov/zcwj/{a['slug']}.html"
        write(path, gov_article(a, [gov[(i + 1) % len(gov)], gov[(i + 2) % len(gov)]]), "gbk")
        expected.append(
            {
                "sources": ["jiangdong-gov"],
                "path": path,
                "title": a["title"],
                "language": "zh",
                "published_at": a["date"],
                "paragraphs": a["body"],
                "boilerplate": ["网站标识码", "当前位置", "相关文件", "打印本页"],
            }
        )
    # the CMS declares UTF-8 in its header for one page, but the bytes are GBK
    headers["/gov/zcwj/202404/t20240428_106.html"] = {"Content-Type": "text/html; charset=utf-8"}
    pages = [gov[0:4], gov[4:7], gov[7:10]]
    for n, items in enumerate(pages):
        name = "index.html" if n == 0 else f"index_{n}.html"
        write(f"/gov/zcwj/{name}", gov_listing(n, len(pages), items), "gbk")
        headers[f"/gov/zcwj/{name}"] = {"Content-Type": "text/html; charset=GBK"}

    zh = data["zhnews"]["articles"]
    originals = {a["slug"]: a for a in zh if "reprint_of" not in a}
    feed_items = []
    for i, a in enumerate(zh):
        path = f"/zhnews/{a['slug']}.html"
        article = dict(a, body=originals[a["reprint_of"]]["body"]) if "reprint_of" in a else a
        hot = [zh[(i + 1) % len(zh)], zh[(i + 3) % len(zh)]]
        write(path, zh_article(article, hot, broken=a.get("broken", False)))
        feed_items.append((a["title"], path, rfc822(a["date"])))
        if "reprint_of" not in a:
            reprints = [f"/zhnews/{r['slug']}.html" for r in zh if r.get("reprint_of") == a["slug"]]
            expected.append(
                {
                    "sources": ["dongfang-tech"],
                    "path": path,
                    "title": a["title"],
                    "language": "zh",
                    "published_at": a["date"],
                    "paragraphs": a["body"],
                    "authors": [a["author"].split()[-1]],  # the name, without 本报记者
                    "editors": ["张帆"],
                    "boilerplate": ["热点推荐", "版权所有", "客户端下载"],
                    # same paragraphs elsewhere: whichever the crawl meets first is kept
                    **({"alternates": reprints} if reprints else {}),
                }
            )
    first = zh[0]
    feed_items.append(
        (
            first["title"],
            f"/zhnews/{first['slug']}.html?utm_source=rss&utm_medium=feed",
            rfc822(first["date"]),
        )
    )
    write("/zhnews/2024/07/20/empty.html", b"")
    feed_items.append(("（空白页）", "/zhnews/2024/07/20/empty.html", rfc822("2024-07-20")))
    write("/zhnews/private/internal.html", zh_article(dict(zh[1], title="内部资料 请勿抓取"), []))
    feed_items.append(("内部资料", "/zhnews/private/internal.html", rfc822("2024-07-21")))
    write("/zhnews/rss.xml", rss(feed_items))

    en = data["ennews"]["articles"]
    for i, a in enumerate(en):
        path = f"/ennews/{a['slug']}.html"
        write(path, en_article(a, [en[(i + 2) % len(en)], en[(i + 5) % len(en)]]))
        expected.append(
            {
                "sources": ["pacific-atom", "pacific-sitemap"],
                "path": path,
                "title": a["title"],
                "language": "en",
                "published_at": a["date"],
                "paragraphs": a["body"],
                "authors": [a["author"]],
                "boilerplate": [
                    "Subscribe to our newsletter",
                    "We use cookies",
                    "Related stories",
                    "All rights reserved",
                ],
            }
        )
    write("/ennews/atom.xml", atom(en[:6]))
    urls = [(f"/ennews/{a['slug']}.html", a["date"], a["title"]) for a in en]
    urls += [
        ("/ennews/2024/07/annual-report.pdf", "2024-07-20T00:00:00+00:00", "Annual report"),
        ("/ennews/2024/07/withdrawn-story.html", "2024-07-21T00:00:00+00:00", "Withdrawn"),
    ]
    write("/ennews/sitemap-news.xml.gz", gzip.compress(news_sitemap(urls).encode(), mtime=0))
    write(
        "/ennews/sitemap-pages.xml",
        """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{{BASE}}/ennews/about.html</loc><lastmod>2024-01-01</lastmod></url></urlset>
""",
    )
    write(
        "/ennews/sitemap_index.xml",
        """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{{BASE}}/ennews/sitemap-news.xml.gz</loc></sitemap>
<sitemap><loc>{{BASE}}/ennews/sitemap-pages.xml</loc></sitemap>
</sitemapindex>
""",
    )
    write(
        "/ennews/about.html",
        "<html><head><title>About us</title></head><body><h1>About</h1><p>Pacific Industry Review covers industrial policy.</p></body></html>",
    )
    write("/ennews/2024/07/annual-report.pdf", b"%PDF-1.4\n% not parsed in this issue\n%%EOF\n")

    (HERE / "headers.json").write_text(json.dumps(headers, indent=1, ensure_ascii=False) + "\n")
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")
    print(
        f"wrote {sum(1 for _ in WWW.rglob('*') if _.is_file())} files, {len(expected)} expected articles"
    )


if __name__ == "__main__":
    main()
