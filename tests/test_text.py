"""Decoding, dates, language detection and URL identity: the pure functions under the pipeline."""

from __future__ import annotations

import pytest

from monitor.text.analyse import analyse_page
from monitor.text.dates import labelled_date, parse_date
from monitor.text.encoding import decode_html
from monitor.text.language import detect
from monitor.text.urls import canonicalize, choose_canonical, document_id

pytestmark = pytest.mark.fast  # no Elasticsearch, Redis or browser

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


def test_a_short_chinese_news_flash_is_as_long_as_an_english_sentence_twice_its_length():
    from monitor.registry import get
    from monitor.text.han import text_size

    flash = "新规明确稀土开采、冶炼分离和出口管制要求，违规出口将受到处罚。"  # 31 characters
    floor = get("MONITOR_MIN_TEXT_CHARS").default
    assert len(flash) < floor <= text_size(flash)
    assert text_size("Rules tightened.") == len("Rules tightened.") < floor
    assert text_size("稀土 rare earths") == len("稀土 rare earths") + 2


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


TEASERS = [
    ("Provinces race to fund drone delivery routes", "Local governments are offering subsidies "
     "for low-altitude logistics as companies test parcel drones over cities."),
    ("Gallium prices climb as export licences trickle out", "Buyers outside China are paying "
     "more for the metal, traders say, while permits remain scarce and slow."),
    ("Steelmakers brace for another year of output curbs", "Mills expect the planning agency "
     "to cap crude steel production again, squeezing margins further this year."),
    ("Shanghai vouchers cut AI start-ups' computing bills", "Start-ups training large models "
     "can recover most of their computing costs under a new city scheme."),
]  # fmt: skip


def test_a_home_page_of_teasers_and_a_site_root_are_fronts():
    cards = "".join(
        f'<div class="card"><h3><a href="/2024/05/{i:02d}/s{i}.html">{title}</a></h3>'
        f"<p>{teaser}</p><span>May {i + 1}, 2024</span></div>"
        for i, (title, teaser) in enumerate(TEASERS)
    )
    home = (
        "<html><head><title>Asia Industry Wire</title></head><body><nav><a href='/'>Home</a> "
        f"<a href='/policy/'>Policy</a></nav><main><h2>Latest</h2>{cards}</main></body></html>"
    ).encode()
    assert analyse_page(home, "http://wire.example/news/latest.html")["not_article"] == (
        "section_front"
    )  # a short paragraph and a date line per item: a list, though every line is prose
    story = (
        "<html><head><title>Steel output curbs</title></head><body><article><h1>Steel output "
        f"curbs</h1><p>{TEASERS[2][1] * 3}</p><p>May 3, 2024</p></article></body></html>"
    ).encode()
    assert analyse_page(story, "http://wire.example/2024/05/03/s2.html")["not_article"] is None
    for root in ("http://wire.example/", "http://wire.example/index.html"):
        assert analyse_page(story, root)["not_article"] == "section_front", root
    assert analyse_page(story, "http://wire.example/?p=12")["not_article"] is None


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
    from monitor.text.article.body import clean_body

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
    # a byline appended to the title goes with the site's name ("*" separates too)
    ("Fedorov out, Syrsky next? * The Daily Wire * by Paul Serran", "", "", "wire.example",
     "Fedorov out, Syrsky next?"),
    ("Shipyard wins order | by a mile", "", "", "ships.example", "Shipyard wins order | by a mile"),
    # a government page with no <h1> and no og:site_name: the name its home link gives, glued on
    ("关于开展揭榜挂帅工作的通知_江东省工业和信息化厅", "",
     '<a href="/"><img src="/logo.png" alt="江东省工业和信息化厅"></a><div class="t">通知</div>',
     "gxt.jiangdong.example", "关于开展揭榜挂帅工作的通知"),
    ("集成电路出口额增长两成-华夏网", "",
     '<a href="http://www.huaxia.example/index.html">华夏网首页</a>', "www.huaxia.example",
     "集成电路出口额增长两成"),
    # a link to somewhere else names nothing; an underscore inside a headline is kept
    ("关于开展揭榜挂帅工作的通知_江东省工业和信息化厅", "",
     '<a href="/zcwj/">江东省工业和信息化厅</a>', "gxt.jiangdong.example",
     "关于开展揭榜挂帅工作的通知_江东省工业和信息化厅"),
    ("Release notes for tool_x 2.0", "", '<a href="/">Example</a>', "tools.example",
     "Release notes for tool_x 2.0"),
]  # fmt: skip


@pytest.mark.parametrize(("title", "head", "body", "host", "expected"), HEADLINES)
def test_the_headline_not_the_browser_title(title, head, body, host, expected):
    from monitor.text.article.titles import headline

    assert headline(title, page(title, head, body), f"https://{host}/a") == expected


def test_the_pages_own_statements_date_and_authors():
    from monitor.text.article.titles import stated_metadata

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


# --- body ----------------------------------------------------------------------------------------


def test_lines_that_are_not_prose_leave_the_body():
    from monitor.text.article.body import clean_body

    text = (
        "Chip exports slow | Pacific Review\n"  # the headline again, with the site's name
        "Exports of chips fell for a third month in May, customs data showed.\n"
        "Read more: Fab subsidies under review\n"
        "Photo: Reuters\n"
        "Lesen Sie auch: Neue Fabrik in Dresden\n"
        "文/许宁\n"
        "2024-07-20 16:42:05 来源：华夏网\n"
        "Read more about the numbers in the appendix, which lists every port."
    )
    assert clean_body(text, "Chip exports slow").split("\n") == [
        "Exports of chips fell for a third month in May, customs data showed.",
        "Read more about the numbers in the appendix, which lists every port.",
    ]


def _paragraphs(prefix: str, n: int) -> str:
    return "".join(
        f"<p>{prefix} paragraph {i} says what happened at the plant on that day, who was there "
        f"and what they said about the new line of wafers.</p>"
        for i in range(n)
    )


def test_an_article_split_over_containers_is_kept_whole_but_not_the_next_story():
    from lxml import html

    from monitor.text.article.body import longer_source
    from monitor.text.article.density import densest_block

    parts = "".join(
        f'<div class="story-part">{_paragraphs(f"Part {k}", 2)}</div><div class="ad">Ad</div>'
        for k in range(4)
    )
    first_part = "\n".join(
        " ".join(p.text_content().split())
        for p in html.fromstring(_paragraphs("Part 0", 2)).iter("p")
    )
    tree = html.fromstring(
        f"<html><body><main><article>{parts}</article>"
        f'<article class="next">{_paragraphs("Next story", 12)}</article>'
        f'<aside class="related">{_paragraphs("Related", 3)}</aside></main></body></html>'
    )
    block = densest_block(tree, first_part)
    assert block.count("\n") + 1 == 8 and "Next story" not in block and "Related" not in block
    assert longer_source(first_part, tree, {}) == block  # a quarter of it: the whole is taken
    # an extraction that is most of the block, or that the block does not contain, stays
    most = "\n".join(block.split("\n")[:5])
    assert longer_source(most, tree, {}) == most
    other = "A different text entirely, about something else, in a page's sidebar box here."
    assert longer_source(other, tree, {}) == other


def test_the_stated_article_body_when_the_extraction_is_a_fraction_of_it():
    from lxml import html

    from monitor.text.article.body import longer_source

    body = "\n".join(
        f"Paragraph {i} of the feature, about the glass beads on the ice." for i in range(9)
    )
    first = "\n".join(body.split("\n")[:3])
    tree = html.fromstring("<p>x</p>")
    assert longer_source(first, tree, {"articleBody": body}) == body


def test_an_article_carried_in_the_pages_data():
    from monitor.text.article.body import data_html_body

    paragraphs = "".join(
        f"\\u003cp\\u003e存储芯片价格第{i}次上涨，服务器内存合约价环比上涨百分之八，固态硬盘上涨百分之六。\\u003c/p\\u003e"
        for i in range(4)
    )
    page = f'<div id="app"></div><script>window.__STATE__={{"contentHtml":"{paragraphs}"}}</script>'
    found = data_html_body(page)
    assert found.count("\n") == 3 and found.startswith("存储芯片价格第0次上涨")
    assert data_html_body('<script>var x = {"a": "no paragraphs here"}</script>') == ""


# --- authors, editors, dates -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("credit", "names"),
    [
        ("By Jane Roe and John Doe", ["Jane Roe", "John Doe"]),
        ("Von Seb Dumitru, Lille", ["Seb Dumitru", "Lille"]),
        ("张三、李四", ["张三", "李四"]),
        ("张三 李四", ["张三", "李四"]),
        ("신현주 기자", ["신현주"]),
        ("Ann Li ann.li@example.org", ["Ann Li"]),
        ("https://www.facebook.com/somepaper", []),
    ],
)
def test_names_in_a_credit(credit, names):
    from monitor.text.article.bylines import split_names

    assert split_names(credit) == names


def test_labelled_credits_authors_and_editors_apart():
    from monitor.text.article.bylines import labelled_credits

    assert labelled_credits("华夏社明州7月20日电（记者 张伟 李娜）江东海关20日发布数据。", "") == (
        ["张伟", "李娜"],
        [],
    )
    # "记者从…获悉" is the reporter learning something, not a byline
    assert labelled_credits("记者从省工业和信息化厅获悉，配套率提高。", "") == ([], [])
    lines = "来源：东方科技报　作者：林晓　编辑：吴畅\n正文"
    assert labelled_credits("", lines) == (["林晓"], ["吴畅"])
    assert labelled_credits("", "Datum\n28.04.2023\nAutorin/Autor\nRoman Goncharenko") == (
        ["Roman Goncharenko"],
        [],
    )
    # a menu item called "Editorial" or "Reporter" labels nobody
    assert labelled_credits("", "Editorial\nPodium\nReporter\nREV") == ([], [])


def test_who_wrote_it_by_order_of_trust():
    from monitor.text.article.bylines import choose_authors

    sites = ["Pacific Review", "pacific.example"]
    # the page's JSON-LD people first; a name the page labels as its editor is never an author
    none = list  # no byline markup
    assert choose_authors({"authors": ["Ann Li"]}, ["Bo Wu"], [], none, [], sites) == ["Ann Li"]
    assert choose_authors({"authors": ["Heryadi"]}, [], [], lambda: ["Naufal Zuhdi"], ["Heryadi"],
                          sites) == ["Naufal Zuhdi"]  # fmt: skip
    # trafilatura's reading that is the site's name gives way to an agency the page names
    stated = {"organizations": ["dpa"]}
    assert choose_authors(stated, [], ["Pacific Review"], none, [], sites) == ["dpa"]
    # and is still better than nothing
    assert choose_authors({}, [], ["Pacific Review"], none, [], sites) == ["Pacific Review"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/2024/07/10/story.html", "2024-07-10"),
        ("https://m.a.example/news/2024/0710/8812.html", "2024-07-10"),
        ("https://gov.example/zcwj/202403/t20240305_101.html", "2024-03-05"),
        ("https://a.example/news/article/A2026012914320005196", "2026-01-29"),
        ("https://a.example/story-2024-02-30-x", None),  # no such day
        ("https://a.example/item/2021051234", None),  # a number, not a date and a time
    ],
)
def test_dates_in_urls(url, expected):
    from monitor.text.article.published import url_date

    assert url_date(url) == expected


def test_publication_date_by_order_of_trust():
    from monitor.text.article.published import date_under_headline, publication_date, title_date

    def date(**given):
        fields = dict(stated={}, tree=None, text="", lines="", page_title=None, headline=None,
                      guessed=None, url=None)  # fmt: skip
        return publication_date(**{**fields, **given})

    assert date(stated={"published": "2024-04-25T23:30:00+02:00"}, guessed="2024-04-20") == (
        "2024-04-25T23:30:00+02:00"
    )
    table = "成文日期：\n2024年07月08日\n发布日期：\n2024年07月10日"  # published, not written
    assert date(lines=table, guessed="2024-07-01") == "2024-07-10"
    assert date(lines="2024-08-06 07:58:21　来源：东方科技报") == "2024-08-06T07:58:21"
    assert title_date("Ukraine: Ziele | DW | 28.04.2023") == "2023-04-28"
    assert title_date("Ukraine: 04/05/2023") is None  # day or month first? not said
    lines = "首页\n评论：补贴之外\n东方科技报　2024年05月12日\n正文"
    assert date_under_headline(lines, "评论：补贴之外") == "2024-05-12"
    assert date(guessed="2024-04-20", url="https://a.example/2024/04/01/x") == "2024-04-20"
    assert date(url="https://a.example/2024/04/01/x") == "2024-04-01"


def test_a_page_is_never_published_after_it_was_fetched():
    from monitor.text.dates import not_after

    fetched = "2024-05-01T02:00:00+00:00"
    assert not_after("2024-05-01T09:30:00+08:00", fetched) is not None  # 01:30 UTC: before
    assert not_after("2024-05-01T12:00:00+08:00", fetched) is None  # 04:00 UTC: after
    assert not_after("2024-05-01", fetched) == "2024-05-01"  # that day, somewhere
    assert not_after("2024-05-02", fetched) is None  # no zone is 14 hours ahead... of 02:00
    assert not_after("2025-01-01", fetched) is None
    assert not_after("2024-05-01T10:00:00", fetched) == "2024-05-01T10:00:00"  # local time
    assert not_after(None, fetched) is None and not_after("garbage", fetched) == "garbage"


def test_a_teaser_for_another_story_is_not_this_ones_prose():
    from lxml import html

    from monitor.text.article.body import clean_body
    from monitor.text.article.links import link_texts

    teaser = "RISK REMAINS: An official said it is unclear whether drills would follow the speech."
    own = "Taiwan raised its alert level on Monday after a carrier group sailed through the strait."
    tree = html.fromstring(
        f"<article><p>{own}</p><a href='/other'><div><p>{teaser}</p></div></a>"
        f"<p>See <a href='/x'>the ministry's statement</a> for the full list of measures.</p>"
        "</article>"
    )
    text = f"{own}\n{teaser}\nSee the ministry's statement for the full list of measures."
    assert clean_body(text, None, link_texts(tree)).split("\n") == [own, text.split("\n")[2]]
