"""Where a crawl's CPU goes: py-spy samples `monitor crawl` of a generated site, crawl process and
extraction workers apart, and writes the top functions, so the next person starts from evidence.

    python bench/profile.py [--pages 2000] [--rate 200] [--top 25]

Writes bench/results/profile.json: for the crawl process and for the workers, the functions with
the most samples on CPU by themselves ("self") and with their callees ("total"), as shares of that
side's samples. Needs py-spy (a dev dependency) and the local node or MONITOR_ES_URL; py-spy reads
other processes' memory, so it needs ptrace permission (root, or kernel.yama.ptrace_scope=0).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write_result  # noqa: E402
from monitor.demo.server import crawl_command, serve  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.node import ensure_available  # noqa: E402
from monitor.es.schema import delete_all  # noqa: E402
from tests.sites.generated import generate_site, listing_sources, write_listing  # noqa: E402

# a worker's stacks carry its command line (multiprocessing's spawn) or its worker loop
WORKER_MARKS = ("multiprocessing-fork", "_process_worker")


def frame_name(frame: str) -> str:
    """'analyse_page (monitor/text/analyse.py:64)' → 'monitor/text/analyse.py:analyse_page'."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0].rstrip(")")
    if name.startswith("process ") or not where:  # py-spy's line for the process itself
        return "(process)"
    for marker in ("site-packages/", "/work/", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{name}"


def top(stacks: Counter, n: int) -> dict:
    total = sum(stacks.values()) or 1
    own: Counter = Counter()
    inclusive: Counter = Counter()
    for stack, samples in stacks.items():
        frames = [frame_name(f) for f in stack.split(";") if f]
        if not frames:
            continue
        own[frames[-1]] += samples
        for name in set(frames):
            inclusive[name] += samples
    share = lambda c: [(name, round(s / total, 3)) for name, s in c.most_common(n)]  # noqa: E731
    return {"samples": total, "self": share(own), "total": share(inclusive)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=200, help="samples per second")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        raise SystemExit("py-spy is not installed: pip install -e '.[dev]'")
    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": f"bench-prof-{uuid.uuid4().hex[:8]}"})
    ensure_available(config)
    with tempfile.TemporaryDirectory() as tmp_name:
        site = Path(tmp_name)
        paths = generate_site(site, args.pages)
        write_listing(site, paths)
        server = serve(site)
        sources = listing_sources(site / "sources.yaml", server.base)
        raw = site / "stacks.txt"
        command = crawl_command(
            sources, "--json", "--no-translate", "-s", "MONITOR_PROGRESS_INTERVAL=0"
        )
        record = [spy, "record", "--subprocesses", "--format", "raw", "--rate", str(args.rate),
                  "--nonblocking", "-o", str(raw), "--", *command]  # fmt: skip
        env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix)
        done = subprocess.run(record, cwd=ROOT, env=env, capture_output=True, text=True)
        server.shutdown()
        delete_all(make_client(config), config)
        if done.returncode != 0 or not raw.exists():
            raise SystemExit(f"py-spy failed ({done.returncode}): {done.stderr[-2000:]}")
        crawl, workers = Counter(), Counter()
        for line in raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                is_worker = any(mark in stack for mark in WORKER_MARKS)
                (workers if is_worker else crawl)[stack] += int(count)
    result = {
        "pages": args.pages,
        "rate": args.rate,
        "crawl_process": top(crawl, args.top),
        "extraction_workers": top(workers, args.top),
    }
    for side in ("crawl_process", "extraction_workers"):
        print(f"-- {side} ({result[side]['samples']} samples), by self time")
        for name, share in result[side]["self"][:12]:
            print(f"{share:6.1%}  {name}")
    print(f"wrote {write_result('profile', result)}")


if __name__ == "__main__":
    main()
