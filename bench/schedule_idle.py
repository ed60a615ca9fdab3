"""The fixed cost of a scheduled run that finds nothing new, ours against an earlier commit.

A scheduled crawl of sources that changed nothing still starts processes: the crawl, its
extraction workers, multiprocessing's resource tracker, the translation worker. This measures the
CPU seconds (user + system of every process the run started) and the wall time of
`monitor schedule --once` with every source of the sample sites due, after a first crawl made
every page known, so each page answers 304. Contenders, interleaved, in one run:

- baseline: the code of a git revision (default: the commit before issue 16's changes), exported
  to a temporary directory and run with PYTHONPATH pointing at it;
- ours: this tree.

    python bench/schedule_idle.py [--runs 3] [--baseline REV]

Writes bench/results/schedule_idle.json. Needs the local node or MONITOR_ES_URL.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write_result  # noqa: E402
from monitor.demo.server import LOCAL_CRAWL_SETTINGS, demo_sources, serve  # noqa: E402
from monitor.demo.sites import SITES  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.node import ensure_available  # noqa: E402
from monitor.es.schema import delete_all  # noqa: E402

BASELINE = "2cf4bc7"  # issue 15 done, before issue 16's changes
FUTURE = "2100-01-01T00:00:00+00:00"  # every source is due
CODE = ("monitor", "spiders", "pipelines", "scrapy.cfg")


def export(revision: str, target: Path) -> Path:
    """The package code of `revision`, written under `target`."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, *CODE],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def monitor(code: Path, env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """(CPU seconds of the run and all it started, wall seconds, stderr) of `monitor ARGS`."""
    cpu, started = children_cpu(), time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=code,
        env=dict(env, PYTHONPATH=str(code)),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"monitor {args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return children_cpu() - cpu, time.perf_counter() - started, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", default=BASELINE)
    args = parser.parse_args()
    ensure_available(EsConfig.from_env())
    server = serve(SITES / "www")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sources = demo_sources({SITES: server.base}, tmp / "sources.yaml")
        contenders = {"baseline": export(args.baseline, tmp / "baseline"), "ours": ROOT}
        settings = list(LOCAL_CRAWL_SETTINGS)
        prefixes, results = {}, {name: [] for name in contenders}
        for name, code in contenders.items():
            prefixes[name] = f"bench-idle-{uuid.uuid4().hex[:8]}"
            env = dict(os.environ, MONITOR_INDEX_PREFIX=prefixes[name])
            monitor(code, env, "crawl", "--sources", str(sources), "--no-translate", *settings)
        for _ in range(args.runs):
            for name, code in contenders.items():
                env = dict(os.environ, MONITOR_INDEX_PREFIX=prefixes[name])
                cpu, wall, _ = monitor(
                    code, env, "schedule", "--once", "--now", FUTURE, "--json",
                    "--sources", str(sources), *settings,
                )  # fmt: skip
                results[name].append({"cpu_seconds": round(cpu, 2), "wall_seconds": round(wall, 2)})
                print(f"{name:<9} CPU {cpu:5.2f} s  wall {wall:5.2f} s", flush=True)
        for prefix in prefixes.values():
            config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": prefix})
            delete_all(make_client(config), config)
        count = sum(1 for line in sources.read_text().splitlines() if line.startswith("- id:"))
        server.shutdown()
    summary = {
        name: {
            "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
            "median_wall_seconds": statistics.median(r["wall_seconds"] for r in runs),
            "runs": runs,
        }
        for name, runs in results.items()
    }
    for row in summary.values():
        row["cpu_seconds_per_source"] = round(row["median_cpu_seconds"] / count, 2)
    ratio = round(
        summary["ours"]["median_cpu_seconds"] / summary["baseline"]["median_cpu_seconds"], 2
    )
    print(f"{count} sources; CPU ours / baseline: {ratio}")
    path = write_result(
        "schedule_idle",
        {"baseline_revision": args.baseline, "sources": count, "contenders": summary,
         "ratio_cpu_ours_to_baseline": ratio},
    )  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
