"""Side by side with the tools users would pick instead, on one generated site, one machine.

Contenders, each in its own virtualenv under bench/.peers/ (made by `--setup` or `make
bench-peers`; not part of the package), 3 runs interleaved, medians:

- `monitor crawl --no-translate` of the site (fetch, decode, extract, metadata, language, dedupe,
  bulk index into Elasticsearch): ours;
- bare trafilatura: `trafilatura.extract(html)` over the same pages read from disk, one process;
- trafilatura's CLI: `trafilatura -i urls.txt --parallel 2`, fetching from the fixture server. It
  needs a config file: without one it refuses 127.0.0.1 (SSRF_PROTECTION) and sleeps 5 s between
  requests to a host (SLEEP_TIME);
- news-please `NewsPlease.from_html` over the pages from disk, one process (it needs `jieba` for
  the Chinese pages, through newspaper4k).

news-please's crawler mode is not run: it fetches only from port 80 and is configured through a
directory of its own; see bench/README.md.

CPU is user + system time of the contender's whole process tree (bench.common.measured_run, read
from /proc while it runs, so workers forked from a fork server count too). Beside it, apart: the
Elasticsearch node's CPU over the same run (from /proc: bench.common.local_node_cpu_seconds), so
that ES's share per document is known (the peers index nothing: theirs is the node's idle cost),
and this process's (the fixture server and the sampler). `machine_cpu_ms_per_page` is the
contender's tree plus the node, per page: issue 31's "machine CPU per page" (fixture server
apart). Wall is pages over elapsed seconds.

Before the measured runs, one crawl of ours that is not counted: a node just started spends its
first minutes compiling (its JIT) and the figures of the first run were three times the third's
(node 35.6, 21.9, 11.7 CPU-s per 1,000 pages in three runs after `make es`); the peers index
nothing, so a warm node is the fair comparison, as a node in service is.

    python bench/peers.py [--pages 2000] [--runs 3] [--warmup 1] [--setup]

Writes bench/results/peers.json with `ratios`: for each peer, ours divided by theirs
(`wall`: our pages/s over theirs, above 1 is faster; `cpu_per_page`: our CPU per page over
theirs, below 1 is cheaper).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import local_node_cpu_seconds, measured_run, write_result  # noqa: E402
from monitor.demo.server import crawl_command, serve  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.node import ensure_available  # noqa: E402
from monitor.es.schema import delete_all  # noqa: E402
from tests.sites.generated import generate_site, listing_sources, write_listing  # noqa: E402

PEERS = ROOT / "bench" / ".peers"
VENVS = {  # name → what pip installs (the versions the issue measured)
    "trafilatura": ["trafilatura==2.3.1", "lxml_html_clean"],
    "newsplease": ["news-please==1.6.16", "jieba"],
}
TRAFILATURA_CONFIG = """[DEFAULT]
DOWNLOAD_TIMEOUT = 30
MAX_FILE_SIZE = 20000000
MIN_FILE_SIZE = 10
SLEEP_TIME = 0
USER_AGENTS =
COOKIE =
MAX_REDIRECTS = 2
SSRF_PROTECTION = off
INSECURE_SSL_FALLBACK = off
MIN_EXTRACTED_SIZE = 250
MIN_OUTPUT_SIZE = 1
MIN_OUTPUT_COMM_SIZE = 1
MAX_TREE_SIZE =
EXTRACTION_TIMEOUT = 30
MIN_DUPLCHECK_SIZE = 100
MAX_REPETITIONS = 2
EXTENSIVE_DATE_SEARCH = on
EXTERNAL_URLS = off
"""
# one process over the files named on standard input: the libraries' own loops
BARE_TRAFILATURA = """
import sys, warnings
warnings.simplefilter("ignore")
import trafilatura
for path in sys.stdin.read().split():
    trafilatura.extract(open(path, encoding="utf-8").read())
"""
NEWSPLEASE_FROM_HTML = """
import sys, warnings
warnings.simplefilter("ignore")
from newsplease import NewsPlease
for path in sys.stdin.read().split():
    NewsPlease.from_html(open(path, encoding="utf-8").read(), url="http://127.0.0.1/" + path)
"""


def python(name: str) -> Path:
    return PEERS / name / "bin" / "python"


def setup() -> None:
    """The peers' virtualenvs, each once."""
    for name, packages in VENVS.items():
        if python(name).exists():
            continue
        print(f"creating bench/.peers/{name}: {' '.join(packages)}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEERS / name)], check=True)
        subprocess.run([str(python(name)), "-m", "pip", "install", "-q", *packages], check=True)


def node_cpu_seconds() -> float:
    """CPU seconds the Elasticsearch node has used since it started."""
    return local_node_cpu_seconds(make_client(EsConfig.from_env()))


def timed(command: list[str], stdin: str | None = None, env: dict | None = None) -> dict:
    """Wall seconds, CPU seconds of the command's whole process tree (the extraction workers
    fork from a fork server, so RUSAGE_CHILDREN missed most of ours), of the node and of this
    process (fixture server, sampler) over the same run."""
    node, here = node_cpu_seconds(), time.process_time()
    code, _, err, wall, used = measured_run(command, stdin, env=env, cwd=ROOT)
    node, here = node_cpu_seconds() - node, time.process_time() - here
    if code != 0:
        raise SystemExit(f"{command[0]} failed ({code}): {err[-2000:]}")
    return {
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(used, 2),
        "es_cpu_seconds": round(node, 2),
        "fixture_server_cpu_seconds": round(here, 2),
    }


def ours(site: Path, base: str, pages: int) -> dict:
    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": f"bench-peers-{uuid.uuid4().hex[:8]}"})
    sources = listing_sources(site / "peers-sources.yaml", base)
    command = crawl_command(
        sources, "--json", "--no-translate", "-s", "CONCURRENT_REQUESTS=32",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32", "-s", "MONITOR_PROGRESS_INTERVAL=0",
    )  # fmt: skip
    try:
        result = timed(command, env=dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix))
        es = make_client(config)
        es.indices.refresh(index=config.index_name("articles"))
        indexed = es.count(index=config.index_name("articles"))["count"]
        if indexed != pages:
            raise SystemExit(f"our crawl indexed {indexed} of {pages} pages")
        return result
    finally:
        delete_all(make_client(config), config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1, help="uncounted crawls of ours first")
    parser.add_argument("--setup", action="store_true", help="create the peers' virtualenvs")
    args = parser.parse_args()
    if args.setup:
        setup()
    missing = [name for name in VENVS if not python(name).exists()]
    if missing:
        raise SystemExit(f"no virtualenv for {', '.join(missing)}: run with --setup")
    ensure_available(EsConfig.from_env())
    with tempfile.TemporaryDirectory() as tmp_name:
        site = Path(tmp_name)
        paths = generate_site(site, args.pages)
        write_listing(site, paths)
        server = serve(site)
        files = "\n".join(str(site / p.lstrip("/")) for p in paths)
        urls = site / "urls.txt"
        urls.write_text("\n".join(server.base + p for p in paths) + "\n")
        config = site / "trafilatura.cfg"
        config.write_text(TRAFILATURA_CONFIG)
        out = site / "cli-out"
        contenders = {
            "ours": lambda: ours(site, server.base, len(paths)),
            "bare_trafilatura": lambda: timed(
                [str(python("trafilatura")), "-c", BARE_TRAFILATURA], files
            ),
            "trafilatura_cli": lambda: timed(
                [
                    str(PEERS / "trafilatura" / "bin" / "trafilatura"),
                    "-i",
                    str(urls),
                    "--parallel",
                    "2",
                    "--config-file",
                    str(config),
                    "-o",
                    str(out),
                ]
            ),  # fmt: skip
            "news_please_from_html": lambda: timed(
                [str(python("newsplease")), "-c", NEWSPLEASE_FROM_HTML], files
            ),
        }
        for i in range(args.warmup):
            warm = contenders["ours"]()
            print(f"warm-up {i + 1} ours (not counted): node "
                  f"{warm['es_cpu_seconds'] / len(paths) * 1000:.2f} CPU s per 1,000 pages",
                  flush=True)  # fmt: skip
        runs: dict[str, list[dict]] = {name: [] for name in contenders}
        for i in range(args.runs):
            for name, run in contenders.items():
                run_figures = run()
                runs[name].append(run_figures)
                per_1000 = run_figures["cpu_seconds"] / len(paths) * 1000
                print(
                    f"run {i + 1} {name:<22} {len(paths) / run_figures['wall_seconds']:7.1f} "
                    f"pages/s  {per_1000:6.2f} CPU s per 1,000 pages "
                    f"(+ node {run_figures['es_cpu_seconds'] / len(paths) * 1000:.2f}, "
                    f"fixture server {run_figures['fixture_server_cpu_seconds']:.1f} s)",
                    flush=True,
                )
        server.shutdown()
    table = {}
    for name, found in runs.items():
        wall = statistics.median(r["wall_seconds"] for r in found)
        cpu = statistics.median(r["cpu_seconds"] for r in found)
        node = statistics.median(r["es_cpu_seconds"] for r in found)
        machine = statistics.median(r["cpu_seconds"] + r["es_cpu_seconds"] for r in found)
        table[name] = {
            "pages_per_second": round(args.pages / wall, 1),
            "cpu_seconds_per_1000_pages": round(cpu / args.pages * 1000, 2),
            "es_cpu_seconds_per_1000_pages": round(node / args.pages * 1000, 2),
            "machine_cpu_ms_per_page": round(machine / args.pages * 1000, 2),
            "runs": found,
        }
    mine = table["ours"]
    ratios = {
        name: {
            "wall": round(mine["pages_per_second"] / row["pages_per_second"], 2),
            "cpu_per_page": round(
                mine["cpu_seconds_per_1000_pages"] / row["cpu_seconds_per_1000_pages"], 2
            ),
        }
        for name, row in table.items()
        if name != "ours"
    }
    for name, row in table.items():
        print(f"{name:<22} {row['pages_per_second']:7.1f} pages/s  "
              f"{row['cpu_seconds_per_1000_pages']:6.2f} CPU s / 1,000 pages, "
              f"node {row['es_cpu_seconds_per_1000_pages']:.2f}, "
              f"machine {row['machine_cpu_ms_per_page']:.2f} ms/page")  # fmt: skip
    print(f"ratios (ours / theirs): {ratios}")
    path = write_result(
        "peers",
        {"pages": args.pages, "runs": args.runs, "warmup": args.warmup, "contenders": table,
         "ratios": ratios,
         "not_run": {"news_please_crawler": "fetches from port 80 only; configured by a "
                     "directory of its own (see bench/README.md)"}},
    )  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
