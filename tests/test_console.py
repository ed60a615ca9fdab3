"""The crawl console as a person sees it: in a pseudo-terminal (live lines) and piped (plain
lines), one time format, warnings grouped, and a summary with totals, reasons and first URLs."""

from __future__ import annotations

import logging
import os
import re
import select
import subprocess
import time

import pytest

from monitor import command as monitor_command
from monitor.crawl.console import GroupRepeats
from monitor.demo.server import render_sources, serve
from monitor.demo.sites import SITES
from monitor.demo.sites.docs.apis import install
from monitor.es.client import make_client
from monitor.es.schema import delete_all
from tests.conftest import FAST, ROOT, new_config

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
STAMP = re.compile(r"^\d\d:\d\d:\d\d ")


@pytest.fixture(scope="module")
def docs_sources(tmp_path_factory):
    server = serve(SITES / "docs" / "www")
    install(server)
    path = render_sources(
        SITES / "docs" / "sources.yaml", server.base, tmp_path_factory.mktemp("c") / "s.yaml"
    )
    yield path
    server.shutdown()


def crawl_args(sources) -> list[str]:
    return [
        *monitor_command("crawl", "--sources", str(sources), *FAST, "--no-translate"),
        "--source", "xiling-policy", "--source", "xiling-policy-api",
        "-s", "MONITOR_PROGRESS_INTERVAL=0.3",
    ]  # fmt: skip


def test_piped_plain_lines_one_time_format_and_a_full_summary(docs_sources):
    config = new_config()
    env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix)
    try:
        result = subprocess.run(
            crawl_args(docs_sources), capture_output=True, text=True, env=env, cwd=ROOT,
            timeout=300,
        )  # fmt: skip
    finally:
        delete_all(make_client(config), config)
    assert result.returncode == 0, result.stderr[-3000:]
    err = result.stderr.splitlines()
    assert not ANSI.search(result.stderr)  # piped: no cursor movements
    assert err[0].endswith("crawling xiling-policy, xiling-policy-api (Ctrl-C stops cleanly)")
    assert all(STAMP.match(line) for line in err), [x for x in err if not STAMP.match(x)]
    assert any(re.match(r"^\S+ done xiling-policy: \d+ pages", line) for line in err)
    # a kind of warning seen more than three times is folded into one line
    assert sum("unsupported document format" in line for line in err) <= 3
    out = result.stdout
    assert re.search(r"^total\s+\d+", out, re.M) and re.search(r"2 sources in \d+\.\d s", out)
    assert "304" in out.splitlines()[0]
    # the API lists the policy site's documents: on a first crawl, the source that comes second
    # finds some stored already (unchanged), and the summary says by whom
    for name, unchanged in re.findall(r"^(xiling-policy\S*)\s+\d+\s+\d+\s+(\d+)", out, re.M):
        said = f"{name}: first crawl: its {unchanged} unchanged pages were stored by another"
        assert (said in out) == (int(unchanged) > 0), out
    # every skipped or failed page by reason, with its first URLs
    assert re.search(r"attachment_errors ×1: http://\S+_missing\.pdf", out)
    assert re.search(r"attachment_unreadable ×1: http://\S+\.wps", out)
    assert "translation:" not in out  # nothing to translate: no translation line


def test_a_terminal_gets_live_lines_above_which_logs_scroll(docs_sources):
    config = new_config()
    env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix, COLUMNS="160")
    master, slave = os.openpty()
    process = subprocess.Popen(
        crawl_args(docs_sources), stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
        close_fds=True,
    )  # fmt: skip
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 300
    first_output = None
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the process closed the terminal
                    break
                if not data:
                    break
                first_output = first_output or time.monotonic()
                chunks.append(data)
            elif process.poll() is not None:
                break
        process.wait(timeout=60)
    finally:
        os.close(master)
        delete_all(make_client(config), config)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert process.returncode == 0, screen[-3000:]
    assert "crawling xiling-policy, xiling-policy-api" in screen.splitlines()[0]
    assert "\x1b[2K" in screen and "\x1b[1A" in screen  # lines rewritten in place
    assert re.search(r"xiling-policy\s+\d+ pages \(\d+\.\d/s\)", screen)  # the live line
    plain = ANSI.sub("", screen)
    assert re.search(r"(^|\r)\d\d:\d\d:\d\d done xiling-policy: ", plain, re.M)
    assert re.search(r"^total\s+\d+", plain, re.M)


def test_repeated_warnings_are_grouped():
    repeats = GroupRepeats(keep=3)
    record = lambda n: logging.LogRecord(  # noqa: E731
        "spiders.base", logging.WARNING, __file__, 1, "cannot fetch %s", (f"u{n}",), None
    )
    passed = [repeats.filter(record(n)) for n in range(5)]
    assert passed == [True, True, True, False, False]
    assert repeats.folded() == [("cannot fetch %s", 2)]
    info = logging.LogRecord("x", logging.INFO, __file__, 1, "page %s", ("a",), None)
    assert all(repeats.filter(info) for _ in range(10))  # progress and info lines are never folded
