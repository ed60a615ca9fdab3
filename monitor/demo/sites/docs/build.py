"""Build the documents fixture: a provincial government site and two exchanges' filings.

    python monitor/demo/sites/docs/build.py

- /policy/: 西岭省经济和信息化委员会 (fictional), GBK pages behind a createPageHTML(...) pager,
  information-disclosure tables and label lines, and attachments: a Chinese and English PDF, a
  DOCX, an image-only (scanned) PDF, a .wps file (unsupported) and a link to a missing file; one
  policy PDF linked from the listing as a document itself; and an XHR JSON list of the same
  documents, paged (/policy/api/list_{n}.json).
- /cninfo/ and /hkex/: the filings' PDFs; the announcement APIs that list them are dynamic
  (monitor/demo/sites/docs/apis.py).

Writes www/ (committed: the saved pages are the fixtures) and expected.json (every field the crawl
must index). Texts are original; organisations and companies are fictional.
"""

from __future__ import annotations

import datetime
import io
import json
import random
import shutil
import textwrap
from pathlib import Path

HERE = Path(__file__).parent
WWW = HERE / "www"
SITE = "西岭省经济和信息化委员会"

DOCS = [
    {
        "slug": "202403/t20240308_201",
        "layout": "table",
        "title": "西岭省经济和信息化委员会关于印发《西岭省集成电路设计产业扶持办法》的通知",
        "issuer": SITE,
        "doc_number": "西经信电子〔2024〕8号",
        "written": "2024年3月5日",
        "published": "2024-03-08",
        "category": "工业、交通\\信息产业（电子、通信）",
        "status": "有效",
        "index_number": "11650000MB0000001X/2024-00031",
        "body": [
            "各市（州）经济和信息化主管部门：为加快集成电路设计产业发展，现将《西岭省集成电路设计产业扶持办法》印发给你们，请认真贯彻执行。",
            "办法明确，对首次完成流片的设计企业按流片费用的百分之四十给予补助，单个企业年度补助最高一千万元；华辰半导体等重点企业牵头的联合攻关项目可优先推荐申报国家专项。",
        ],
        "attachments": [
            ("附件1：西岭省集成电路设计产业扶持办法.pdf", "files/202403/P020240308_1.pdf", "pdf"),
            ("附件2：补助申请表.docx", "files/202403/P020240308_2.docx", "docx"),
            ("附件3：原件扫描件.pdf", "files/202403/P020240308_3.pdf", "scan"),
        ],
    },
    {
        "slug": "202403/t20240315_202",
        "layout": "lines",
        "title": "关于废止《西岭省电子信息产业园区认定管理暂行办法》的通知",
        "issuer": SITE,
        "doc_number": "西经信规〔2024〕3号",
        "written": "2024年3月12日",
        "published": "2024-03-15",
        "category": "综合政务\\其他",
        "status": "废止",
        "index_number": "11650000MB0000001X/2024-00035",
        "body": [
            "经研究，决定废止《西岭省电子信息产业园区认定管理暂行办法》，自本通知印发之日起施行。此前已认定的园区按照新的产业园区评价办法进行复核。",
        ],
        "attachments": [
            ("附件：原办法文本.wps", "files/202403/P020240315_1.wps", "wps"),
            ("附件：复核名单.pdf", "files/202403/P020240315_missing.pdf", "missing"),
        ],
    },
    {
        "slug": "202404/t20240402_203",
        "layout": "table",
        "title": "西岭省经济和信息化委员会 西岭省财政厅关于开展2024年度工业设计中心认定工作的通知",
        "issuer": "西岭省经济和信息化委员会 西岭省财政厅",
        "doc_number": "西经信联规〔2024〕2号",
        "written": "2024年3月29日",
        "published": "2024-04-02",
        "category": "工业、交通\\其他",
        "status": "有效",
        "index_number": "11650000MB0000001X/2024-00041",
        "body": [
            "为推动工业设计与制造业深度融合，省经济和信息化委员会、省财政厅决定开展2024年度省级工业设计中心认定工作。",
            "申报单位应当在本省注册，具有独立法人资格，近三年工业设计投入年均增长不低于百分之十。认定结果将向社会公示。",
        ],
        "attachments": [],
    },
    {
        "slug": "202404/t20240418_204",
        "layout": "table",
        "title": "西岭省关于推进智能传感器产业链协同发展的若干措施",
        "issuer": SITE,
        "doc_number": "西经信电子〔2024〕15号",
        "written": "2024年4月16日",
        "published": "2024-04-18",
        "category": "工业、交通\\信息产业（电子、通信）",
        "status": "有效",
        "index_number": "11650000MB0000001X/2024-00047",
        "body": [
            "为提升智能传感器产业链供应链韧性，推动芯片设计、晶圆制造、封装测试和模组应用协同发展，制定以下措施。",
            "对本省企业首次采购省内企业生产的传感器芯片并实现批量应用的，按采购金额的百分之十五给予奖励。",
        ],
        "attachments": [
            ("Annex: English summary.pdf", "files/202404/P020240418_1.pdf", "pdf-en"),
        ],
    },
]
LISTING_PDF = {
    "path": "files/202404/P020240425_205.pdf",
    "first_line": "西岭省工业领域数字化转型实施方案（2024—2026年）",
    "text": [
        "西岭省工业领域数字化转型实施方案（2024—2026年）",
        "到2026年，全省规模以上工业企业关键工序数控化率达到百分之六十五，建成一百家智能工厂。",
    ],
}
PAGES = [DOCS[0:2], DOCS[2:4], []]  # the third page lists the PDF only

PDF_TEXT = {
    "files/202403/P020240308_1.pdf": [
        "西岭省集成电路设计产业扶持办法",
        "第一条 为支持集成电路设计企业做大做强，制定本办法。",
        "第二条 首次完成流片的设计企业，按流片费用的百分之四十给予补助。",
        "Article 2: first tape-out support covers forty percent of the wafer cost.",
    ],
    "files/202404/P020240418_1.pdf": [
        "Measures on coordinated development of the smart sensor industry chain",
        "Purchases of locally made sensor chips in volume earn a fifteen percent reward.",
        "The measures cover chip design, wafer fabrication, packaging and module applications.",
    ],
}
DOCX_TEXT = [
    "西岭省集成电路设计企业流片补助申请表",
    "企业名称、统一社会信用代码、流片项目名称、流片费用（万元）",
]

# filings: (exchange, path, date, title, lines)
FILINGS = [
    ("cninfo", "finalpage/2024-03-29/1219000001.PDF", "2024-03-29", "华辰半导体2023年年度报告摘要",
     ["华辰半导体股份有限公司2023年年度报告摘要", "报告期内公司实现营业收入四十二亿元，同比增长百分之十八，十二英寸晶圆产能利用率保持高位。"]),
    ("cninfo", "finalpage/2024-04-12/1219000002.PDF", "2024-04-12", "华辰半导体关于签订重大设备采购合同的公告",
     ["华辰半导体股份有限公司关于签订重大设备采购合同的公告", "公司与设备供应商签订光刻及刻蚀设备采购合同，合同总金额约九亿元。"]),
    ("cninfo", "finalpage/2024-05-08/1219000003.PDF", "2024-05-08", "华辰半导体关于获得政府补助的公告",
     ["华辰半导体股份有限公司关于获得政府补助的公告", "公司近日收到西岭省集成电路设计产业扶持资金三千万元。"]),
    ("hkex", "listedco/listconews/sehk/2024/0328/2024032800123.pdf", "2024-03-28", "ANNUAL RESULTS ANNOUNCEMENT FOR THE YEAR ENDED 31 DECEMBER 2023",
     ["Huachen Semiconductor Company Limited", "Annual results: revenue grew eighteen percent to RMB 4.2 billion on strong 12-inch wafer demand."]),
    ("hkex", "listedco/listconews/sehk/2024/0415/2024041500088.pdf", "2024-04-15", "VOLUNTARY ANNOUNCEMENT - MAJOR EQUIPMENT PURCHASE",
     ["Huachen Semiconductor Company Limited", "The company signed purchase contracts for lithography and etching equipment worth about RMB 900 million."]),
]  # fmt: skip

HEAD = """<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>{title}_{site}</title></head><body>
<div class="header"><div class="logo">{site}</div><ul class="nav"><li><a href="/policy/index.html">政策文件</a></li><li><a href="/policy/">政务公开</a></li></ul></div>
"""
FOOT = """<div class="footer">主办单位：{site}　网站标识码：6500000099　ICP备案号：西ICP备00000000号</div></body></html>"""


def write(path: str, content: str | bytes, encoding: str = "gbk") -> None:
    target = WWW / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))


def meta_block(d: dict) -> str:
    if d["layout"] == "table":
        cells = [
            ("索引号：", d["index_number"], "主题分类：", d["category"]),
            ("发文机关：", d["issuer"], "成文日期：", d["written"]),
            ("标　　题：", d["title"], "", ""),
            (
                "发文字号：",
                d["doc_number"].replace("〔", "[").replace("〕", "]"),
                "发布日期：",
                d["published"],
            ),
            ("有 效 性：", d["status"], "", ""),
        ]
        rows = "".join(
            "<tr>" + "".join(f"<td>{c}</td>" for c in row if c) + "</tr>" for row in cells
        )
        return f'<table class="xxgk">{rows}</table>'
    return (
        f'<div class="info"><p>索引号：{d["index_number"]}　主题分类：{d["category"]}</p>'
        f"<p>发布机构：{d['issuer']}　文号：{d['doc_number']}</p>"
        f"<p>成文日期：{d['written']}　发布日期：{d['published'].replace('-', '年', 1).replace('-', '月') + '日'}</p>"
        f"<p>时效性：已{d['status']}</p></div>"
    )


def doc_page(d: dict) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in d["body"])
    links = "".join(
        f'<p><a href="/policy/{path}">{name}</a></p>' for name, path, _ in d["attachments"]
    )
    return (
        HEAD.format(title=d["title"], site=SITE)
        + f'<div class="crumb">当前位置：首页 &gt; 政策文件</div><div class="article">{meta_block(d)}'
        + f'<h1>{d["title"]}</h1><div class="content">{paragraphs}</div>'
        + (f'<div class="fujian">{links}</div>' if links else "")
        + '<div class="print">【打印本页】【关闭窗口】</div></div>'
        + FOOT.format(site=SITE)
    )


def listing(n: int, docs: list[dict]) -> str:
    items = "".join(
        f'<li><a href="./{d["slug"]}.html">{d["title"]}</a><span>{d["published"]}</span></li>'
        for d in docs
    )
    if n == 2:
        items += f'<li><a href="./{LISTING_PDF["path"]}">{LISTING_PDF["first_line"]}</a></li>'
    return (
        HEAD.format(title="政策文件", site=SITE)
        + f'<ul class="zcwj-list">{items}</ul><div class="page"><script language="JavaScript">'
        + f'createPageHTML(3, {n}, "index", "html");</script></div>'
        + FOOT.format(site=SITE)
    )


def pdf(lines: list[str]) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    y = 780
    for line in lines:
        font = "Helvetica" if line.isascii() else "STSong-Light"
        # typeset as a real document is: Latin text breaks between words, Chinese anywhere
        if font == "Helvetica":
            rows = textwrap.wrap(line, 80)
        else:
            rows = [line[start : start + 36] for start in range(0, len(line), 36)]
        for row in rows:
            page.setFont(font, 11)
            page.drawString(60, y, row)
            y -= 20
    page.showPage()
    page.save()
    return out.getvalue()


def scanned_pdf() -> bytes:
    """An image-only PDF: a 'photo' of a page (grey noise and dark bars), no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rng = random.Random(5)
    image = Image.new("L", (400, 560), 235)
    draw = ImageDraw.Draw(image)
    for row in range(40, 520, 24):
        draw.rectangle((40, row, 40 + rng.randint(200, 320), row + 10), fill=40)
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.drawImage(ImageReader(image), 60, 120, width=400, height=560)
    page.showPage()
    page.save()
    return out.getvalue()


def docx(lines: list[str]) -> bytes:
    from docx import Document

    document = Document()
    document.core_properties.created = datetime.datetime(2024, 3, 8)
    document.core_properties.modified = datetime.datetime(2024, 3, 8)
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def main() -> None:
    shutil.rmtree(WWW, ignore_errors=True)
    expected = []
    for n, docs in enumerate(PAGES):
        write(f"/policy/{'index' if n == 0 else f'index_{n}'}.html", listing(n, docs))
    api_pages = [DOCS[0:2], DOCS[2:4]]
    for n, docs in enumerate(api_pages, start=1):
        entries = [
            {"title": d["title"], "url": f"/policy/{d['slug']}.html", "pubDate": d["published"]}
            for d in docs
        ]
        body = {"code": 0, "data": {"list": entries, "hasMore": n < len(api_pages)}}
        write(f"/policy/api/list_{n}.json", json.dumps(body, ensure_ascii=False), "utf-8")
    for d in DOCS:
        write(f"/policy/{d['slug']}.html", doc_page(d))
        attachments = []
        for name, path, kind in d["attachments"]:
            if kind in ("pdf", "pdf-en"):
                write(f"/policy/{path}", pdf(PDF_TEXT[path]))
                attachments.append({"name": name, "format": "pdf", "lines": PDF_TEXT[path]})
            elif kind == "docx":
                write(f"/policy/{path}", docx(DOCX_TEXT))
                attachments.append({"name": name, "format": "docx", "lines": DOCX_TEXT})
            elif kind == "scan":
                write(f"/policy/{path}", scanned_pdf())
                attachments.append({"name": name, "format": "pdf", "scanned": True})
            elif kind == "wps":
                write(f"/policy/{path}", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
                attachments.append({"name": name, "format": "wps", "error": "unsupported"})
            else:
                attachments.append({"name": name, "error": "HTTP 404"})
        expected.append(
            {
                "path": f"/policy/{d['slug']}.html",
                "title": d["title"],
                "paragraphs": d["body"],
                "policy": {
                    "issuer": d["issuer"],
                    "doc_number": d["doc_number"],
                    "written_date": _iso(d["written"]),
                    "published_date": d["published"],
                    "category": d["category"],
                    "status": d["status"],
                    "index_number": d["index_number"],
                },
                "attachments": attachments,
            }
        )
    write(f"/policy/{LISTING_PDF['path']}", pdf(LISTING_PDF["text"]))
    for exchange, path, _, _, lines in FILINGS:
        write(f"/{exchange}/{path}", pdf(lines))
    (HERE / "expected.json").write_text(
        json.dumps({"policy": expected, "listing_pdf": LISTING_PDF}, indent=1, ensure_ascii=False)
        + "\n"
    )
    print(f"wrote {sum(1 for p in WWW.rglob('*') if p.is_file())} files")


def _iso(chinese: str) -> str:
    y, rest = chinese.split("年")
    m, d = rest.rstrip("日").split("月")
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


if __name__ == "__main__":
    main()
