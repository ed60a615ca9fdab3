"""The fixed cost of a scheduled run that finds nothing new, ours against an earlier commit.

A scheduled crawl of sources that changed nothing still starts processes: the crawl, its
extraction workers, multiprocessing's resource tracker, the translation worker. After a first
crawl made every page of the sample sites known (so each page answers 304), this measures, with
every contender in the same run:

- `once`: `monitor schedule --once` with every source due (what cron runs): CPU seconds (user +
  system of every process the run started) and wall time, 3 interleaved runs;
- `service`: the long-lived `monitor schedule`, every source on `cron: '* * * * *'`, both
  contenders side by side for `--minutes`: the CPU of the scheduler's whole process tree (living
  processes and the children they reaped, from /proc) between the end of its first round and the
  end of its last, divided by the source runs in between. This is the issue's "CPU per nothing-new
  scheduled run" (the scheduler's own idle time included).

Contenders: baseline, the code of a git revision (default: the commit before issue 16's
changes), exported to a temporary directory and run with PYTHONPATH pointing at it; ours, this
tree.

    python bench/schedule_idle.py [--runs 3] [--minutes 4] [--baseline REV]

Writes bench/results/schedule_idle.json. Needs the local node or MONITOR_ES_URL.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import process_tree_cpu, write_result  # noqa: E402
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


def tree_cpu(root: int) -> float:
    """CPU seconds of `root` and its living descendants, with the children each one reaped."""
    return sum(process_tree_cpu(root).values())


class Service:
    """A running `monitor schedule` whose log lines are counted as they come."""

    def __init__(self, code: Path, env: dict[str, str], sources: Path, settings: list[str]):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "schedule", "--sources", str(sources), *settings],
            cwd=code,
            env=dict(env, PYTHONPATH=str(code)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.finished = 0  # source runs finished ("crawl X: exit N")
        self.lines: list[str] = []
        self.marks: list[tuple[int, float]] = []  # (finished runs, tree CPU) after each round
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)
            if ": exit " in line:
                self.finished += 1

    def mark(self) -> None:
        self.marks.append((self.finished, tree_cpu(self.process.pid)))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=120)


def service_runs(
    contenders: dict[str, Path], prefixes: dict[str, str], sources: Path, minutes: int
) -> dict[str, Any]:
    """Both services side by side on an every-minute schedule; a mark after each round."""
    cron = sources.with_name("sources-cron.yaml")
    text = sources.read_text().replace("\n- id:", "\n- schedule: {cron: '* * * * *'}\n  id:")
    cron.write_text(text)
    count = text.count("- schedule:")
    settings = list(LOCAL_CRAWL_SETTINGS)
    services = {
        name: Service(code, dict(os.environ, MONITOR_INDEX_PREFIX=prefixes[name]), cron, settings)
        for name, code in contenders.items()
    }
    try:
        for round_ in range(minutes + 1):
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline and not all(
                s.finished >= count * (round_ + 1) for s in services.values()
            ):
                time.sleep(0.5)
            if not all(s.finished >= count * (round_ + 1) for s in services.values()):
                raise SystemExit(
                    "a scheduler did not finish its round: "
                    + "".join("".join(s.lines[-20:]) for s in services.values())
                )
            time.sleep(3)  # the round's processes have exited and been reaped
            for service in services.values():
                service.mark()
            print(
                f"round {round_}: "
                + ", ".join(f"{name} {s.marks[-1][1]:.2f} CPU-s" for name, s in services.items()),
                flush=True,
            )
    finally:
        for service in services.values():
            service.stop()
    result = {}
    for name, service in services.items():
        (runs0, cpu0), (runs1, cpu1) = service.marks[0], service.marks[-1]
        runs = runs1 - runs0
        result[name] = {
            "source_runs_measured": runs,
            "cpu_seconds": round(cpu1 - cpu0, 2),
            "cpu_seconds_per_source_run": round((cpu1 - cpu0) / runs, 3),
            "cpu_seconds_per_round": round((cpu1 - cpu0) / (len(service.marks) - 1), 3),
            "first_round_cpu_seconds": round(cpu0, 2),  # start, imports, the first round
        }
        print(
            f"service {name:<9} {result[name]['cpu_seconds_per_source_run']:.3f} CPU-s a "
            f"source run, {result[name]['cpu_seconds_per_round']:.3f} a round of {count}"
        )
    return {"sources": count, "contenders": result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--minutes", type=int, default=4, help="service rounds measured")
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
        service = service_runs(contenders, prefixes, sources, args.minutes)
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
        {"baseline_revision": args.baseline, "sources": count,
         "once": {"contenders": summary, "ratio_cpu_ours_to_baseline": ratio},
         "service": service},
    )  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
