"""Two announcement APIs for the fixture server, in the shapes of the real ones (fictional data):

- CNINFO-style (A shares): POST form to /new/hisAnnouncement/query with stock (code,orgId),
  seDate ("YYYY-MM-DD~YYYY-MM-DD"), pageNum, pageSize; answers {"announcements": [...],
  "totalAnnouncement": N, "hasMore": bool}, times in epoch milliseconds (announcements are
  dated at midnight Beijing time: the previous day in UTC), PDF paths relative. The orgId of a
  dual-listed company is not `gs` + code: POST /new/information/topSearch/query (keyWord,
  maxNum) answers [{"code", "orgId", "category", "zwjc", ...}] and gives it.
- HKEX-style (English): GET /search/titleSearchServlet.do with stockId, fromDate/toDate
  (YYYYMMDD) and rowRange (rows loaded so far, growing by 2); answers {"result": "<the list as a
  JSON string>", "hasNextRow": bool}, dates as "dd/mm/yyyy HH:MM" in Hong Kong time, a stock
  with two counters as "09999<br/>89999" (its names likewise), categories with entities
  ("&#x2f;").

Both filter by company and date window, so a wrong parameter gives a wrong answer, as for real.
`install(server)` mounts them on a monitor.demo.server.SiteServer.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

from monitor.demo.sites.docs.build import FILINGS

CNINFO_CODE, CNINFO_ORG = "688999", "gshk0009999"  # dual-listed: not gssh0688999
BEIJING = timezone(timedelta(hours=8))
HKEX_STOCK_ID, HKEX_CODE, HKEX_SECOND = "7999", "09999", "89999"  # two counters (HKD, RMB)
CATEGORY = {
    "1219000001": "年度报告摘要",
    "1219000002": "重大合同",
    "1219000003": "政府补助",
}


def _json(payload: dict | list) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return 200, {"Content-Type": "application/json;charset=UTF-8"}, body


def cninfo(method: str, query: dict[str, str], body: bytes):
    if method != "POST":
        return 405, {"Content-Type": "text/plain"}, b"POST only"
    form = dict(parse_qsl(body.decode()))
    since, _, until = form.get("seDate", "~").partition("~")
    page, size = int(form.get("pageNum", 1)), int(form.get("pageSize", 30))
    rows = []
    if form.get("stock", "").split(",")[0] == CNINFO_CODE:
        for exchange, path, day, title, _ in FILINGS:
            if exchange == "cninfo" and since <= day <= until:
                moment = datetime.fromisoformat(day).replace(tzinfo=BEIJING)  # 00:00 +08:00
                announcement_id = path.rsplit("/", 1)[-1].split(".")[0]
                rows.append(
                    {
                        "secCode": CNINFO_CODE,
                        "secName": "华辰半导体",
                        "orgId": CNINFO_ORG,
                        "announcementId": announcement_id,
                        "announcementTitle": title.replace("华辰", "<em>华辰</em>", 1),
                        "announcementTime": int(moment.timestamp() * 1000),
                        "adjunctUrl": path,
                        "adjunctType": "PDF",
                        "announcementTypeName": CATEGORY[announcement_id],
                    }
                )
    rows.sort(key=lambda r: -r["announcementTime"])
    chunk = rows[(page - 1) * size : page * size]
    return _json(
        {
            "announcements": chunk or None,
            "totalAnnouncement": len(rows),
            "hasMore": page * size < len(rows),
        }
    )


def hkex(method: str, query: dict[str, str], body: bytes):
    since, until = query.get("fromDate", ""), query.get("toDate", "")
    loaded = int(query.get("rowRange", 2))
    rows = []
    if query.get("stockId") == HKEX_STOCK_ID:
        for exchange, path, day, title, _ in FILINGS:
            compact = day.replace("-", "")
            if exchange == "hkex" and since <= compact <= until:
                rows.append(
                    {
                        "STOCK_CODE": f"{HKEX_CODE}<br/>{HKEX_SECOND}",
                        "STOCK_NAME": "HUACHEN SEMI<br/>HUACHEN SEMI-R",
                        "TITLE": title,
                        "DATE_TIME": datetime.fromisoformat(day).strftime("%d/%m/%Y 19:05"),
                        "FILE_LINK": "/hkex/" + path,
                        "FILE_TYPE": "PDF",
                        "LONG_TEXT": "Announcements and Notices - [Results &#x2f; Others]",
                        "SHORT_TEXT": "Announcements and Notices",
                    }
                )
    rows.sort(key=lambda r: r["FILE_LINK"], reverse=True)
    shown = rows[:loaded]
    return _json(
        {
            "result": json.dumps(shown) if shown else "null",
            "hasNextRow": loaded < len(rows),
            "loadedRecord": len(shown),
            "recordCnt": len(rows),
        }
    )


def cninfo_search(method: str, query: dict[str, str], body: bytes):
    """CNINFO's own lookup: the securities matching a keyword, with their orgId."""
    form = dict(parse_qsl(body.decode())) if method == "POST" else query
    found = []
    if form.get("keyWord") in (CNINFO_CODE, "华辰半导体"):
        found = [
            {"code": "09999", "orgId": "gshk0009999", "category": "港股", "zwjc": "华辰半导体"},
            {"code": CNINFO_CODE, "orgId": CNINFO_ORG, "category": "A股", "zwjc": "华辰半导体"},
        ]
    return _json(found)


def install(server) -> None:
    server.routes["/new/information/topSearch/query"] = cninfo_search
    server.routes["/new/hisAnnouncement/query"] = cninfo
    server.routes["/search/titleSearchServlet.do"] = hkex
