"""What raw captures cost: crawl throughput with WARC captures on against off, in one run.

The generated site of bench/crawl_throughput.py (article pages of about 45 KB behind paginated
listings) is crawled end to end into Elasticsearch with MONITOR_WARC=false and =true, interleaved,
`--runs` times each; medians of pages per second and CPU seconds (crawl process and extraction
workers), and the bytes the WARC files take per 1,000 pages. The issue's bound: at most 10 %
slower.

    python bench/warc_cost.py [--pages 1000] [--runs 3]

Writes bench/results/warc_cost.json. Needs the local node or MONITOR_ES_URL.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write_result  # noqa: E402
from bench.crawl_throughput import crawl  # noqa: E402
from monitor.demo.server import serve  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.node import ensure_available  # noqa: E402
from tests.sites.generated import generate_site, write_listing  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure_available(EsConfig.from_env())
    runs: dict[str, list[dict]] = {"off": [], "on": []}
    sizes = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = generate_site(tmp, args.pages)
        write_listing(tmp, paths)
        server = serve(tmp)
        for n in range(args.runs):
            for label in ("off", "on"):
                folder = tmp / f"warc-{n}"
                settings = ("MONITOR_WARC=false",) if label == "off" else (
                    "MONITOR_WARC=true", f"MONITOR_WARC_DIR={folder}")  # fmt: skip
                result = crawl(server.base, len(paths), "process", tmp, settings)
                runs[label].append(result)
                if label == "on":
                    sizes.append(sum(f.stat().st_size for f in folder.glob("*.warc.gz")))
                cpu = result["cpu_seconds"]["crawl_process"]
                cpu += result["cpu_seconds"]["extraction_workers"]
                rate = result["pages_per_second"]
                print(f"run {n + 1} captures {label:<3} {rate:6.1f} pages/s  CPU {cpu:.1f} s")
        server.shutdown()
    summary = {}
    for label, rows in runs.items():
        summary[label] = {
            "median_pages_per_second": statistics.median(r["pages_per_second"] for r in rows),
            "median_cpu_seconds": statistics.median(
                r["cpu_seconds"]["crawl_process"] + r["cpu_seconds"]["extraction_workers"]
                for r in rows
            ),
            "median_crawl_process_cpu_seconds": statistics.median(
                r["cpu_seconds"]["crawl_process"] for r in rows
            ),
            "runs": rows,
        }
    on, off = (summary[k]["median_pages_per_second"] for k in ("on", "off"))
    slower = 1 - on / off
    per_thousand = statistics.median(sizes) / args.pages * 1000
    print(f"captures on: {slower:+.1%} slower; {per_thousand / 2**20:.1f} MB of WARC a 1,000 pages")
    path = write_result(
        "warc_cost",
        {"pages": args.pages, "contenders": summary, "slower_share": round(slower, 3),
         "warc_bytes_per_1000_pages": round(per_thousand),
         "page_bytes_mean_kb": runs["on"][0].get("mean_page_kb")},
    )  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
