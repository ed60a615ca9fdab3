"""Shared helpers for the benchmarks: where results go, and how they are written."""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """Write `bench/results/<name>.json` with the machine's description and a timestamp."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": _cpus(),
        },
        **payload,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return path


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def drop_indices(prefix: str) -> None:
    """Delete the indices and templates a benchmark created under its own prefix."""
    from monitor.es.client import make_client
    from monitor.es.config import EsConfig
    from monitor.es.schema import delete_all

    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": prefix})
    delete_all(make_client(config), config)


def process_tree_cpu(root: int, reaped: bool = True) -> dict[int, float]:
    """{pid: CPU seconds} of `root` and its living descendants, read from /proc (workers forked
    from a fork server escape RUSAGE_CHILDREN): each one's own, and with `reaped` the children it
    has reaped too (leave it out when sampling the same tree again and again)."""
    import os

    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile: its parent has reaped it
        parent = int(fields[1])
        cpu = sum(int(x) for x in fields[11 : 15 if reaped else 13]) / ticks
        stats[int(entry.name)] = (parent, cpu)
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, (parent, _) in stats.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    return {pid: stats[pid][1] for pid in tree if pid in stats}


def local_node_cpu_seconds(es: Any) -> float:
    """CPU seconds the Elasticsearch node(s) used since they started: read from /proc when the
    node runs on this machine (exact, at once), else the node's own figure (refreshed once a
    second, too coarse for a run of a few seconds)."""
    nodes = es.nodes.info(metric="process")["nodes"]
    pids = [n["process"]["id"] for n in nodes.values()]
    if all(Path(f"/proc/{pid}/stat").exists() for pid in pids):
        return sum(sum(process_tree_cpu(pid).values()) for pid in pids)
    stats = es.nodes.stats(metric="process")["nodes"]
    return sum(n["process"]["cpu"]["total_in_millis"] for n in stats.values()) / 1000


def measured_run(command: list[str], stdin: str | None = None, **options: Any) -> tuple:
    """(returncode, stdout, stderr, wall seconds, CPU seconds of the whole process tree) of a
    command: its descendants' own CPU sampled from /proc every 0.1 s, the last value seen per
    process kept, so forked workers that escape RUSAGE_CHILDREN count too."""
    import subprocess
    import threading

    seen: dict[int, float] = {}
    started = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.PIPE if stdin is not None else None,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               **options)  # fmt: skip
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid, cpu in process_tree_cpu(process.pid, reaped=False).items():
                seen[pid] = max(seen.get(pid, 0.0), cpu)
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate(stdin)
    done.set()
    sampler.join()
    return process.returncode, out, err, time.perf_counter() - started, sum(seen.values())
