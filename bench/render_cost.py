"""What rendering costs: the same listing pages crawled with `render: true` (headless Chromium,
every browser request through the guarding proxy) and plainly, in one run.

A local site of `--pages` listing pages (each with a small script that fetches a JSON file, as
script-built lists do, and links to two articles) is crawled end to end into Elasticsearch, the
plain crawl and the rendered one interleaved `--runs` times. Reported per listing page: wall
seconds and CPU seconds of the whole process tree (the crawl, its extraction workers, Playwright's
driver and Chromium), sampled from /proc while it runs, so that grandchildren count too.

    python bench/render_cost.py [--pages 40] [--runs 2]

Writes bench/results/render_cost.json. Needs the local node (or MONITOR_ES_URL) and Chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import measured_run, write_result  # noqa: E402
from monitor import command  # noqa: E402
from monitor.demo.server import LOCAL_CRAWL_SETTINGS, serve  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.node import ensure_available  # noqa: E402
from monitor.es.schema import delete_all  # noqa: E402
from tests.sites.cms_shells import ARTICLE  # noqa: E402

LISTING = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>列表 {n}</title></head><body>
<ul class="list">{items}</ul>{next}
<script>fetch("/data.json").then(function (r) {{ return r.json(); }}).then(function (d) {{
  document.title = d.title; }});</script></body></html>"""


def build(root: Path, pages: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.json").write_text('{"title": "列表"}', encoding="utf-8")
    for n in range(pages):
        items = []
        for k in range(2):
            path = f"/art/{n}_{k}.html"
            title = f"关于第{n}批第{k}项产业政策的通知"
            body = f"{title}。" + "为推动集成电路产业高质量发展，现将有关事项通知如下。" * 8
            (root / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
            (root / path.lstrip("/")).write_text(
                ARTICLE.format(title=title, day="2026-09-01", body=body), encoding="utf-8"
            )
            items.append(f'<li><a href="{path}">{title}</a></li>')
        following = f'<a class="next" href="/list_{n + 1}.html">下一页</a>' if n + 1 < pages else ""
        (root / f"list_{n}.html").write_text(
            LISTING.format(n=n, items="".join(items), next=following), encoding="utf-8"
        )


def crawl(sources: Path, prefix: str) -> dict:
    env = dict(os.environ, MONITOR_INDEX_PREFIX=prefix)
    args = command("crawl", "--sources", str(sources), "--json", "--no-translate",
                   *LOCAL_CRAWL_SETTINGS, "-s", "MONITOR_WARC=false",
                   "-s", "MONITOR_PROGRESS_INTERVAL=0")  # fmt: skip
    code, out, err, wall, cpu = measured_run(args, env=env, cwd=ROOT)
    if code != 0:
        raise SystemExit(f"crawl failed: {err[-2000:]}")
    [summary] = json.loads(out)["sources"]
    return {"wall_seconds": wall, "cpu_seconds": cpu, "summary": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    config = EsConfig.from_env()
    ensure_available(config)
    runs: dict[str, list[dict]] = {"plain": [], "rendered": []}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        build(tmp / "www", args.pages)
        server = serve(tmp / "www")
        for n in range(args.runs):
            for label in ("plain", "rendered"):
                sources = tmp / f"{label}.yaml"
                sources.write_text(
                    "sources:\n  - id: bench\n    type: listing\n"
                    f'    urls: "{server.base}/list_0.html"\n    links: "ul.list li a"\n'
                    '    next: "a.next"\n    language: zh\n'
                    + ("    render: true\n" if label == "rendered" else ""),
                    encoding="utf-8",
                )
                prefix = f"bench-render-{uuid.uuid4().hex[:8]}"
                result = crawl(sources, prefix)
                delete_all(make_client(EsConfig.from_env({"MONITOR_INDEX_PREFIX": prefix})),
                           EsConfig.from_env({"MONITOR_INDEX_PREFIX": prefix}))  # fmt: skip
                s = result["summary"]
                assert s["indexed"] == 2 * args.pages, s
                assert label == "plain" or s["rendered"] == args.pages, s
                runs[label].append(result)
                print(f"run {n + 1} {label:<8} wall {result['wall_seconds']:6.1f} s  "
                      f"CPU {result['cpu_seconds']:6.1f} s  ({s['indexed']} articles)")  # fmt: skip
        server.shutdown()
    per_page = {}
    for label, found in runs.items():
        per_page[label] = {
            "wall_seconds": statistics.median(r["wall_seconds"] for r in found) / args.pages,
            "cpu_seconds": statistics.median(r["cpu_seconds"] for r in found) / args.pages,
        }
    extra = {k: per_page["rendered"][k] - per_page["plain"][k] for k in per_page["plain"]}
    ratio = {k: per_page["rendered"][k] / per_page["plain"][k] for k in per_page["plain"]}
    payload = {
        "listing_pages": args.pages,
        "articles": 2 * args.pages,
        "runs": args.runs,
        "per_listing_page": per_page,
        "rendering_adds_per_page": extra,
        "rendered_over_plain": ratio,
        "note": "per listing page = a whole crawl's median wall / CPU (process tree) divided by "
        "the listing pages; the articles (2 a page) are fetched plainly in both",
        "raw": {
            k: [{x: r[x] for x in ("wall_seconds", "cpu_seconds")} for r in v]
            for k, v in runs.items()
        },  # fmt: skip
    }
    path = write_result("render_cost", payload)
    print(json.dumps({"per_listing_page": per_page, "rendering_adds_per_page": extra,
                      "rendered_over_plain": ratio}, indent=1))  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
