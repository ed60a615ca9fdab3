"""Faults against the real parts, each beside a fault-free crawl of the same site in one run.

Cases (N generated articles behind paginated listings, served on 127.0.0.1):
- baseline: no fault;
- es_outage: the Elasticsearch node cut off (a TCP proxy in front of it) for 20 s after 30% of
  the pages;
- workers_killed: the extraction workers SIGKILLed twice mid-crawl, as the OOM killer does;
- kill9_resume: the crawl killed with SIGKILL after a quarter of the pages was stored, then run
  again;
- ctrl_c_resume: SIGINT to the crawl's process group (Ctrl-C) mid-crawl, then run again;
- hostile: the 52 cases of tests/sites/hostile in one crawl (good pages lost among them).

For each: the outcome (exit codes), pages lost, duplicates, peak RSS of the crawl's process tree
and seconds. Writes bench/results/faults.json. Needs the local node (or MONITOR_ES_URL).

    python bench/faults.py [--pages 200]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import drop_indices, write_result  # noqa: E402
from monitor.demo.server import crawl_command, serve  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.node import ensure_available  # noqa: E402
from tests.faultkit import PeakRss, TcpProxy, extraction_workers  # noqa: E402
from tests.sites.generated import generate_site, write_listing  # noqa: E402
from tests.sites.hostile.cases import HostileServer  # noqa: E402

SETTINGS = ("-s", "MONITOR_PROGRESS_INTERVAL=0", "-s", "MONITOR_BULK_SIZE=10")


class Run:
    """One crawl process, watched: its peak memory, and a fault injected from a thread."""

    def __init__(self, sources: Path, prefix: str, env: dict[str, str], *extra: str):
        command = crawl_command(sources, "--json", "--no-translate", *SETTINGS, *extra)
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=dict(os.environ, MONITOR_INDEX_PREFIX=prefix, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.rss = PeakRss(self.process.pid)

    def inject(self, fault: Callable[[subprocess.Popen], None]) -> threading.Thread:
        thread = threading.Thread(target=fault, args=(self.process,), daemon=True)
        thread.start()
        return thread

    def finish(self, timeout: float = 600) -> dict:
        out, err = self.process.communicate(timeout=timeout)
        return {
            "exit": self.process.returncode,
            "seconds": round(time.monotonic() - self.started, 1),
            "peak_rss_mb": round(self.rss.stop() / 2**20),
            "stderr_tail": err.strip().splitlines()[-1:] if self.process.returncode else [],
        }


def stored(prefix: str) -> tuple[int, int]:
    """(documents stored, distinct URLs among them)."""
    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": prefix})
    es = make_client(config)
    alias = config.index_name("articles")
    if not es.indices.exists_alias(name=alias):
        return 0, 0
    es.cluster.health(index=alias, wait_for_status="yellow")  # just created by the crawl?
    es.indices.refresh(index=alias)
    hits = es.search(index=alias, size=10_000, source=["url"])["hits"]["hits"]
    return len(hits), len({h["_source"]["url"] for h in hits})


def stored_urls(prefix: str) -> set[str]:
    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": prefix})
    es = make_client(config)
    hits = es.search(index=config.index_name("articles"), size=10_000, source=["url"])
    return {h["_source"]["url"] for h in hits["hits"]["hits"]}


def wait_until(condition: Callable[[], bool], limit: float = 300) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def case_result(name: str, prefix: str, pages: int, runs: list[dict], **extra) -> dict:
    docs, unique = stored(prefix)
    drop_indices(prefix)
    first = runs[0]
    return {
        "case": name,
        "outcome": " then ".join(f"exit {r['exit']}" for r in runs),
        "pages_lost": pages - unique,
        "duplicates": docs - unique,
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "seconds": round(sum(r["seconds"] for r in runs), 1),
        "first_run_seconds": first["seconds"],
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    pages = args.pages
    es_config = EsConfig.from_env()
    ensure_available(es_config, log=print)
    host, port = es_config.effective_url.rsplit("://", 1)[1].rsplit(":", 1)
    work = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    paths = generate_site(work / "www", pages)
    write_listing(work / "www", paths, per_page=50)
    server = serve(work / "www")
    server.delay = 0.02  # a crawl long enough to be hurt half-way
    sources = work / "sources.yaml"
    sources.write_text(
        "sources:\n  - id: bench\n    type: listing\n"
        f"    urls: {server.base}/site/list/index.html\n"
        "    links: ul.articles a\n    next: a.next\n"
    )
    results = []

    def prefix() -> str:
        return f"bench-faults-{uuid.uuid4().hex[:8]}"

    # baseline
    p = prefix()
    run = Run(sources, p, {})
    results.append(case_result("baseline", p, pages, [run.finish()]))
    print(results[-1], flush=True)

    # es_outage
    p, proxy = prefix(), TcpProxy(host, int(port))
    mark = len(server.log)

    def outage(_process) -> None:
        if wait_until(lambda: article_pages_since(server, mark) >= pages * 0.3):
            proxy.cut()
            time.sleep(20)
            proxy.restore()

    run = Run(sources, p, {"MONITOR_ES_URL": proxy.url})
    fault = run.inject(outage)
    first = run.finish()
    fault.join(30)
    proxy.cut()
    results.append(case_result("es_outage", p, pages, [first], outage_seconds=20))
    print(results[-1], flush=True)

    # workers_killed
    p, mark = prefix(), len(server.log)
    killed: list[int] = []

    def kill_workers(process) -> None:
        for share in (0.25, 0.6):
            if not wait_until(lambda s=share: article_pages_since(server, mark) >= pages * s):
                return
            for worker in extraction_workers(process.pid):
                killed.append(worker.pid)
                worker.send_signal(signal.SIGKILL)

    run = Run(sources, p, {})
    fault = run.inject(kill_workers)
    first = run.finish()
    fault.join(30)
    results.append(case_result("workers_killed", p, pages, [first], workers_killed=len(killed)))
    print(results[-1], flush=True)

    # kill9_resume and ctrl_c_resume
    for name, signum in (("kill9_resume", signal.SIGKILL), ("ctrl_c_resume", signal.SIGINT)):
        p = prefix()

        def stop(process, signum=signum, p=p) -> None:
            if wait_until(lambda: stored(p)[0] >= pages // 4):
                os.killpg(process.pid, signum)

        run = Run(sources, p, {})
        fault = run.inject(stop)
        first = run.finish()
        fault.join(30)
        before, _ = stored(p)
        mark = len(server.log)
        second = Run(sources, p, {}).finish()
        refetched = article_pages_since(server, mark)
        results.append(
            case_result(
                name,
                p,
                pages,
                [first, second],
                stored_before_resume=before,
                articles_fetched_on_resume=refetched,
            )
        )
        print(results[-1], flush=True)
    server.shutdown()

    # hostile
    internal = HostileServer("127.0.0.2", internal=None).start()
    hostile = HostileServer(internal=internal.base).start()
    hostile_sources = work / "hostile.yaml"
    hostile_sources.write_text(hostile.sources_yaml())
    p = prefix()
    run = Run(
        hostile_sources,
        p,
        {},
        *("-s", "DOWNLOAD_TIMEOUT=3", "-s", "RETRY_TIMES=0"),
        *("-s", "MONITOR_ATTACHMENT_MAXSIZE=1000000"),
    )
    first = run.finish()
    expected = {
        f"{hostile.base}/c/{case.name}/good{n}.html"
        for case in hostile.table
        if case.good
        for n in (1, 2)
    }
    docs, unique = stored(p)
    urls = stored_urls(p)
    drop_indices(p)
    results.append(
        {
            "case": "hostile",
            "outcome": f"exit {first['exit']}",
            "cases": len(hostile.table),
            "good_pages": len(expected),
            "pages_lost": len(expected - urls),
            "odd_pages_stored": len(urls - expected),  # GBK, XXE, long text: harmless, kept
            "duplicates": docs - unique,
            "peak_rss_mb": first["peak_rss_mb"],
            "seconds": first["seconds"],
            "internal_server_hits": len(internal.hits),
        }
    )
    print(results[-1], flush=True)
    hostile.shutdown()
    internal.shutdown()
    path = write_result("faults", {"pages": pages, "cases": results})
    print(json.dumps(results, indent=2))
    print(f"written to {path}")


def article_pages_since(server, mark: int) -> int:
    return sum(
        1 for path, status in server.log[mark:] if path.startswith("/site/0") and status == 200
    )


if __name__ == "__main__":
    main()
