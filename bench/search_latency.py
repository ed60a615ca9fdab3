"""How long a `monitor search` takes: the command as an analyst runs it (a new process each time:
Python, imports, the dictionary, the requests) and the search alone in a warm process.

    python bench/search_latency.py [--runs 15]

The judged documents of both sets are indexed under a throw-away prefix on the configured node
(`monitor es start`); the judged queries are cycled through. Reported: median and 90th percentile
of the command's wall time, its CPU time (user + system, the process and its children), and
the warm search's median; the target is a command under 0.4 s. Writes
bench/results/search_latency.json.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

from bench.common import drop_indices, write_result  # noqa: E402
from bench.judged import index_set, load_set  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.schema import ensure_articles_index  # noqa: E402
from monitor.search.engine import SearchRequest, search  # noqa: E402

PREFIX = "bench-sl"
TARGET_SECONDS = 0.4


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": PREFIX})
    es = make_client(config)
    drop_indices(PREFIX)
    ensure_articles_index(es, config)
    alias = config.index_name("articles")
    queries = []
    for name in ("", "fresh"):
        documents, judged = load_set(name)
        index_set(es, alias, [d | {"id": f"{name or 'old'}-{d['id']}"} for d in documents])
        queries += [q["query"] for q in judged]
    env = {**os.environ, "MONITOR_INDEX_PREFIX": PREFIX}
    monitor = str(Path(sys.executable).with_name("monitor"))
    try:
        walls, cpus, warm = [], [], []
        subprocess.run([monitor, "search", queries[0], "--json"], env=env, capture_output=True)
        for i in range(args.runs):
            query = queries[i % len(queries)]
            before, started = _children_cpu(), time.perf_counter()
            done = subprocess.run(
                [monitor, "search", query, "--json"], env=env, capture_output=True, text=True
            )
            walls.append(time.perf_counter() - started)
            cpus.append(_children_cpu() - before)
            if done.returncode != 0:
                raise SystemExit(f"monitor search failed: {done.stderr}")
        for i in range(args.runs * 4):
            started = time.perf_counter()
            search(es, alias, SearchRequest(queries[i % len(queries)]))
            warm.append(time.perf_counter() - started)
    finally:
        drop_indices(PREFIX)
    walls.sort()
    payload = {
        "runs": args.runs,
        "command_wall_median_s": round(statistics.median(walls), 3),
        "command_wall_p90_s": round(walls[int(0.9 * (len(walls) - 1))], 3),
        "command_cpu_median_s": round(statistics.median(cpus), 3),
        "warm_search_median_ms": round(1000 * statistics.median(warm), 1),
        "target_command_s": TARGET_SECONDS,
        "met": statistics.median(walls) < TARGET_SECONDS,
    }
    path = write_result("search_latency", payload)
    print(
        f"monitor search: median {payload['command_wall_median_s']} s, p90 "
        f"{payload['command_wall_p90_s']} s, CPU {payload['command_cpu_median_s']} s; warm search "
        f"{payload['warm_search_median_ms']} ms; under {TARGET_SECONDS} s: {payload['met']}; "
        f"wrote {path}"
    )


if __name__ == "__main__":
    main()
