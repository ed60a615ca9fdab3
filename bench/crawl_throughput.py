"""Crawl throughput, end to end into Elasticsearch, against bare trafilatura in one process.

Generates a local site of N article pages (the sample sites' templates and texts, each page made
unique) behind paginated listing pages, serves it on 127.0.0.1, and measures in one run:

- baseline: `trafilatura.extract(html)` over the same pages, one process, read from disk;
- ours: `monitor crawl` of the site (fetch, decode, extract, detect language, dedupe, bulk index),
  with extraction in worker processes (the default) and in threads;
- peak memory (RSS) of the crawl process and of its extraction workers, at N and at 4N pages,
  to show it does not grow with the page count.

    python bench/crawl_throughput.py [--pages 2000] [--memory-pages 8000] [--quick]

Writes bench/results/crawl_throughput.json. Needs the local node or MONITOR_ES_URL.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write_result  # noqa: E402
from monitor.demo.server import crawl_command, serve  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.node import ensure_available  # noqa: E402
from monitor.es.schema import delete_all  # noqa: E402
from tests.sites.generated import generate_site, listing_sources, write_listing  # noqa: E402


def baseline(root: Path, paths: list[str]) -> dict:
    import trafilatura

    started = time.perf_counter()
    chars = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in paths:
            chars += len(
                trafilatura.extract((root / path.lstrip("/")).read_text(encoding="utf-8")) or ""
            )
    seconds = time.perf_counter() - started
    size = sum((root / p.lstrip("/")).stat().st_size for p in paths) / len(paths)
    return {
        "pages": len(paths),
        "seconds": round(seconds, 2),
        "pages_per_second": round(len(paths) / seconds, 1),
        "chars": chars,
        "mean_page_kb": round(size / 1024, 1),
    }


class PeakMemory(threading.Thread):
    """Polls the RSS of a process and of its children (the extraction workers)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.main_peak = self.workers_peak = 0
        self.cpu: dict[int, float] = {}  # last CPU seconds seen per process
        self.running = True

    def run(self) -> None:
        while self.running:
            try:
                self.main_peak = max(self.main_peak, self.process.memory_info().rss)
                self.cpu[self.process.pid] = sum(self.process.cpu_times()[:2])
                children = self.process.children(recursive=True)
                for child in children:
                    self.cpu[child.pid] = sum(child.cpu_times()[:2])
                self.workers_peak = max(
                    self.workers_peak, sum(c.memory_info().rss for c in children)
                )
            except psutil.Error:
                pass
            time.sleep(0.1)

    def cpu_seconds(self) -> tuple[float, float]:
        """(crawl process, extraction workers) CPU seconds, as last seen."""
        main = self.cpu.get(self.process.pid, 0.0)
        return round(main, 1), round(sum(self.cpu.values()) - main, 1)


def crawl(base: str, pages: int, mode: str, tmp: Path, settings: tuple[str, ...] = ()) -> dict:
    """`monitor crawl` of the generated site into a fresh index; `settings`: more -s pairs."""
    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": f"bench-{uuid.uuid4().hex[:8]}"})
    sources = listing_sources(tmp / f"sources-{mode}.yaml", base)
    env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix)
    command = crawl_command(
        sources,
        "--json",
        "--no-translate",  # translation has its own benchmark; its worker is not extraction
        "-s",
        "CONCURRENT_REQUESTS=32",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=32",
        "-s",
        "MONITOR_PROGRESS_INTERVAL=0",
        "-s",
        f"MONITOR_EXTRACT_MODE={mode}",
        *(arg for pair in settings for arg in ("-s", pair)),
    )
    started = time.perf_counter()
    server_cpu = sum(psutil.Process().cpu_times()[:2])  # the fixture server runs in this process
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    memory = PeakMemory(proc.pid)
    memory.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    server_cpu = sum(psutil.Process().cpu_times()[:2]) - server_cpu
    memory.running = False
    memory.join()
    main_cpu, workers_cpu = memory.cpu_seconds()
    es = make_client(config)
    es.indices.refresh(index=config.index_name("articles"))
    indexed = es.count(index=config.index_name("articles"))["count"]
    delete_all(es, config)
    if proc.returncode != 0:
        raise SystemExit(f"crawl failed ({proc.returncode}): {err[-2000:]}")
    return {
        "mode": mode,
        "pages": pages,
        "indexed": indexed,
        "seconds": round(seconds, 2),
        "pages_per_second": round(indexed / seconds, 1),
        "peak_rss_mb": round(memory.main_peak / 2**20),
        "workers_peak_rss_mb": round(memory.workers_peak / 2**20),
        "cpu_seconds": {
            "crawl_process": main_cpu,
            "extraction_workers": workers_cpu,
            "fixture_server": round(server_cpu, 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument(
        "--memory-pages", type=int, default=8000, help="the larger run for memory growth"
    )
    parser.add_argument("--quick", action="store_true", help="200 and 400 pages: a smoke run")
    parser.add_argument("--modes", default="process,thread", help="extraction modes to compare")
    args = parser.parse_args()
    if args.quick:
        args.pages, args.memory_pages = 200, 400
    ensure_available(EsConfig.from_env())
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = generate_site(tmp, max(args.memory_pages, args.pages))
        small = paths[: args.pages]
        server = serve(tmp)
        write_listing(tmp, small)
        base_line = baseline(tmp, small)
        print(f"bare trafilatura, one process: {base_line['pages_per_second']} pages/s")
        runs = []
        for mode in args.modes.split(","):
            runs.append(crawl(server.base, len(small), mode, tmp))
            print(f"monitor crawl ({mode}): {runs[-1]}")
        large = runs[0]
        if len(paths) > len(small):
            write_listing(tmp, paths)
            large = crawl(server.base, len(paths), "process", tmp)
            print(f"monitor crawl (process, {len(paths)} pages): {large}")
        server.shutdown()
    ratio = {
        r["mode"]: round(r["pages_per_second"] / base_line["pages_per_second"], 2) for r in runs
    }
    memory = {
        "pages": [args.pages, args.memory_pages],
        "crawl_process_peak_rss_mb": [runs[0]["peak_rss_mb"], large["peak_rss_mb"]],
        "workers_peak_rss_mb": [runs[0]["workers_peak_rss_mb"], large["workers_peak_rss_mb"]],
    }
    print(f"ratio to bare trafilatura: {ratio}; memory: {memory}")
    path = write_result(
        "crawl_throughput",
        {
            "baseline_bare_trafilatura": base_line,
            "crawls": runs,
            "large_crawl": large,
            "ratio_end_to_end_vs_bare": ratio,
            "memory": memory,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
