"""`monitor export` memory: peak RSS for 10,000 and 100,000 rows, ours (point in time, rows written
as they come) against a baseline that collects every hit first and writes at the end, in one run.

    python bench/export_memory.py [--rows 100000]

Indexes generated documents into a throw-away index (prefix `bench-export`) on the configured node
(`monitor es start`). Each export runs in its own process; its peak resident memory is sampled.
Writes bench/results/export_memory.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

from bench.common import drop_indices, write_result  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.schema import ensure_articles_index  # noqa: E402
from tests.faultkit import PeakRss  # noqa: E402

PREFIX = "bench-export"
# The baseline: what a script without a point in time would do: every hit into a list (scroll),
# then the file.
BASELINE = """
import csv, itertools, sys
from elasticsearch import Elasticsearch, helpers
es = Elasticsearch(sys.argv[1])
hits = helpers.scan(es, index=sys.argv[2], size=1000, query={"query": {"match_all": {}}})
rows = [h["_source"] for h in itertools.islice(hits, int(sys.argv[4]))]
hits.close()  # clears the scroll now, not at interpreter exit (where it hangs)
with open(sys.argv[3], "w", encoding="utf-8-sig", newline="") as f:
    w = csv.writer(f)
    for r in rows:
        w.writerow([r.get("title"), r.get("published_at"), r.get("source_id"), r.get("url")])
"""


def document(i: int) -> dict:
    return {
        "url": f"http://gen.example/{i}.html",
        "source_id": "gen",
        "language": "zh" if i % 2 else "en",
        "doc_type": "news",
        "title": f"第{i}号 集成电路产业动态 Chip industry news {i}",
        "text": ("集成电路产业政策支持芯片设计企业。" * 20) + f" {i}",
        "published_at": f"20{10 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}",
    }


def fill(es, alias: str, rows: int) -> None:
    for start in range(0, rows, 5000):
        operations = []
        for i in range(start, min(rows, start + 5000)):
            operations += [{"index": {"_index": alias, "_id": f"g{i}"}}, document(i)]
        es.bulk(operations=operations)
    es.indices.refresh(index=alias)


def peak(command: list[str], env: dict) -> tuple[int, float]:
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = PeakRss(process.pid, interval=0.05)
    _, err = process.communicate()
    top = sampler.stop()
    if process.returncode:
        raise SystemExit(f"{command[:4]} failed: {err.decode()[-500:]}")
    return top, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": PREFIX})
    es = make_client(config, request_timeout=120)
    drop_indices(PREFIX)
    ensure_articles_index(es, config)
    alias = config.index_name("articles")
    fill(es, alias, args.rows)
    env = dict(os.environ, MONITOR_INDEX_PREFIX=PREFIX)
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for rows in sorted({10_000, args.rows}):
                ours, ours_s = peak(
                    [sys.executable, "-m", "monitor", "export", "--out", f"{tmp}/o.csv",
                     "--limit", str(rows)],
                    env,
                )  # fmt: skip
                url = config.url or f"http://127.0.0.1:{config.local_port}"
                base, base_s = peak(
                    [sys.executable, "-c", BASELINE, url, alias, f"{tmp}/b.csv", str(rows)], env
                )
                written = {
                    name: Path(f"{tmp}/{name}.csv").read_text("utf-8-sig").count("\n")
                    for name in ("o", "b")
                }
                results.append(
                    {
                        "rows": rows,
                        "ours_lines": written["o"],
                        "baseline_lines": written["b"],
                        "ours_peak_mb": round(ours / 2**20, 1),
                        "ours_seconds": round(ours_s, 1),
                        "baseline_peak_mb": round(base / 2**20, 1),
                        "baseline_seconds": round(base_s, 1),
                    }
                )
                print(results[-1], flush=True)
    finally:
        drop_indices(PREFIX)
    small, large = results[0], results[-1]
    payload = {
        "rows": [r["rows"] for r in results],
        "results": results,
        "growth": {
            "ours": round(large["ours_peak_mb"] / small["ours_peak_mb"], 2),
            "baseline": round(large["baseline_peak_mb"] / small["baseline_peak_mb"], 2),
        },
    }
    path = write_result("export_memory", payload)
    print(f"peak RSS growth from {small['rows']} to {large['rows']} rows: {payload['growth']}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
