"""Scaling out: pages per second with 1, 2 and 4 `monitor worker`s sharing one queue on Redis.

A local site answers every request after `--delay` seconds (200 ms: crawling is bound by
waiting, as on the real web, so two cores are not the limit), serving `--sources` listing pages
of `--pages` articles each (the generated pages of bench/crawl_throughput.py). For each worker
count, in one run: a fresh index prefix and queue, `monitor schedule --once` enqueues one job per
source, N `monitor worker --burst` run them; wall time from the first worker's start to the last
one's exit, and the CPU seconds of the workers and everything they started (crawls, extraction
workers; sampled from /proc ten times a second). Scaling factor = pages/s with N workers ÷
pages/s with one (targets: ≥ 1.8 at 2, ≥ 3.2 at 4; CPU per page should stay flat).

    python bench/scaling.py [--sources 8] [--pages 60] [--delay 0.2] [--workers 1,2,4]

Writes bench/results/scaling.json. Needs the local node (or MONITOR_ES_URL) and redis-server.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write_result  # noqa: E402
from monitor import command as monitor_command  # noqa: E402
from monitor.demo.server import LOCAL_CRAWL_SETTINGS, serve  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
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

    def run(self) -> None:
        while self.running:
            for root in self.roots:
                try:
                    for process in [root, *root.children(recursive=True)]:
                        with contextlib.suppress(psutil.Error):
                            times = process.cpu_times()
                            self.seen[process.pid] = times.user + times.system
                except psutil.Error:
                    continue
            time.sleep(0.1)

    def total(self) -> float:
        self.running = False
        self.join()
        return sum(self.seen.values())


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


def write_sites(root: Path, sources: int, pages: int, base: str, target: Path) -> int:
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
    target.write_text("\n".join(lines) + "\n")
    return len(paths)


def run(count: int, sources: Path, redis_url: str) -> dict:
    from redis import Redis

    Redis.from_url(redis_url).flushall()
    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": f"bench-scale-{uuid.uuid4().hex[:8]}"})
    env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix, MONITOR_REDIS_URL=redis_url)
    settings = [*LOCAL_CRAWL_SETTINGS, "-s", "MONITOR_PROGRESS_INTERVAL=0"]
    queued = subprocess.run(
        monitor_command("schedule", "--sources", str(sources), "--once", "--json", *settings),
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    jobs = [q for q in json.loads(queued.stdout)["queued"] if q["job"]]
    started = time.perf_counter()
    workers = [
        subprocess.Popen(monitor_command("worker", "--burst", "--json"), cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for _ in range(count)
    ]  # fmt: skip
    cpu_meter = TreeCpu([w.pid for w in workers])
    cpu_meter.start()
    done = [json.loads(w.communicate()[0].strip().splitlines()[-1]) for w in workers]
    seconds = time.perf_counter() - started
    cpu = cpu_meter.total()
    es = make_client(config)
    es.indices.refresh(index=config.index_name("articles"))
    stored = es.count(index=config.index_name("articles"))["count"]
    delete_all(es, config)
    return {
        "workers": count,
        "jobs": len(jobs),
        "jobs_per_worker": [d["successful_jobs"] for d in done],
        "pages_stored": stored,
        "seconds": round(seconds, 1),
        "pages_per_second": round(stored / seconds, 2),
        "cpu_seconds": round(cpu, 1),
        "cpu_ms_per_page": round(cpu / max(stored, 1) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=8)
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    ensure_available(EsConfig.from_env())
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        redis, redis_url = start_redis(tmp)
        (tmp / "www").mkdir()
        server = serve(tmp / "www")
        total = write_sites(tmp / "www", args.sources, args.pages, server.base, tmp / "s.yaml")
        server.delay = args.delay
        rows = []
        try:
            for count in (int(n) for n in args.workers.split(",")):
                rows.append(run(count, tmp / "s.yaml", redis_url) | {"pages_served": total})
                print(json.dumps(rows[-1]), flush=True)
        finally:
            server.shutdown()
            redis.terminate()
    base = rows[0]["pages_per_second"]
    for row in rows:
        row["scaling"] = round(row["pages_per_second"] / base, 2)
    print("scaling: " + ", ".join(f"{r['workers']} workers {r['scaling']}×" for r in rows))
    write_result(
        "scaling",
        {"sources": args.sources, "pages_per_source": args.pages, "delay_seconds": args.delay,
         "elasticsearch": "one local node", "runs": rows},
    )  # fmt: skip
    print("wrote bench/results/scaling.json")


if __name__ == "__main__":
    main()
