"""Column pages whose list their script builds, shaped as the real ones are (fictional content):

- a MIIT-style jpaas shell: the column page holds only `<script src=".../unitbuild.js" url=
  "/api-gateway/jpaas-publish-server/front/page/build/unit" queryData="{...}">`; the endpoint
  answers GET with the queryData parameters (and `paramJson={"pageNo":N}` for later pages) with
  `{"success":true,"data":{"html":"<ul><li><a href title>..</a><span>date</span></li>..</ul>"}}`,
  five items a page, and refuses (success false) a request without the unit's webId and pageId;
- a Jiangsu-style jpage column: the page carries its first records in a `<datastore>` and the
  jpage script's configuration (proxyUrl, perPage, totalRecord, the unit's parameters); the data
  proxy answers POST `?startrecord=A&endrecord=B&perpage=P` with the unit's form fields with
  `<datastore><totalrecord>N</totalrecord><recordset><record><![CDATA[<li>..]]></record>..`,
  and an empty recordset to a form without the right columnid and unitid.

`ShellSite(root).install(server)` writes the pages and mounts the two endpoints; `add_article`
publishes one more article (newest first), for the incremental test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qsl

JPAAS_QUERY = {
    "parseType": "buildstatic",
    "webId": "8d828e408d90447786ddbe128d495e9e",
    "tplSetId": "209741b2109044b5b7695700b2bec37e",
    "pageType": "column",
    "tagId": "右侧内容",
    "editType": "null",
    "pageId": "1b56e5adc362428299dfc3eb444fe23a",
}
JPAAS_PAGE_SIZE = 5
JPAGE_UNIT = {"webid": "23", "columnid": "6197", "unitid": "17546"}
JPAGE_PER_PAGE = 3  # the jpage script's perPage; it asks for three pages at a time

ARTICLE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{day} 09:30">
</head><body><div class="header">首页 | 政务公开</div>
<div class="article"><h1>{title}</h1><div class="info">发布时间：{day}</div>
<div id="con_con"><p>{body}</p>
<p>各有关单位要结合实际，认真组织实施，确保各项任务落到实处。</p></div>
</div><div class="footer">版权所有 网站标识码</div></body></html>"""


@dataclass
class ShellSite:
    root: Path
    jpaas: list[tuple[str, str, str]] = field(default_factory=list)  # (path, title, day)
    jpage: list[tuple[str, str, str]] = field(default_factory=list)

    def install(self, server) -> ShellSite:
        start = date(2026, 9, 30)
        for n in range(8):
            day = (start - timedelta(days=n)).isoformat()
            self.jpaas.append(self._article("jpaas", n, day, "关于印发集成电路产业政策的通知"))
        for n in range(12):
            day = (start - timedelta(days=2 * n)).isoformat()
            self.jpage.append(self._article("jpage", n, day, "省工业和信息化厅关于智能制造的通知"))
        self._write_pages()
        server.routes["/api-gateway/jpaas-publish-server/front/page/build/unit"] = (
            self.jpaas_endpoint
        )
        server.routes["/module/web/jpage/dataproxy.jsp"] = self.jpage_endpoint
        return self

    def add_article(self, kind: str) -> str:
        """One more article at the head of a list; its path."""
        items = self.jpaas if kind == "jpaas" else self.jpage
        article = self._article(kind, len(items), "2026-10-01", "关于新一批专项资金的公告")
        items.insert(0, article)
        self._write_pages()
        return article[0]

    def _article(self, kind: str, n: int, day: str, title: str) -> tuple[str, str, str]:
        if kind == "jpaas":
            path = f"/zwgk/zcwj/wjfb/tz/art/2026/art_{n:04d}aa{n * 7:04d}.html"
        else:
            path = f"/art/{day.replace('-0', '/').replace('-', '/')}/art_6197_{1000 + n}.html"
        title = f"{title}（第{n + 1}号）"
        body = f"{title}。为贯彻落实国家战略，现就第{n + 1}批事项通知如下，请遵照执行。"
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(ARTICLE.format(title=title, day=day, body=body), encoding="utf-8")
        return path, title, day

    def _write_pages(self) -> None:
        query = json.dumps(JPAAS_QUERY, ensure_ascii=False).replace('"', "'")
        miit = self.root / "zwgk/zcwj/wjfb/tz/index.html"
        miit.parent.mkdir(parents=True, exist_ok=True)
        miit.write_text(
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知文件</title></head>'
            '<body><div class="page-content"><div class="clist_con">'
            '<script id="unit_1" type="text/javascript" '
            'src="/cms_files/jcms1/web1/site/script/AuthorizedRead/unitbuild.js?v=1" '
            'url="/api-gateway/jpaas-publish-server/front/page/build/unit" '
            f'queryData="{query}"></script></div></div></body></html>',
            encoding="utf-8",
        )
        first = self.jpage[: JPAGE_PER_PAGE * 3]
        records = "".join(f"<record><![CDATA[{_item(*a)}]]></record>" for a in first)
        unit = JPAGE_UNIT
        proxy = (
            f"/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid={unit['webid']}&path=/"
            f"&columnid={unit['columnid']}&unitid={unit['unitid']}&webname=test&permissiontype=0"
        )
        jiangsu = self.root / "col/col6197/index.html"
        jiangsu.parent.mkdir(parents=True, exist_ok=True)
        jiangsu.write_text(
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>政策文件</title></head>'
            f'<body><div class="default_pgContainer" id="{unit["unitid"]}">'
            '<script type="text/xml"><datastore>'
            f'<nextgroup><![CDATA[<a href="{proxy}"></a>]]></nextgroup>'
            f"<recordset>{records}</recordset></datastore></script></div>"
            '<script language="javascript" src="/module/web/jpage/jpage.js"></script>'
            "<script>$(function(){$('#" + unit["unitid"] + "').jpage({dataStore: dataStore,"
            " proxyUrl:'/module/web/jpage/dataproxy.jsp', perPage:" + str(JPAGE_PER_PAGE) + ","
            f" totalRecord:{len(self.jpage)}, groupSize:3, barPosition:'bottom',"
            f" ajaxParam:{{col:1, appid:1, webid:{unit['webid']}, path:'/',"
            f" columnid:{unit['columnid']}, sourceContentType:1, unitid:{unit['unitid']},"
            " webname:'test', permissiontype:0}});});</script></body></html>",
            encoding="utf-8",
        )

    def jpaas_endpoint(self, method: str, query: dict[str, str], body: bytes):
        if method != "GET":
            return 405, {"Content-Type": "text/plain"}, b"GET only"
        wanted = ("webId", "pageId", "tplSetId")
        if any(query.get(k) != JPAAS_QUERY[k] for k in wanted) or query.get("parseType") not in (
            "buildstatic",
            "bulidstatic",
        ):
            answer = {"success": False, "code": "400", "message": "参数错误", "data": None}
        else:
            page = json.loads(query.get("paramJson") or "{}").get("pageNo", 1)
            size = JPAAS_PAGE_SIZE
            chunk = self.jpaas[(int(page) - 1) * size : int(page) * size]
            items = "".join(_item(*a) for a in chunk)
            answer = {"success": True, "code": "200", "data": {"html": f"<ul>{items}</ul>"}}
        payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        return 200, {"Content-Type": "application/json;charset=UTF-8"}, payload

    def jpage_endpoint(self, method: str, query: dict[str, str], body: bytes):
        form = dict(parse_qsl(body.decode("utf-8"))) if method == "POST" else query
        start, end = int(query.get("startrecord", 1)), int(query.get("endrecord", 45))
        rows = []
        if all(form.get(k) == v for k, v in JPAGE_UNIT.items() if k != "webid"):
            rows = self.jpage[start - 1 : end]
        records = "".join(f"<record><![CDATA[{_item(*a)}]]></record>" for a in rows)
        xml = (
            f'<?xml version="1.0" encoding="utf-8"?><datastore><totalrecord>{len(self.jpage)}'
            f"</totalrecord><totalpage>{-(-len(self.jpage) // JPAGE_PER_PAGE)}</totalpage>"
            f"<recordset>{records}</recordset></datastore>"
        )
        return 200, {"Content-Type": "text/xml;charset=UTF-8"}, xml.encode("utf-8")


def _item(path: str, title: str, day: str) -> str:
    link = f'<a href="{path}" target="_blank" title="{title}">{title}</a>'
    return f"<li>{link}<span>{day}</span></li>"
