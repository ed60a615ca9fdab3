"""The `monitor` command's contracts: help everywhere, exit codes, JSON shapes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from monitor.cli import main
from tests.conftest import ROOT, SITES, new_config, run_monitor


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


@pytest.mark.parametrize("path", list(all_commands(main)), ids=" ".join)
def test_every_command_has_help(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output and len(result.output) > 80


def test_bad_sources_file_exits_2_with_file_and_line(tmp_path):
    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - id: x\n    type: rss\n    urls: http://a/\n")
    result = run_monitor("crawl", "--sources", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"monitor: {bad}:3: source 'x': field 'type': must be one of "
        "feed, sitemap, listing, api, got 'rss'"
    )


def test_unknown_source_exits_2(sample_sources):
    result = run_monitor("crawl", "--sources", str(sample_sources), "--source", "nope")
    assert result.returncode == 2 and "unknown source id(s): nope" in result.stderr


def test_sources_lists_and_validates(sample_sources):
    result = run_monitor("sources", "--sources", str(sample_sources), "--json")
    assert result.returncode == 0
    ids = [s["id"] for s in json.loads(result.stdout)["sources"]]
    assert ids == ["jiangdong-gov", "dongfang-tech", "pacific-atom", "pacific-sitemap"]


def test_extract_json_one_object_per_file():
    files = [
        SITES / "www/gov/zcwj/202403/t20240305_101.html",
        SITES / "www/ennews/2024/05/big-fund-iii.html",
    ]
    result = run_monitor("extract", "--json", *map(str, files))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["language"] for r in records] == ["zh", "en"]
    for record in records:
        assert {"path", "title", "text", "published_at", "language", "authors"} <= set(record)
    assert records[0]["published_at"] == "2024-03-05"
    assert records[1]["authors"] == ["Daniel Okafor"]


def test_extract_reads_gzipped_benchmark_pages(tmp_path):
    import gzip

    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress((SITES / "www/ennews/2024/05/big-fund-iii.html").read_bytes()))
    result = run_monitor("extract", "--json", str(page))
    assert json.loads(result.stdout)["title"] == "China's Big Fund III launches with record capital"


def test_es_status_json(es_config):
    result = run_monitor("es", "status", "--json", config=es_config)
    assert result.returncode == 0
    status = json.loads(result.stdout)
    assert status["running"] is True and status["url"].startswith("http")
    assert status["version"].startswith("8.")


def test_search_without_an_index_exits_3():
    config = new_config()
    result = run_monitor("search", "anything", config=config)
    assert result.returncode == 3 and "run `monitor crawl` first" in result.stderr


def test_crawl_exits_5_when_every_source_fails(tmp_path):
    es_config = new_config()  # its run record must not join the shared index's history
    dead = tmp_path / "sources.yaml"
    dead.write_text(
        "sources:\n  - id: dead\n    type: feed\n    urls: http://127.0.0.1:9/rss.xml\n"
    )
    result = run_monitor(
        "crawl",
        "--sources",
        str(dead),
        "--json",
        "-s",
        "RETRY_TIMES=0",
        "-s",
        "ROBOTSTXT_OBEY=False",
        config=es_config,
    )
    from monitor.es.client import make_client
    from monitor.es.schema import delete_all

    delete_all(make_client(es_config), es_config)
    assert result.returncode == 5, result.stderr
    assert json.loads(result.stdout)["sources"][0]["failed"] is True
    assert "every source failed" in result.stderr


def test_scrapy_list_from_the_project_root():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["api", "feed", "listing", "sitemap"]


def test_offline_model_install_says_so_in_one_line(tmp_path):
    env = {"MONITOR_ARGOS_HOME": str(tmp_path), "ARGOS_PACKAGE_INDEX": "http://127.0.0.1:9/"}
    result = run_monitor("models", "install", "zh", "en", env_extra=env, timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 6 and "cannot reach the Argos package index" in lines[-1]
    assert len(lines) <= 2 and "Traceback" not in result.stderr  # "updating ...", then why not


def test_a_busy_port_for_the_local_node_is_named(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {"MONITOR_ES_PORT": str(port), "MONITOR_HOME": str(tmp_path), "MONITOR_ES_URL": ""}
        result = run_monitor("es", "start", env_extra=env, timeout=60)
    assert result.returncode == 4
    assert f"port {port} is in use" in result.stderr and "Traceback" not in result.stderr


# The crawl's libraries cost seconds to import; `search`, `show` and `status` need none of them
# (measured with `python -X importtime`: see docs/commands.md).
CRAWL_ONLY_MODULES = (
    "scrapy",
    "twisted",
    "trafilatura",
    "lxml",
    "argostranslate",
    "ctranslate2",
    "langdetect",
    "apscheduler",
    "pypdf",
    "docx",
)


@pytest.mark.parametrize("args", [("search", "MIIT semiconductor policy"), ("status",)])
def test_quick_commands_import_nothing_of_the_crawl(args):
    env = dict(os.environ, MONITOR_INDEX_PREFIX=new_config().index_prefix)  # no index: stops soon
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "monitor", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "monitor" in imported and "elasticsearch" in imported, result.stderr[-500:]
    assert not imported & set(CRAWL_ONLY_MODULES)


def test_demo_serve_gives_a_ready_sources_file(tmp_path):
    import signal
    import time

    from monitor.es.client import make_client
    from monitor.es.schema import delete_all

    sources = tmp_path / "demo-sources.yaml"
    server = subprocess.Popen(
        [sys.executable, "-m", "monitor", "demo", "serve", "--port", "0", "--out", str(sources)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while not sources.exists() and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.2)
        assert sources.exists(), server.stderr.read() if server.poll() is not None else "slow"
        config = new_config()
        crawl = run_monitor(
            "crawl", "--sources", str(sources), "--source", "pacific-atom", "--source",
            "xiling-policy", "--no-translate", "--json", config=config,
        )  # fmt: skip
        assert crawl.returncode == 0, crawl.stderr[-2000:]
        summary = {s["source"]: s for s in json.loads(crawl.stdout)["sources"]}
        assert summary["pacific-atom"]["indexed"] > 0 and summary["xiling-policy"]["indexed"] > 0
        delete_all(make_client(config), config)
    finally:
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=30)
    assert server.returncode == 0 and "sources file:" in out and out.rstrip().endswith("stopped")
