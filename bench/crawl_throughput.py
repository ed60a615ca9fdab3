"""Crawl throughput, end to end into Elasticsearch, against bare trafilatura in one process.

Generates a local site of N article pages (the sample sites' templates and texts, each page made
unique) behind paginated listing pages, serves it on 127.0.0.1, and measures in one run:

- baseline: `trafilatura.extract(html)` over the same pages, one process, read from disk;
- ours: `monitor crawl` of the site (fetch, decode, extract, detect language, dedupe, bulk index),
  with extraction in worker processes (the default) and in threads;
- peak memory (RSS) of the crawl process and of its extraction workers, at N and at 4N pages,
  to show it does not grow with the page count.

    python bench/crawl_throughput.py [--pages 2000] [--memory-pages 8000] [--quick]

Writes bench/results/crawl_throughput.json. Needs the local node or MONITOR_ES_URL.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write_result  # noqa: E402
from monitor.config import EsConfig  # noqa: E402
from monitor.devserver import crawl_command, serve  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.node import ensure_available  # noqa: E402
from monitor.es.schema import delete_all  # noqa: E402
from tests.sites.build import en_article, zh_article  # noqa: E402

FILLER_EN = (
    "Officials said the measures would be reviewed next year. Analysts expect more detail "
    "from provincial governments. Companies have asked for clearer guidance on eligibility."
)
FILLER_ZH = (
    "有关部门表示，将根据实施情况适时评估调整相关措施。业内人士预计，各地将陆续出台配套细则。"
)


def _weight(rng: random.Random, titles: list[str], i: int) -> str:
    """The page furniture of a real news site: a mega-menu, inline script and JSON-LD, a long
    related-stories rail and a link-heavy footer (pages of about 45 KB)."""
    menu = "".join(
        f'<li><a href="/section/{k}/{j}">{rng.choice(titles)[:12]}</a></li>'
        for k in range(12)
        for j in range(14)
    )
    script = "var cfg=" + ",".join(f'"k{j}":"{rng.getrandbits(64):x}"' for j in range(700)) + ";"
    rail = "".join(
        f'<li><a href="/story/{rng.getrandbits(32)}"><img src="/i/{j}.jpg" alt="">'
        f"<span>{rng.choice(titles)}</span></a><time>2024-0{j % 9 + 1}-1{j % 9}</time></li>"
        for j in range(40)
    )
    footer = "".join(f'<a href="/f/{j}">{rng.choice(titles)[:8]}</a> ' for j in range(160))
    return (
        f'<nav class="mega-menu"><ul>{menu}</ul></nav><script>{script}</script>'
        f'<script type="application/ld+json">{{"@type":"NewsArticle","id":{i}}}</script>',
        f'<aside class="rail"><h3>Most read</h3><ul>{rail}</ul></aside>'
        f'<div class="footer-links">{footer}</div>',
    )


def generate_site(root: Path, pages: int, seed: int = 7) -> list[str]:
    """Write `pages` unique article pages (half Chinese, half English)."""
    data = yaml.safe_load((ROOT / "tests/sites/articles.yaml").read_text(encoding="utf-8"))
    zh = [a for a in data["zhnews"]["articles"] if "body" in a]
    en = data["ennews"]["articles"]
    rng = random.Random(seed)
    paths = []
    for i in range(pages):
        pool, render, filler = (zh, zh_article, FILLER_ZH) if i % 2 else (en, en_article, FILLER_EN)
        base = pool[i % len(pool)]
        paragraphs = [p for a in pool for p in a["body"]]
        body = base["body"] + rng.sample(paragraphs, 9) + [f"{filler} ({i})"]
        article = dict(base, slug=f"{i:06d}", title=f"{base['title']} ({i})", body=body)
        html = render(article, [pool[(i + 1) % len(pool)], pool[(i + 2) % len(pool)]])
        head, tail = _weight(rng, [a["title"] for a in pool], i)
        html = html.replace("<body>", "<body>" + head, 1).replace("</main>", "</main>" + tail, 1)
        path = f"site/{i // 1000:03d}/{i:06d}.html"
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        paths.append("/" + path)
    return paths


def write_listing(root: Path, paths: list[str], per_page: int = 100) -> None:
    """Paginated listing pages (`next` links) over the given article paths."""
    listing = root / "site" / "list"
    shutil.rmtree(listing, ignore_errors=True)
    listing.mkdir(parents=True)
    chunks = [paths[i : i + per_page] for i in range(0, len(paths), per_page)]
    for n, chunk in enumerate(chunks):
        links = "".join(f'<li><a href="{p}">Article {p}</a></li>' for p in chunk)
        pager = f'<a class="next" href="index_{n + 1}.html">Next</a>' if n + 1 < len(chunks) else ""
        name = "index.html" if n == 0 else f"index_{n}.html"
        (listing / name).write_text(
            f"<html><body><ul class='articles'>{links}</ul>{pager}</body></html>"
        )


def baseline(root: Path, paths: list[str]) -> dict:
    import trafilatura

    started = time.perf_counter()
    chars = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in paths:
            chars += len(
                trafilatura.extract((root / path.lstrip("/")).read_text(encoding="utf-8")) or ""
            )
    seconds = time.perf_counter() - started
    size = sum((root / p.lstrip("/")).stat().st_size for p in paths) / len(paths)
    return {
        "pages": len(paths),
        "seconds": round(seconds, 2),
        "pages_per_second": round(len(paths) / seconds, 1),
        "chars": chars,
        "mean_page_kb": round(size / 1024, 1),
    }


class PeakMemory(threading.Thread):
    """Polls the RSS of a process and of its children (the extraction workers)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.main_peak = self.workers_peak = 0
        self.cpu: dict[int, float] = {}  # last CPU seconds seen per process
        self.running = True

    def run(self) -> None:
        while self.running:
            try:
                self.main_peak = max(self.main_peak, self.process.memory_info().rss)
                self.cpu[self.process.pid] = sum(self.process.cpu_times()[:2])
                children = self.process.children(recursive=True)
                for child in children:
                    self.cpu[child.pid] = sum(child.cpu_times()[:2])
                self.workers_peak = max(
                    self.workers_peak, sum(c.memory_info().rss for c in children)
                )
            except psutil.Error:
                pass
            time.sleep(0.1)

    def cpu_seconds(self) -> tuple[float, float]:
        """(crawl process, extraction workers) CPU seconds, as last seen."""
        main = self.cpu.get(self.process.pid, 0.0)
        return round(main, 1), round(sum(self.cpu.values()) - main, 1)


def crawl(base: str, pages: int, mode: str, tmp: Path) -> dict:
    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": f"bench-{uuid.uuid4().hex[:8]}"})
    sources = tmp / f"sources-{mode}.yaml"
    sources.write_text(
        f"sources:\n  - id: bench\n    type: listing\n    urls: {base}/site/list/index.html\n"
        "    links: ul.articles a\n    next: a.next\n"
    )
    env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix)
    command = crawl_command(
        sources,
        "--json",
        "-s",
        "CONCURRENT_REQUESTS=32",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=32",
        "-s",
        "MONITOR_PROGRESS_INTERVAL=0",
        "-s",
        f"MONITOR_EXTRACT_MODE={mode}",
    )
    started = time.perf_counter()
    server_cpu = sum(psutil.Process().cpu_times()[:2])  # the fixture server runs in this process
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    memory = PeakMemory(proc.pid)
    memory.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    server_cpu = sum(psutil.Process().cpu_times()[:2]) - server_cpu
    memory.running = False
    memory.join()
    main_cpu, workers_cpu = memory.cpu_seconds()
    es = make_client(config)
    es.indices.refresh(index=config.index_name("articles"))
    indexed = es.count(index=config.index_name("articles"))["count"]
    delete_all(es, config)
    if proc.returncode != 0:
        raise SystemExit(f"crawl failed ({proc.returncode}): {err[-2000:]}")
    return {
        "mode": mode,
        "pages": pages,
        "indexed": indexed,
        "seconds": round(seconds, 2),
        "pages_per_second": round(indexed / seconds, 1),
        "peak_rss_mb": round(memory.main_peak / 2**20),
        "workers_peak_rss_mb": round(memory.workers_peak / 2**20),
        "cpu_seconds": {
            "crawl_process": main_cpu,
            "extraction_workers": workers_cpu,
            "fixture_server": round(server_cpu, 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument(
        "--memory-pages", type=int, default=8000, help="the larger run for memory growth"
    )
    parser.add_argument("--quick", action="store_true", help="200 and 400 pages: a smoke run")
    parser.add_argument("--modes", default="process,thread", help="extraction modes to compare")
    args = parser.parse_args()
    if args.quick:
        args.pages, args.memory_pages = 200, 400
    ensure_available(EsConfig.from_env())
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = generate_site(tmp, max(args.memory_pages, args.pages))
        small = paths[: args.pages]
        server = serve(tmp)
        write_listing(tmp, small)
        base_line = baseline(tmp, small)
        print(f"bare trafilatura, one process: {base_line['pages_per_second']} pages/s")
        runs = []
        for mode in args.modes.split(","):
            runs.append(crawl(server.base, len(small), mode, tmp))
            print(f"monitor crawl ({mode}): {runs[-1]}")
        large = runs[0]
        if len(paths) > len(small):
            write_listing(tmp, paths)
            large = crawl(server.base, len(paths), "process", tmp)
            print(f"monitor crawl (process, {len(paths)} pages): {large}")
        server.shutdown()
    ratio = {
        r["mode"]: round(r["pages_per_second"] / base_line["pages_per_second"], 2) for r in runs
    }
    memory = {
        "pages": [args.pages, args.memory_pages],
        "crawl_process_peak_rss_mb": [runs[0]["peak_rss_mb"], large["peak_rss_mb"]],
        "workers_peak_rss_mb": [runs[0]["workers_peak_rss_mb"], large["workers_peak_rss_mb"]],
    }
    print(f"ratio to bare trafilatura: {ratio}; memory: {memory}")
    path = write_result(
        "crawl_throughput",
        {
            "baseline_bare_trafilatura": base_line,
            "crawls": runs,
            "large_crawl": large,
            "ratio_end_to_end_vs_bare": ratio,
            "memory": memory,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
