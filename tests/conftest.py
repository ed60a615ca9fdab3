"""Shared fixtures: a real Elasticsearch node, the sample sites on a real HTTP server, and a way
to run the real `monitor` command in a subprocess (one crawl, one reactor, one process)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from monitor import command as monitor_command
from monitor.demo.server import LOCAL_CRAWL_SETTINGS, render_sources, serve
from monitor.demo.sites import SITES
from monitor.es.client import make_client
from monitor.es.config import EsConfig
from monitor.es.node import ensure_available
from monitor.es.schema import delete_all

ROOT = Path(__file__).resolve().parents[1]
# Politeness off for the local fixture server; progress lines off to keep output short.
FAST = [*LOCAL_CRAWL_SETTINGS, "-s", "MONITOR_PROGRESS_INTERVAL=0"]


def new_config(**extra: str) -> EsConfig:
    """A configuration with an index prefix of its own, so tests never touch real data."""
    return EsConfig.from_env({"MONITOR_INDEX_PREFIX": f"test-{uuid.uuid4().hex[:10]}", **extra})


@pytest.fixture(scope="session")
def es_config() -> EsConfig:
    """The node, started here if needed (unless MONITOR_ES_URL is set), so that any test file
    runs alone as well as in the suite."""
    config = new_config()
    ensure_available(config)
    yield config
    delete_all(make_client(config), config)


@pytest.fixture(scope="module", autouse=True)
def elasticsearch_unless_fast(request):
    """Every test module may use the node, except those marked `fast` (`pytestmark =
    pytest.mark.fast`): the fast tier (`make test-fast`) needs no JDK, node, Redis or browser."""
    if request.node.get_closest_marker("fast") is None:
        request.getfixturevalue("es_config")


def _session_folder(tmp_path_factory, variable: str, name: str) -> Iterator[Path]:
    """A fresh folder named by the environment variable for the whole run (subprocesses
    included), the variable restored afterwards."""
    folder = tmp_path_factory.mktemp(name)
    previous = os.environ.get(variable)
    os.environ[variable] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop(variable, None)
    else:
        os.environ[variable] = previous


@pytest.fixture(scope="session", autouse=True)
def no_installed_models(tmp_path_factory):
    """An empty argostranslate home for the whole run, subprocesses included: a model installed
    on the developer's machine cannot make a "glossary only" test pass for the wrong reason.
    Translation tests install the tiny test model in a home of their own (`argos_home`)."""
    yield from _session_folder(tmp_path_factory, "MONITOR_ARGOS_HOME", "no-models")


@pytest.fixture(scope="session", autouse=True)
def warc_dir(tmp_path_factory) -> Iterator[Path]:
    """Every crawl of the run, subprocesses included, writes its raw captures here, never under
    the developer's $MONITOR_HOME."""
    yield from _session_folder(tmp_path_factory, "MONITOR_WARC_DIR", "warc")


@pytest.fixture(scope="session", autouse=True)
def lookups_file(tmp_path_factory) -> Iterator[Path]:
    """The run's cache of looked-up exchange ids (orgId, stockId), never the developer's."""
    folder = tmp_path_factory.mktemp("lookups")
    previous = os.environ.get("MONITOR_LOOKUPS_FILE")
    os.environ["MONITOR_LOOKUPS_FILE"] = str(folder / "lookups.json")
    yield folder / "lookups.json"
    if previous is None:
        os.environ.pop("MONITOR_LOOKUPS_FILE", None)
    else:
        os.environ["MONITOR_LOOKUPS_FILE"] = previous


@pytest.fixture(scope="session")
def es(es_config: EsConfig):
    client = make_client(es_config)
    yield client
    client.close()


@pytest.fixture(scope="session")
def site_server():
    server = serve(SITES / "www")
    yield server
    server.shutdown()


@pytest.fixture(scope="session")
def sample_sources(site_server, tmp_path_factory) -> Path:
    return render_sources(
        SITES / "sources.yaml",
        site_server.base,
        tmp_path_factory.mktemp("sources") / "sources.yaml",
    )


@pytest.fixture(scope="session")
def expected_articles() -> list[dict]:
    return json.loads((SITES / "expected.json").read_text(encoding="utf-8"))


def stored_count(es, alias: str) -> int:
    """Documents in `alias` while a crawl writes them: 0 before the index exists, or while its
    shard starts (503)."""
    from elasticsearch import ApiError

    try:
        return es.count(index=alias)["count"] if es.indices.exists_alias(name=alias) else 0
    except ApiError as exc:
        if exc.meta.status in (404, 503):
            return 0
        raise


def run_monitor(
    *args: str,
    config: EsConfig | None = None,
    cwd: Path = ROOT,
    timeout: float = 300,
    env_extra: dict | None = None,
) -> subprocess.CompletedProcess:
    """Run `python -m monitor ARGS` with the test's index prefix (and extra environment)."""
    env = dict(os.environ, **(env_extra or {}))
    if config is not None:
        env["MONITOR_INDEX_PREFIX"] = config.index_prefix
    result = subprocess.run(
        monitor_command(*args),
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )
    deprecated = [line for line in result.stderr.splitlines() if DEPRECATION in line]
    assert not deprecated, f"the node warned of a deprecation: {deprecated[0]}"
    return result


# What the client writes when the node answers with a Warning header (a deprecated API, setting or
# parameter): a command's stderr with it fails the test that ran it, as the in-process calls do
# (pyproject.toml: filterwarnings turns ElasticsearchWarning into an error).
DEPRECATION = "ElasticsearchWarning"


def crawl_json(
    sources: Path,
    config: EsConfig,
    *extra: str,
    env_extra: dict | None = None,
    translate: bool = False,
) -> dict:
    """`monitor crawl --json`, without the translation worker unless the test is about it."""
    quiet = () if translate or "--no-translate" in extra else ("--no-translate",)
    command = ("crawl", "--sources", str(sources), "--json", *FAST, *quiet, *extra)
    result = run_monitor(*command, config=config, env_extra=env_extra)
    assert result.returncode == 0, result.stderr[-3000:]
    return {s["source"]: s for s in json.loads(result.stdout)["sources"]}


class TwoCrawls(NamedTuple):
    first: dict  # per-source summaries of the first crawl
    count: int  # documents stored after it
    second: dict  # summaries of the second (incremental) crawl
    second_requests: list[tuple[str, int]]  # (path, status) the server saw during the second


@pytest.fixture(scope="session")
def two_crawls(sample_sources, es_config, es, site_server) -> TwoCrawls:
    """The sample sites crawled twice, the second time incrementally."""
    first = crawl_json(sample_sources, es_config)
    es.indices.refresh(index=es_config.index_name("articles"))
    count_after_first = es.count(index=es_config.index_name("articles"))["count"]
    mark = len(site_server.log)
    second = crawl_json(sample_sources, es_config)
    es.indices.refresh(index=es_config.index_name("articles"))
    return TwoCrawls(first, count_after_first, second, site_server.log[mark:])


# --- translation: one argostranslate home for the whole session ---------------------------------
# argostranslate reads its directories once per process, so every in-process translation test
# shares this home; CLI tests in subprocesses may use others.


@pytest.fixture(scope="session")
def tiny_package(tmp_path_factory) -> Path:
    from tests.tinymodel import build_package

    return build_package(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def argos_home(tiny_package, tmp_path_factory) -> Path:
    """An argostranslate home with the tiny zh→en package installed through `monitor models`."""
    home = tmp_path_factory.mktemp("argos")
    result = run_monitor(
        "models", "install-file", str(tiny_package), env_extra={"MONITOR_ARGOS_HOME": str(home)}
    )
    assert result.returncode == 0, result.stderr
    return home


class OutputLines:
    """A child's output read in a thread as it comes: `lines` so far, and `seen` set at the first
    line that holds `marker`."""

    def __init__(self, stream: Iterable[str], marker: str) -> None:
        self.lines: list[str] = []
        self.marker, self.seen = marker, threading.Event()
        self._reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._reader.start()

    def _read(self, stream: Iterable[str]) -> None:
        for line in stream:
            self.lines.append(line)
            if self.marker in line:
                self.seen.set()

    def wait(self, timeout: float) -> bool:
        return self.seen.wait(timeout)

    def text(self, join_timeout: float = 10) -> str:
        """Everything read, after the stream ended (or `join_timeout` seconds)."""
        self._reader.join(join_timeout)
        return "".join(self.lines)
