"""Times in their own zone (monitor.text.zones), and API fields as the exchanges send them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from monitor.sources.api import ApiSpec
from monitor.text.zones import localize, shown, source_zone
from spiders.api import counters, map_entry, to_iso
from spiders.shells import ShellError, find_shell, read_jpaas, read_jpage

pytestmark = pytest.mark.fast  # no Elasticsearch, Redis or browser


def _source(**fields):
    base = {"timezone": None, "hosts": (), "language": None, "api": None}
    return SimpleNamespace(**{**base, **fields})


@pytest.mark.parametrize(
    "source, zone",
    [
        (_source(timezone="Europe/London", language="zh"), "Europe/London"),  # stated wins
        (_source(language="zh"), "Asia/Shanghai"),
        (_source(hosts=("miit.gov.cn",)), "Asia/Shanghai"),
        (_source(hosts=("hkexnews.hk",), language="en"), "Asia/Shanghai"),
        (_source(api=SimpleNamespace(exchange="HKEX"), hosts=("127.0.0.1",)), "Asia/Shanghai"),
        (_source(hosts=("scmp.com",), language="en"), "UTC"),
    ],
)
def test_a_source_zone(source, zone):
    assert source_zone(source) == zone


@pytest.mark.parametrize(
    "value, zone, stored",
    [
        ("2026-09-09T17:27:00", "Asia/Shanghai", "2026-09-09T17:27:00+08:00"),
        ("2026-09-09T17:27:00+00:00", "Asia/Shanghai", "2026-09-09T17:27:00+00:00"),  # kept
        ("2026-09-09", "Asia/Shanghai", "2026-09-09"),  # a calendar day stays one
        ("2026-07-01T09:00:00", "Europe/London", "2026-07-01T09:00:00+01:00"),  # summer time
        (None, "UTC", None),
    ],
)
def test_a_time_without_a_zone_gets_the_source_zone(value, zone, stored):
    assert localize(value, zone) == stored


def test_epoch_values_stay_exact_and_show_the_source_date():
    midnight_beijing = 1_725_811_200_000  # 2024-09-09T00:00+08:00 = 2024-09-08T16:00Z
    stored = to_iso(midnight_beijing, zone="Asia/Shanghai")
    assert stored == "2024-09-09T00:00:00+08:00"
    assert shown(stored) == "2024-09-09"  # the source's date
    assert shown(stored, "UTC") == "2024-09-08"  # asked for UTC: the instant's UTC date
    assert to_iso("09/09/2026 17:27", "%d/%m/%Y %H:%M", "Asia/Hong_Kong").endswith("+08:00")


def test_hkex_fields_as_sent():
    spec = ApiSpec(
        items="result",
        fields={
            "url": "https://www1.hkexnews.hk{FILE_LINK}",
            "title": "TITLE",
            "published_at": "DATE_TIME",
            "company_code": "STOCK_CODE",
            "company_name": "STOCK_NAME",
            "category": "LONG_TEXT",
        },
        exchange="HKEX",
        date_format="%d/%m/%Y %H:%M",
    )
    entry = {
        "FILE_LINK": "/listedco/listconews/sehk/2026/0909/2026090901234.pdf",
        "TITLE": "VOLUNTARY ANNOUNCEMENT &amp; UPDATE",
        "DATE_TIME": "09/09/2026 17:27",
        "STOCK_CODE": "00700<br/>80700",
        "STOCK_NAME": "TENCENT<br/>TENCENT-R",
        "LONG_TEXT": "Others &#x2f; Share Buyback",
    }
    link, hints = map_entry(spec, entry, "filing", "Asia/Shanghai")
    assert link.endswith("2026090901234.pdf")
    filing = hints["filing"]
    assert filing["company_code"] == ["00700", "80700"]
    assert filing["company_name"] == ["TENCENT", "TENCENT-R"]
    assert filing["category"] == "Others / Share Buyback"
    assert hints["title"] == "VOLUNTARY ANNOUNCEMENT & UPDATE"
    assert hints["published_at"] == "2026-09-09T17:27:00+08:00"
    assert counters("688981") == "688981" and counters("<br/>") is None


def test_shells_answer_hostile_input_with_one_reason():
    assert (
        find_shell("<script querydata=\"{'a':" + "x" * 100_000 + '"></script>', "http://x/") is None
    )
    with pytest.raises(ShellError):
        read_jpaas("<html>not json</html>")
    with pytest.raises(ShellError):
        read_jpaas('{"success": false, "message": "参数错误"}')
    with pytest.raises(ShellError):
        read_jpage("{}")
    # a record's link of another scheme is returned for the spider to count as skipped
    links = read_jpage("<datastore><recordset><record><![CDATA[<li><a href='javascript:x()'>x"
                       "</a></li>]]></record></recordset></datastore>").links  # fmt: skip
    assert links == [("javascript:x()", "x", None)]
