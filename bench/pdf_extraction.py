"""PDF text extraction: pages per second, and its share of a crawl, in one run.

1. Pages per second on generated PDFs (Chinese and English text, 8 pages each), one process:
   `monitor.text.documents.extract_document` (ours: pypdf plus tidying and scan detection)
   against bare `pypdf` `extract_text()` over the same files.
2. A generated policy site (GBK-free, plain UTF-8) of N pages, each with two PDF attachments,
   crawled twice into Elasticsearch: with attachments and with `attachments: false`. Reports
   both wall times, and the workers' PDF reading time (from the runs index) as a share of the
   crawl's wall time.

    python bench/pdf_extraction.py [--pages 100] [--pdfs 60]

Writes bench/results/pdf_extraction.json. Needs the local node or MONITOR_ES_URL.
"""

from __future__ import annotations

import argparse
import io
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
from monitor.demo.sites.docs.build import pdf  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.node import ensure_available  # noqa: E402
from monitor.text.documents import extract_document  # noqa: E402

ZH = "第{n}条 对首次完成流片的设计企业按流片费用给予补助，支持晶圆制造和先进封装项目建设。"
EN = "Section {n}: support covers tape-out costs, wafer fabrication and advanced packaging."


def make_pdf(index: int, pages: int = 8) -> bytes:
    """A PDF of `pages` pages (reportlab, via the fixture builder's writer), 30 lines a page."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in range(pages):
        lines = [
            (ZH if line % 2 else EN).format(n=index * 1000 + page * 40 + line) for line in range(30)
        ]
        writer.add_page(PdfReader(io.BytesIO(pdf(lines))).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pages_per_second(files: list[bytes]) -> dict:
    from pypdf import PdfReader

    pages = sum(len(PdfReader(io.BytesIO(f)).pages) for f in files)
    started = time.perf_counter()
    for body in files:
        [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]
    bare = time.perf_counter() - started
    started = time.perf_counter()
    for body in files:
        extract_document(body, "http://bench.test/a.pdf")
    ours = time.perf_counter() - started
    return {
        "files": len(files),
        "pages": pages,
        "bare_pypdf_pages_per_second": round(pages / bare, 1),
        "ours_pages_per_second": round(pages / ours, 1),
        "ratio_ours_vs_bare": round(bare / ours, 2),
    }


def write_site(root: Path, pages: int, files: list[bytes]) -> None:
    (root / "site").mkdir(parents=True)
    for n, body in enumerate(files):
        (root / "site" / f"annex_{n}.pdf").write_bytes(body)
    links = []
    for i in range(pages):
        annexes = "".join(
            f'<p><a href="annex_{(2 * i + k) % len(files)}.pdf">附件{k + 1}</a></p>' for k in (0, 1)
        )
        text = "".join(f"<p>{ZH.format(n=i * 10 + k)}</p>" for k in range(6))
        html = f"<html><head><title>文件 {i}</title></head><body><h1>文件 {i}</h1>{text}{annexes}"
        (root / "site" / f"doc_{i}.html").write_text(html + "</body></html>", encoding="utf-8")
        links.append(f'<li><a href="doc_{i}.html">文件 {i}</a></li>')
    (root / "site" / "index.html").write_text(
        f"<html><body><ul class='docs'>{''.join(links)}</ul></body></html>", encoding="utf-8"
    )


def crawl(base: str, tmp: Path, attachments: bool) -> dict:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    sources = tmp / f"sources-{attachments}.yaml"
    sources.write_text(
        f"sources:\n  - id: bench\n    type: listing\n    urls: {base}/site/index.html\n"
        f"    links: ul.docs a\n    pages: {{pattern: 'index_{{n}}.html', count: 1}}\n"
        f"    attachments: {str(attachments).lower()}\n"
    )
    command = crawl_command(
        sources,
        "--json",
        "--no-translate",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=16",
        "-s",
        "MONITOR_PROGRESS_INTERVAL=0",
    )
    env = dict(os.environ, MONITOR_INDEX_PREFIX=prefix)
    started = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"crawl failed: {result.stderr[-2000:]}")
    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": prefix})
    [run] = [
        hit["_source"]
        for hit in make_client(config).search(index=config.index_name("runs"))["hits"]["hits"]
    ]
    drop_indices(prefix)
    return {
        "attachments": attachments,
        "seconds": round(seconds, 2),
        "indexed": json.loads(result.stdout)["sources"][0]["indexed"],
        "attachments_fetched": run["attachments"],
        "attachment_pdf_pages": run["attachment_pages"],
        "attachment_extract_seconds": round(run["attachment_extract_seconds"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100, help="policy pages in the crawl")
    parser.add_argument("--pdfs", type=int, default=60, help="distinct 8-page PDFs")
    args = parser.parse_args()
    ensure_available(EsConfig.from_env())
    files = [make_pdf(i) for i in range(args.pdfs)]
    speed = pages_per_second(files)
    print(f"PDF text: {speed}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        write_site(tmp / "www", args.pages, files)
        server = serve(tmp / "www")
        try:
            without = crawl(server.base, tmp, attachments=False)
            with_pdfs = crawl(server.base, tmp, attachments=True)
        finally:
            server.shutdown()
    share = with_pdfs["attachment_extract_seconds"] / with_pdfs["seconds"]
    result = {
        "pdf_text": speed,
        "crawl_without_attachments": without,
        "crawl_with_attachments": with_pdfs,
        "crawl_time_ratio_with_vs_without": round(with_pdfs["seconds"] / without["seconds"], 2),
        "pdf_reading_share_of_crawl_wall_time": round(share, 3),
    }
    print(json.dumps(result, indent=2))
    print(f"wrote {write_result('pdf_extraction', result)}")


if __name__ == "__main__":
    main()
