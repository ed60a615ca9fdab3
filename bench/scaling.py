"""Scaling out: pages per second with 1, 2 and 4 `monitor worker`s sharing one queue on Redis.

A local site answers every request after `--delay` seconds (200 ms: crawling is bound by
waiting, as on the real web, so two cores are not the limit), serving `--sources` listing pages
of `--pages` articles each (the generated pages of bench/crawl_throughput.py) and one sitemap of
them all. Two layouts: `sources` (each listing source one job) and `shared` (the sitemap as one
source marked `distributed: N`, N jobs sharing one request queue in Redis). Against one node and
a three-node local cluster (`--elasticsearch one,cluster`). For each worker count, in one run: a
fresh index prefix and queue, N `monitor worker`s started and registered (their fork servers up,
as long-running workers are), then the jobs enqueued as a scheduler does; wall time from the
enqueueing to the last job's end, and the CPU seconds of the workers and everything they
started (crawls, extraction workers; sampled from /proc ten times a second), and how busy the
whole machine's cores were (Elasticsearch, Redis and the site included). Scaling factor =
pages/s with N workers ÷ pages/s with one (targets: ≥ 1.8 at 2, ≥ 3.2 at 4; CPU per page
should stay flat).

    python bench/scaling.py [--sources 8] [--pages 60] [--delay 0.2] [--workers 1,2,4]
                            [--layout sources,shared] [--elasticsearch one,cluster]

Writes bench/results/scaling.json. Needs the local node (or MONITOR_ES_URL) and redis-server.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write_result  # noqa: E402
from monitor import command as monitor_command  # noqa: E402
from monitor.demo.server import LOCAL_CRAWL_SETTINGS, serve  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.cluster import LocalCluster, free_base_port  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.node import ensure_available  # noqa: E402
from monitor.es.schema import delete_all  # noqa: E402
from tests.sites.generated import generate_site  # noqa: E402


class TreeCpu(threading.Thread):
    """CPU seconds (user + system, each process's own) of processes and all their descendants,
    sampled ten times a second: crawls forked from a fork server are reaped by it, not by the
    worker, so the kernel's children totals would miss them."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.roots = [psutil.Process(pid) for pid in pids]
        self.seen: dict[int, float] = {}
        self.running = True
        self._sample()
        self.before = sum(self.seen.values())  # what the processes there now had spent already

    def _sample(self) -> None:
        for root in self.roots:
            try:
                for process in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        times = process.cpu_times()
                        self.seen[process.pid] = times.user + times.system
            except psutil.Error:
                continue

    def run(self) -> None:
        while self.running:
            self._sample()
            time.sleep(0.1)

    def total(self) -> float:
        self.running = False
        self.join()
        self._sample()
        return sum(self.seen.values()) - self.before


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("redis-server is missing (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


def write_sites(root: Path, sources: int, pages: int, base: str) -> tuple[list[str], Path]:
    """The articles, a listing page per source (`sources` listing sources of `pages` articles),
    and one sitemap of them all (the one distributed source of --layout shared)."""
    paths = generate_site(root, sources * pages)
    lists = root / "lists"
    lists.mkdir()
    lines = ["sources:"]
    for k in range(sources):
        chunk = paths[k * pages : (k + 1) * pages]
        links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in chunk)
        page = f"<html><body><ul class='articles'>{links}</ul></body></html>"
        (lists / f"s{k}.html").write_text(page)
        lines += [f"  - id: site{k}", "    type: listing", f"    urls: {base}/lists/s{k}.html",
                  "    links: ul.articles a", "    next: a.next"]  # fmt: skip
    listed = root.parent / "sources.yaml"
    listed.write_text("\n".join(lines) + "\n")
    entries = "".join(f"<url><loc>{base}{p}</loc></url>" for p in paths)
    (root / "sitemap.xml").write_text(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    )
    return paths, listed


def shared_sources(folder: Path, base: str, parts: int) -> Path:
    """One sitemap source over every article, crawled by `parts` workers together."""
    path = folder / f"shared-{parts}.yaml"
    path.write_text(
        f"sources:\n  - id: backfill\n    type: sitemap\n    urls: {base}/sitemap.xml\n"
        f"    distributed: {parts}\n"
    )
    return path


def run(count: int, sources: Path, redis_url: str, es_urls: str | None) -> dict:
    """N long-running workers, started and registered (their fork servers up) before the clock
    starts: the clock measures jobs, not the workers' own start-up."""
    from redis import Redis
    from rq import Worker
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    from monitor.distributed.jobs import QUEUE, enqueue_crawl
    from monitor.sources import load_sources

    connection = Redis.from_url(redis_url)
    connection.flushall()
    overrides = {"MONITOR_INDEX_PREFIX": f"bench-scale-{uuid.uuid4().hex[:8]}"}
    if es_urls:
        overrides["MONITOR_ES_URL"] = es_urls
    config = EsConfig.from_env(overrides)
    env = dict(os.environ, MONITOR_REDIS_URL=redis_url, **overrides)
    settings = [*LOCAL_CRAWL_SETTINGS, "-s", "MONITOR_PROGRESS_INTERVAL=0"]
    workers = [
        subprocess.Popen(monitor_command("worker", "--json"), cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for _ in range(count)
    ]  # fmt: skip
    deadline = time.monotonic() + 120
    while len(Worker.all(connection=connection)) < count:
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            raise SystemExit("the workers did not start")
        time.sleep(0.1)
    time.sleep(1)  # settled
    finished = FinishedJobRegistry(QUEUE, connection=connection)
    failed = FailedJobRegistry(QUEUE, connection=connection)

    def jobs_of(slot: str) -> list[str]:
        """The sources' jobs for `slot`, once they have all ended."""
        jobs = [
            job
            for source in load_sources(sources)
            for job in enqueue_crawl(
                connection, source.id, slot, str(sources), settings, 3600, parts=source.distributed
            )  # fmt: skip
        ]
        while not set(jobs) <= set(finished.get_job_ids()) | set(failed.get_job_ids()):
            time.sleep(0.1)
        return jobs

    cpu_meter = TreeCpu([w.pid for w in workers])
    cpu_meter.start()
    machine = psutil.cpu_times()
    started = time.perf_counter()
    jobs = jobs_of("bench")
    seconds = time.perf_counter() - started
    cpu = cpu_meter.total()
    busy = _busy(psutil.cpu_times()) - _busy(machine)
    # the same sources again, nothing new (304s): what a scheduled run of a quiet source costs
    idle_meter = TreeCpu([w.pid for w in workers])
    idle_meter.start()
    idle_jobs = jobs_of("again")
    idle_cpu = idle_meter.total()
    for running in workers:
        running.send_signal(signal.SIGTERM)
    done = [json.loads(w.communicate()[0].strip().splitlines()[-1]) for w in workers]
    es = make_client(config)
    es.indices.refresh(index=config.index_name("articles"))
    stored = es.count(index=config.index_name("articles"))["count"]
    delete_all(es, config)
    return {
        "workers": count,
        "jobs": len(jobs),
        "jobs_failed": failed.count,
        "jobs_per_worker": [d["successful_jobs"] for d in done],
        "pages_stored": stored,
        "seconds": round(seconds, 1),
        "pages_per_second": round(stored / seconds, 2),
        "cpu_seconds": round(cpu, 1),
        "cpu_ms_per_page": round(cpu / max(stored, 1) * 1000, 1),
        # the whole machine (workers, Elasticsearch, Redis, the site): how near the cores' limit
        "machine_cpu_busy": round(busy / (seconds * (psutil.cpu_count() or 1)), 2),
        "nothing_new_cpu_seconds_per_job": round(idle_cpu / len(idle_jobs), 2),
    }


def _busy(times: Any) -> float:
    """CPU seconds the machine spent not idle (all cores)."""
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def series(
    counts: list[int], layout: str, tmp: Path, base: str, listed: Path, redis_url: str,
    es_urls: str | None, served: int,
) -> list[dict]:  # fmt: skip
    rows = []
    for count in counts:
        sources = listed if layout == "sources" else shared_sources(tmp, base, count)
        row = run(count, sources, redis_url, es_urls)
        rows.append(row | {"pages_served": served})
        print(json.dumps({"layout": layout, "cluster": bool(es_urls), **rows[-1]}), flush=True)
    for row in rows:
        row["scaling"] = round(row["pages_per_second"] / rows[0]["pages_per_second"], 2)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=8)
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument(
        "--layout", default="sources,shared",
        help="sources: --sources listing sources, a job each; shared: one sitemap source of "
        "all the pages, `distributed:` over every worker (scrapy-redis)",
    )  # fmt: skip
    parser.add_argument(
        "--elasticsearch", default="one,cluster",
        help="one: the local node (or MONITOR_ES_URL); cluster: a three-node local cluster",
    )  # fmt: skip
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    ensure_available(EsConfig.from_env())
    results: dict[str, dict[str, list[dict]]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        redis, redis_url = start_redis(tmp)
        (tmp / "www").mkdir()
        server = serve(tmp / "www")
        paths, listed = write_sites(tmp / "www", args.sources, args.pages, server.base)
        server.delay = args.delay
        try:
            for target in args.elasticsearch.split(","):
                cluster, urls = None, None
                if target == "cluster":
                    cluster = LocalCluster(
                        EsConfig.from_env({"MONITOR_ES_PORT": str(free_base_port())}), 3
                    )
                    urls = ",".join(cluster.start(timeout=400, log=lambda line: None))
                try:
                    for layout in args.layout.split(","):
                        results.setdefault(target, {})[layout] = series(
                            counts, layout, tmp, server.base, listed, redis_url, urls, len(paths)
                        )
                finally:
                    if cluster is not None:
                        cluster.stop()
                        shutil.rmtree(cluster.root, ignore_errors=True)
        finally:
            server.shutdown()
            redis.terminate()
    for target, layouts in results.items():
        for layout, rows in layouts.items():
            scaling = ", ".join(f"{r['workers']} workers {r['scaling']}×" for r in rows)
            print(f"{target} node(s), {layout}: {scaling}")
    write_result(
        "scaling",
        {"sources": args.sources, "pages_per_source": args.pages, "delay_seconds": args.delay,
         "layouts": {"sources": f"{args.sources} listing sources, one job each",
                     "shared": "one sitemap source, distributed: <workers> (scrapy-redis)"},
         "elasticsearch": {"one": "one local node", "cluster": "three local nodes, a replica"},
         "results": results},
    )  # fmt: skip
    print("wrote bench/results/scaling.json")


if __name__ == "__main__":
    main()
