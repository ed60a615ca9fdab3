"""Watch alerts without a percolator: latency, matching cost as watches grow, crawl throughput.

Against the real node, in one run:
- latency: a document is bulk-written, the crawl's matching round (monitor.alerts.hook.match_round,
  every 0.5 s) runs the active watches over the batch, and a local webhook receiver gets the alert;
  median and p95 from the bulk write to the receipt, with 10, 200 and 1,000 watches (one of them
  matches each document);
- matching cost: seconds of one `Matcher.match` of 100 documents with 10, 100, 1,000 and 5,000
  watches (`_msearch` of 200 queries per request), and per watch;
- crawl throughput: the same generated site crawled with 200 active watches (already in the
  cluster, as in steady operation) and with MONITOR_WATCHES=False, alternately, three times each
  (pages/s and the crawl process's CPU milliseconds per page).

    python bench/watch_alerts.py [--pages 400] [--samples 20]

Writes bench/results/watch_alerts.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # not bench/: its incremental.py would shadow the package twisted needs

from bench.common import drop_indices, write_result  # noqa: E402
from monitor.alerts.hook import INTERVAL, match_round  # noqa: E402
from monitor.alerts.matcher import Matcher, WatchStore  # noqa: E402
from monitor.alerts.watches import Watch  # noqa: E402
from monitor.demo.server import crawl_command, serve  # noqa: E402
from monitor.es.bulk import write  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.node import ensure_available  # noqa: E402
from monitor.es.schema import ensure_articles_index  # noqa: E402
from monitor.notify.channels import Channel, Channels  # noqa: E402
from monitor.search.glossary import load_glossary  # noqa: E402
from monitor.text.dates import utc_now_iso  # noqa: E402
from tests.sites.generated import generate_site, write_listing  # noqa: E402

WORDS = (
    "wafer",
    "foundry",
    "subsidy",
    "tariff",
    "sensor",
    "robot",
    "battery",
    "lidar",
    "quantum",
    "satellite",
)


class Receiver(ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.times: dict[str, float] = {}
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.times.setdefault(body.get("document_id", "?"), time.perf_counter())
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


def watches(count: int, channel: str | None = "hook") -> list[Watch]:
    """`count` watches: one matches every benchmark document ("benchmarkterm"), the others ask
    for word pairs the documents do not have."""
    rng = random.Random(count)
    channels = (channel,) if channel else ()
    found = [Watch(id="w0", name="w0", all=("benchmarkterm",), channels=channels)]
    for i in range(1, count):
        a, b = rng.sample(list(WORDS), 2)
        found.append(Watch(id=f"w{i}", name=f"w{i}", all=(f"{a}{i}", b), channels=channels))
    return found


def document(i: int) -> dict:
    text = (
        f"Benchmark document {i}: the benchmarkterm appears here, with wafer and sensor news. " * 5
    )
    return {
        "url": f"http://bench.test/{i}",
        "canonical_url": f"http://bench.test/{i}",
        "source_id": "bench",
        "language": "en",
        "title": f"Benchmark document {i}",
        "text": text,
        "content_hash": uuid.uuid4().hex,
        "indexed_at": utc_now_iso(),
        "translation": {"status": "not_needed"},
    }


def latency(config: EsConfig, count: int, samples: int) -> dict:
    es = make_client(config)
    ensure_articles_index(es, config)
    receiver = Receiver()
    url = f"http://127.0.0.1:{receiver.server_port}/hook"
    channels = Channels(
        {"hook": Channel("hook", "webhook", {"url": url, "timeout": 10, "retries": 0})}
    )
    WatchStore(es, config).sync(watches(count), load_glossary())
    matcher = Matcher(es, config)
    pending: list[str] = []
    written: dict[str, float] = {}
    lock, stop = threading.Lock(), threading.Event()

    def hook_loop() -> None:  # as the crawl's matcher thread does
        while not stop.wait(INTERVAL):
            with lock:
                ids, pending[:] = list(pending), []
            if ids:
                match_round(es, matcher, channels, ids)

    thread = threading.Thread(target=hook_loop, daemon=True)
    thread.start()
    time.sleep(1.5)  # the watches' first_created_at is behind us
    alias = config.index_name("articles")
    for i in range(samples):
        doc_id = f"doc-{count}-{i}"
        written[doc_id] = time.perf_counter()
        write(es, alias, [("create", doc_id, document(i))])
        with lock:
            pending.append(doc_id)
        time.sleep(random.uniform(0.6, 1.2))
    deadline = time.monotonic() + 30
    while len(receiver.times) < samples and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    thread.join(10)
    receiver.shutdown()
    delays = sorted(receiver.times[d] - written[d] for d in written if d in receiver.times)
    return {
        "watches": count,
        "samples": samples,
        "received": len(delays),
        "median_seconds": round(statistics.median(delays), 3) if delays else None,
        "p95_seconds": round(delays[int(0.95 * (len(delays) - 1))], 3) if delays else None,
    }


def matching_cost(config: EsConfig, counts: list[int]) -> list[dict]:
    es = make_client(config)
    alias = ensure_articles_index(es, config)
    ids = [f"cost-{i}" for i in range(100)]
    write(es, alias, [("create", i, document(n)) for n, i in enumerate(ids)], refresh=True)
    store, results = WatchStore(es, config), []
    for count in counts:
        store.sync(watches(count, channel=None), None)
        matcher = Matcher(es, config)
        matcher.watches()
        matcher._raise = lambda found: []  # the cost of matching, not of writing alerts
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            matcher.match(ids, backlog=True)
            runs.append(time.perf_counter() - started)
        best = min(runs)
        results.append(
            {
                "watches": count,
                "seconds_per_100_documents": round(best, 3),
                "ms_per_watch": round(1000 * best / count, 3),
                "msearch_requests": -(-count // 200),
            }
        )
        print(results[-1], flush=True)
    return results


def crawl_throughput(pages: int) -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    paths = generate_site(work / "www", pages)
    write_listing(work / "www", paths, per_page=100)
    server = serve(work / "www")
    sources = work / "sources.yaml"
    sources.write_text(
        "sources:\n  - id: bench\n    type: listing\n"
        f"    urls: {server.base}/site/list/index.html\n"
        "    links: ul.articles a\n    next: a.next\n"
    )
    watchlist = work / "watchlists.yaml"
    entries = "".join(
        f"  - id: {w.id}\n    all: [{', '.join(w.all)}]\n" for w in watches(200, None)
    )
    watchlist.write_text("watches:\n" + entries)
    results = []
    for round_ in range(3):
        for label, extra in (
            ("200 watches", ("--watchlist", str(watchlist))),
            ("no watches", ("-s", "MONITOR_WATCHES=False")),
        ):
            prefix = f"bench-watch-{uuid.uuid4().hex[:8]}"
            if label == "200 watches":  # steady state: the watches are in the cluster already
                config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": prefix})
                es = make_client(config)
                WatchStore(es, config).sync(watches(200, None), load_glossary())
                Matcher(es, config).catch_up()  # the checkpoint exists
            command = crawl_command(
                sources,
                "--json",
                "--no-translate",
                "--channels",
                str(work / "no-channels.yaml"),
                *("-s", "CONCURRENT_REQUESTS=32", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32"),
                *("-s", "MONITOR_PROGRESS_INTERVAL=0"),
                *extra,
            )
            env = dict(os.environ, MONITOR_INDEX_PREFIX=prefix)
            started = time.perf_counter()
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
            ps = psutil.Process(proc.pid)
            cpu = 0.0
            while proc.poll() is None:
                with contextlib.suppress(psutil.Error):
                    cpu = sum(ps.cpu_times()[:2])
                time.sleep(0.1)
            seconds = time.perf_counter() - started
            out = proc.stdout.read()
            [summary] = json.loads(out)["sources"]
            results.append(
                {
                    "run": round_ + 1,
                    "case": label,
                    "pages": summary["pages"],
                    "indexed": summary["indexed"],
                    "seconds": round(seconds, 2),
                    "pages_per_second": round(summary["pages"] / seconds, 1),
                    "crawl_process_cpu_ms_per_page": round(
                        1000 * cpu / max(summary["pages"], 1), 2
                    ),
                }
            )
            print(results[-1], flush=True)
            drop_indices(prefix)
    server.shutdown()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=400)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    ensure_available(EsConfig.from_env(), log=print)
    lat = []
    for count in (10, 200, 1000):
        config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": f"bench-lat-{uuid.uuid4().hex[:8]}"})
        try:
            lat.append(latency(config, count, args.samples))
        finally:
            drop_indices(config.index_prefix)
        print(lat[-1], flush=True)
    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": f"bench-cost-{uuid.uuid4().hex[:8]}"})
    try:
        cost = matching_cost(config, [10, 100, 1000, 5000])
    finally:
        drop_indices(config.index_prefix)
    throughput = crawl_throughput(args.pages)
    by_case: dict[str, list[float]] = {}
    for row in throughput:
        by_case.setdefault(row["case"], []).append(row["pages_per_second"])
    ratio = statistics.mean(by_case["200 watches"]) / statistics.mean(by_case["no watches"])
    path = write_result(
        "watch_alerts",
        {
            "latency": lat,
            "matching_cost": cost,
            "crawl_throughput": throughput,
            "throughput_ratio_200_watches_vs_none": round(ratio, 3),
        },
    )
    print(f"throughput with 200 watches / without: {ratio:.3f}; written to {path}")


if __name__ == "__main__":
    main()
