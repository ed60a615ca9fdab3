"""Decoding, dates, language detection and URL identity: the pure functions under the pipeline."""

from __future__ import annotations

import pytest

from monitor.text.analyse import analyse_page
from monitor.text.dates import labelled_date, parse_date
from monitor.text.encoding import decode_html
from monitor.text.language import detect
from monitor.text.urls import canonicalize, choose_canonical, document_id

ZH = "工业和信息化部发布关于推动集成电路产业高质量发展的通知，支持企业加大研发投入。"


# --- decoding ------------------------------------------------------------------------------------


def test_gbk_page_declared_in_meta_only():
    body = f'<html><head><meta charset="gb2312"></head><body><p>{ZH}</p></body></html>'.encode(
        "gbk"
    )
    decoded = decode_html(body, "text/html")
    assert decoded.encoding == "gb18030" and ZH in decoded.text and not decoded.lossy


def test_header_says_utf8_but_bytes_are_gbk():
    body = f"<html><body><p>{ZH}</p></body></html>".encode("gbk")
    decoded = decode_html(body, "text/html; charset=utf-8")
    assert decoded.declared == "utf-8" and decoded.encoding == "gb18030" and ZH in decoded.text


def test_gb2312_declared_but_gb18030_only_characters_survive():
    text = "镕铖𠮷"  # outside GB2312
    body = f'<meta charset="gb2312"><p>{text}</p>'.encode("gb18030")
    assert text in decode_html(body).text


def test_latin1_declared_but_utf8_bytes():
    body = f"<html><head><meta charset='iso-8859-1'></head><body>{ZH}</body></html>".encode()
    decoded = decode_html(body)
    assert decoded.encoding == "utf-8" and ZH in decoded.text


def test_source_encoding_overrides_the_page():
    body = f'<meta charset="utf-8"><p>{ZH}</p>'.encode("gbk")
    assert ZH in decode_html(body, "text/html; charset=utf-8", override="gbk").text


def test_undecodable_bytes_are_replaced_and_reported():
    decoded = decode_html(b"<p>ok \xff\xfe\xfa\x80 \x81</p>", "text/html; charset=utf-8")
    assert decoded.lossy and "ok" in decoded.text


def test_bom_wins():
    assert (
        decode_html(b"\xef\xbb\xbf<p>\xe4\xb8\xad</p>", "text/html; charset=gbk").text
        == "<p>中</p>"
    )


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("发布日期：2024年3月5日 来源：工信部", "2024-03-05"),
        ("发布时间: 2024-03-05 10:30", "2024-03-05T10:30:00"),
        ("成文日期 2023/12/31", "2023-12-31"),
        ("日期：2024年13月45日", None),  # not a date
        ("文号：工信部联电子〔2024〕12号", None),  # a year in a document number is not a date
    ],
)
def test_labelled_dates(text, expected):
    assert labelled_date(text) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-03-05", "2024-03-05"),
        ("2024-03-09T08:30:00+08:00", "2024-03-09T08:30:00+08:00"),
        ("Tue, 05 Mar 2024 10:00:00 +0800", "2024-03-05T02:00:00+00:00"),
        ("2024年3月5日", "2024-03-05"),
        ("yesterday", None),
        (None, None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


# --- language ------------------------------------------------------------------------------------


def test_chinese_with_latin_acronyms_is_chinese():
    assert detect("MIIT发布通知", f"MIIT和NDRC联合发布。{ZH}").language == "zh"


def test_english_quoting_chinese_names_is_english():
    text = (
        "The Ministry of Industry and Information Technology (工信部) said on Tuesday it would "
        "support chip makers and wafer fabs with new funding and faster approvals."
    )
    assert detect("MIIT backs chip makers", text).language == "en"


def test_too_short_text_takes_the_source_hint():
    assert detect("OK", "2024", hint="zh").language == "zh"
    assert detect(None, "", hint="en").method == "hint"


def test_detection_is_deterministic():
    text = "Die Regierung fördert die Halbleiterindustrie mit neuen Subventionen für Fabriken."
    results = {detect(None, text).language for _ in range(5)}
    assert results == {"de"}


def test_japanese_and_korean_are_not_mistaken_for_chinese():
    assert detect(None, "経済産業省は半導体工場への補助金を発表しました。").language == "ja"
    assert detect(None, "산업통상자원부는 반도체 지원 정책을 발표했습니다.").language == "ko"


# --- URLs ----------------------------------------------------------------------------------------


def test_canonicalize_drops_tracking_and_fragment():
    assert (
        canonicalize("HTTP://WWW.Example.GOV.cn:80/a/b.html?utm_source=x&b=2&spm=1.2&a=1#top")
        == "http://www.example.gov.cn/a/b.html?a=1&b=2"
    )


def test_declared_canonical_is_trusted_only_on_the_same_site():
    fetched = "https://www.site.cn/news/1.html?from=rss"
    assert choose_canonical(fetched, "https://site.cn/news/1.html") == "https://site.cn/news/1.html"
    assert (
        choose_canonical(fetched, "https://other.cn/news/1.html")
        == "https://www.site.cn/news/1.html"
    )
    assert choose_canonical(fetched, "https://www.site.cn/") == "https://www.site.cn/news/1.html"
    assert choose_canonical(fetched, "/news/1.html") == "https://www.site.cn/news/1.html"


def test_document_id_is_stable_and_url_based():
    assert document_id("http://a/b") == document_id("http://a/b") != document_id("http://a/c")


def test_empty_and_garbage_pages_give_empty_text_not_errors():
    for body in (b"", b"   ", b"\x00\x01\x02binary", b"<html><body></body></html>", b"<<<>>>"):
        doc = analyse_page(body, "http://x.test/a")
        assert doc["text"] == "" or len(doc["text"]) < 40
        assert doc["content_hash"] is None or doc["text"]


def test_a_windows_1252_page_that_declares_utf8_is_read_as_windows_1252():
    from monitor.text.encoding import decode_html

    text = "The café’s naïve owner said “déjà vu” – the façade was rebuilt in 1998. " * 5
    page = f"<html><head><meta charset='utf-8'></head><body><p>{text}</p></body></html>"
    decoded = decode_html(page.encode("cp1252"), "text/html; charset=utf-8")
    assert decoded.encoding == "cp1252" and not decoded.lossy
    assert "café’s naïve" in decoded.text and "\ufffd" not in decoded.text


def test_a_gbk_page_that_declares_utf8_is_still_read_as_gb18030():
    from monitor.text.encoding import decode_html

    text = "为加快集成电路设计产业发展，现将有关事项通知如下。" * 4
    page = f"<html><head><meta charset='utf-8'></head><body><p>{text}</p></body></html>"
    decoded = decode_html(page.encode("gbk"), "text/html; charset=utf-8")
    assert decoded.encoding == "gb18030" and text in decoded.text


# --- pages that are not articles ---------------------------------------------------------------


def test_pages_that_are_not_articles_are_told_by_their_reason():
    from tests.sites.hostile.cases import NOT_ARTICLES

    for reason, page in NOT_ARTICLES.items():
        assert analyse_page(page, "http://gov.example/x.html")["not_article"] == reason
    english_404 = (
        b"<html><head><title>Pacific Industry Review</title></head><body><nav><a href='/'>Home"
        b"</a></nav><main><h1>Sorry, we couldn't find that page</h1><p>The page you requested "
        b"was not found. It may have been moved.</p></main></body></html>"
    )
    assert analyse_page(english_404, "http://news.example/x")["not_article"] == "soft_404"


def test_articles_are_not_taken_for_anything_else():
    from monitor.demo.sites import SITES

    pages = list((SITES / "www").rglob("*.html"))
    articles = [p for p in pages if not p.name.startswith("index")]
    fronts = [p for p in pages if p.name.startswith("index")]  # the policy site's listing pages
    assert len(articles) > 20
    for path in articles:
        found = analyse_page(path.read_bytes(), f"http://demo.example/{path.name}")
        assert found["not_article"] is None, path
    for path in fronts:
        found = analyse_page(path.read_bytes(), f"http://demo.example/{path.name}")
        assert found["not_article"] == "section_front", path
    # an article that mentions a 404 and says "not found" is still an article
    story = (
        b"<html><head><title>Error 404 pages cost retailers sales, study says</title></head><body>"
        b"<article><h1>Error 404 pages cost retailers sales</h1><p>"
        + b"Shoppers who meet a page that is not found leave the site, the survey of retailers "
        b"found, and many never return to finish their purchase. "
        * 4
        + b"</p></article></body></html>"
    )
    assert analyse_page(story, "http://news.example/404-study")["not_article"] is None


def test_the_body_leaves_out_metadata_rows_a_repeated_headline_and_credits():
    from monitor.text.body import clean_body

    title = "关于开展晶圆键合工艺攻关的通知"
    text = (
        "| 索引号： | 1234/2024-001 | 发文机关： | 江东省工业和信息化厅 |\n"
        "| 标 题： | 关于开展晶圆键合工艺攻关的通知 | | |\n"
        "关于开展晶圆键合 工艺攻关的通知\n"
        "各有关单位：现组织开展攻关。\n"
        "| 项目 | 金额（万元） |\n"
        "（责任编辑：李明）"
    )
    assert clean_body(text, title) == "各有关单位：现组织开展攻关。\n| 项目 | 金额（万元） |"
    assert clean_body("（责任编辑：李明）", None) == "（责任编辑：李明）"  # never to nothing


# --- headlines ------------------------------------------------------------------------------


def page(title: str, head: str = "", body: str = "") -> object:
    from lxml import html

    return html.fromstring(f"<title>{title}</title>{head}<body>{body}</body>")


SITE = '<meta property="og:site_name" content="{}">'
PUBLISHER = '<script type="application/ld+json">{{"@type": "NewsArticle", "publisher": {{"name": "{}"}}}}</script>'  # noqa: E501
HEADLINES = [
    # the site's name, from og:site_name, the host, or the JSON-LD publisher, any separator
    ("Chip exports slow | Pacific Review", SITE.format("Pacific Review"), "", "pacific.example",
     "Chip exports slow"),
    ("Neue Chipfabrik: Was kommt? - Golem.de", "", "", "www.golem.de",
     "Neue Chipfabrik: Was kommt?"),
    ("停戦「最も合意に近い」 | 毎日新聞", PUBLISHER.format("毎日新聞"), "", "mainichi.example",
     "停戦「最も合意に近い」"),
    # the stated headline the title starts with; dates and sections go with the site's name
    ("Gegenoffensive: Ziele, Chancen | DW | 28.04.2023", "",
     "<h1>Gegenoffensive: Ziele, Chancen</h1>", "www.dw.com", "Gegenoffensive: Ziele, Chancen"),
    ("장동혁, 한동훈 제명했지만-정치ㅣ한국일보", SITE.format("한국일보"), "", "www.hankookilbo.com",
     "장동혁, 한동훈 제명했지만"),
    # a headline with a separator of its own is never cut; nor is a title without decoration
    ("Trade war - what comes next", "", "<h1>Trade war - what comes next</h1>", "news.example",
     "Trade war - what comes next"),
    ("COVID-19 vaccines – the evidence", "", "", "health.example",
     "COVID-19 vaccines – the evidence"),
]  # fmt: skip


@pytest.mark.parametrize(("title", "head", "body", "host", "expected"), HEADLINES)
def test_the_headline_not_the_browser_title(title, head, body, host, expected):
    from monitor.text.titles import headline

    assert headline(title, page(title, head, body), f"https://{host}/a") == expected


def test_the_pages_own_statements_date_and_authors():
    from monitor.text.titles import stated_metadata

    ld = (
        '<script type="application/ld+json">{"@graph": [{"@type": "WebSite", "name": "x"}, '
        '{"@type": "NewsArticle", "datePublished": "2024-04-25T23:30:00+02:00", "author": '
        '[{"@type": "Person", "name": "By Ann Li"}, {"@type": "Person", "name": "Bo Wu ann@x.org"},'
        ' {"@type": "Organization", "name": "Pacific Review"}]}]}</script>'
    )
    stated = stated_metadata(page("t", ld))
    assert stated["published"] == "2024-04-25T23:30:00+02:00"  # time and zone kept
    assert stated["authors"] == ["Ann Li", "Bo Wu"] and stated["organizations"] == [
        "Pacific Review"
    ]
    assert stated_metadata(page("t", '<script type="application/ld+json">{oops</script>')) == {}
