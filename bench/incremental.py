"""Incremental re-crawl against a full re-crawl of the same unchanged site, in one run.

Generates N article pages behind paginated listing pages (`next` links), crawls them once, then
crawls again twice: incrementally (the default) and with `--full`. Reports wall time and the
requests each re-crawl made (the fixture server counts them), then adds 1% new articles at the top
of the listing and re-crawls incrementally once more.

    python bench/incremental.py [--pages 1000]

Writes bench/results/incremental.json. Needs the local node or MONITOR_ES_URL.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import drop_indices, write_result  # noqa: E402
from monitor.demo.server import crawl_command, serve  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.node import ensure_available  # noqa: E402
from tests.sites.generated import generate_site, listing_sources, write_listing  # noqa: E402

SETTINGS = ("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "MONITOR_PROGRESS_INTERVAL=0")


def crawl(server, sources: Path, prefix: str, *extra: str) -> dict:
    mark = len(server.log)
    env = dict(os.environ, MONITOR_INDEX_PREFIX=prefix)
    command = crawl_command(sources, "--json", "--no-translate", *SETTINGS, *extra)
    started = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"crawl failed: {result.stderr[-2000:]}")
    [summary] = json.loads(result.stdout)["sources"]
    statuses = [status for _, status in server.log[mark:]]
    return {
        "seconds": round(seconds, 2),
        "requests": len(statuses),
        "answered_304": statuses.count(304),
        "indexed": summary["indexed"],
        "unchanged": summary["unchanged"],
        "known": summary["known"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args()
    ensure_available(EsConfig.from_env())
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = generate_site(tmp, args.pages + args.pages // 100)
        old, new = paths[: args.pages], paths[args.pages :]
        write_listing(tmp, old)
        server = serve(tmp)
        sources = listing_sources(tmp / "sources.yaml", server.base)
        try:
            first = crawl(server, sources, prefix)
            incremental = crawl(server, sources, prefix)
            full = crawl(server, sources, prefix, "--full")
            write_listing(tmp, new + old)  # 1% new articles at the top; every page shifts
            with_new = crawl(server, sources, prefix)
        finally:
            server.shutdown()
            drop_indices(prefix)
    result = {
        "pages": args.pages,
        "first_crawl": first,
        "recrawl_incremental": incremental,
        "recrawl_full": full,
        "recrawl_incremental_after_1pct_new": with_new,
        "speedup_incremental_vs_full": round(full["seconds"] / incremental["seconds"], 1),
        "requests_incremental_vs_full": [incremental["requests"], full["requests"]],
    }
    print(json.dumps(result, indent=2))
    print(f"wrote {write_result('incremental', result)}")


if __name__ == "__main__":
    main()
