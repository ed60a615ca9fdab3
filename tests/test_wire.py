"""A shared crawl's requests as JSON (monitor.distributed.wire): what the spiders queue comes
back as it went, and an entry written by someone else can name nothing but the spider's own
parse and error methods. The crawl through real Redis is in tests/test_distributed.py."""

from __future__ import annotations

import json
import pickle

import pytest
import scrapy

from monitor.crawl.seen import Seen
from monitor.distributed.wire import Refused, Unshareable, decode_request, encode_request, loads
from spiders.shells import Shell

pytestmark = pytest.mark.fast


class Spider(scrapy.Spider):
    name = "wire"

    def parse_article(self, response, hints):
        pass

    def parse_shell(self, response, shell, page, referer):
        pass

    def on_error(self, failure):
        pass

    def attachment_failed(self, failure):
        pass

    def helper(self):
        pass


SPIDER = Spider()


def round_trip(request: scrapy.Request) -> scrapy.Request:
    data = encode_request(request, SPIDER)
    json.loads(data)  # plain JSON, whatever it holds
    return decode_request(data, SPIDER)


def test_an_article_request_with_its_hints_and_seen_record_comes_back_as_it_went():
    seen = Seen(url="https://a.example/1", kind="article", etag='"x"', links=("a", "b"))
    request = scrapy.Request(
        "https://a.example/1",
        callback=SPIDER.parse_article,
        errback=SPIDER.on_error,
        cb_kwargs={"hints": {"title": "工信部通知", "published_at": None, "filing": {"n": [1]}}},
        meta={"monitor_kind": "article", "monitor_seen": seen, "redirect_urls": ["u"]},
        headers={"If-None-Match": '"x"'},
        priority=3,
    )
    back = round_trip(request)
    assert back.callback == SPIDER.parse_article and back.errback == SPIDER.on_error
    assert back.cb_kwargs == request.cb_kwargs and back.priority == 3
    assert back.meta["monitor_seen"] == seen and isinstance(back.meta["monitor_seen"].links, tuple)
    assert back.headers.getlist("If-None-Match") == [b'"x"']


def test_a_script_list_post_comes_back_with_its_shell_and_form_body():
    base = "https://b.example/module/web/jpage/dataproxy.jsp"
    shell = Shell("jpage", base, {"col": "1"}, per_page=15, preloaded=(("/a.html", "A", None),))
    request = scrapy.FormRequest(
        "https://b.example/module/web/jpage/dataproxy.jsp?startrecord=1",
        formdata={"col": "1", "webid": "2"},
        callback=SPIDER.parse_shell,
        errback=SPIDER.on_error,
        cb_kwargs={"shell": shell, "page": 2, "referer": "https://b.example/col/index.html"},
        meta={"monitor_kind": "listing", "weird": {1: b"\x00\xff", "~": (1, 2)}},
    )
    back = round_trip(request)
    assert type(back) is scrapy.FormRequest and back.method == "POST"
    assert back.body == request.body and back.cb_kwargs["shell"] == shell
    assert back.meta["weird"] == {1: b"\x00\xff", "~": (1, 2)}


def test_a_live_object_is_unshareable_and_said_so():
    request = scrapy.Request("https://a.example/", callback=SPIDER.parse_article,
                             meta={"lock": object()})  # fmt: skip
    with pytest.raises(Unshareable, match="builtins.object"):
        encode_request(request, SPIDER)


def entry(**fields) -> bytes:
    record = {"url": "https://a.example/", "callback": "parse_article", "errback": None,
              "meta": {}, "cb_kwargs": {"hints": {}}, **fields}  # fmt: skip
    return json.dumps(record).encode()


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (pickle.dumps({"url": "https://a.example/"}), "a pickle"),
        (b"not json at all", "not JSON"),
        (entry(_class="subprocess.Popen"), "request class that is not Scrapy's"),
        (entry(callback="helper"), "callback that is not the spider's"),
        (entry(callback="_private"), "callback that is not the spider's"),
        (entry(errback="__init__"), "errback that is not the spider's"),
        (entry(callback="parse_nothing"), "callback that is not the spider's"),
        (entry(meta={"x": {"~": "os.system", "v": {}}}), "unknown tagged value"),
        (entry(meta={"x": {"~": "Seen", "v": {"nope": 1}}}), "Seen that does not fit"),
        (entry(meta=[1]), "meta is not a mapping"),
        (b"[1, 2]", "not a request"),
    ],
)
def test_an_entry_written_by_someone_else_is_refused_with_its_reason(data, why):
    with pytest.raises(Refused, match=why):
        decode_request(data, SPIDER)


def test_a_plain_json_entry_naming_the_spiders_method_is_a_request():
    request = decode_request(entry(), SPIDER)
    assert request.callback == SPIDER.parse_article and request.cb_kwargs == {"hints": {}}
    assert loads(b'{"a": {"~": "tuple", "v": [1]}}') == {"a": (1,)}


def test_a_rendered_request_travels_without_its_browser_hooks_and_gets_the_poppers_own():
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    from monitor.crawl.render import render_meta

    mine, theirs = (MemoryStatsCollector(get_crawler()) for _ in range(2))
    request = scrapy.Request("https://a.example/", callback=SPIDER.parse_article,
                             meta={"monitor_kind": "article", **render_meta(mine, 5)})  # fmt: skip
    data = encode_request(request, SPIDER)
    assert b"playwright_page_methods" not in data and b'"playwright":true' in data
    back = decode_request(data, SPIDER, render=lambda: render_meta(theirs, 5))
    assert back.meta["playwright"] is True and back.meta["monitor_rendered"] is True
    assert back.meta["playwright_page_init_callback"].args == (theirs,)
    assert len(back.meta["playwright_page_methods"]) == 1
