"""Versions on the sample sites: how often page furniture would make a version, and whether real
edits do.

The bundled sample sites are copied, served and crawled once; then every article page (those
expected.json lists) is changed three ways in turn, each followed by a `--full` crawl, counting
the versions made:

- sidebar: a block of "updated" date and view count after the article, new at every crawl
  (outside the extracted text);
- counter: a "阅读次数 / Views: N" line right under the headline (inside the article's container,
  so it may reach the extracted text), N new at every crawl;
- edit: the start of the article's first paragraph rewritten (a real change: every stored page
  it applies to should make one version; a page stored as a reprint of another becomes a new
  document instead).

    python bench/versions.py

Writes bench/results/versions.json. Needs the local node or MONITOR_ES_URL.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write_result  # noqa: E402
from monitor.demo.server import crawl_command, demo_sources, serve  # noqa: E402
from monitor.demo.sites import SITES  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.node import ensure_available  # noqa: E402
from monitor.es.schema import delete_all  # noqa: E402


def crawl(sources: Path, env: dict[str, str], *extra: str) -> dict:
    done = subprocess.run(
        crawl_command(sources, "--json", "--no-translate", *extra),
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"crawl failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def read(path: Path) -> tuple[str, str]:
    """The page's text and its encoding (one sample site is in GBK)."""
    body = path.read_bytes()
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return body.decode("gb18030"), "gb18030"


def versions(es, config: EsConfig) -> int:
    alias = config.index_name("versions")
    if not es.indices.exists_alias(name=alias):
        return 0
    es.indices.refresh(index=alias)
    return es.count(index=alias)["count"]


def main() -> None:
    ensure_available(EsConfig.from_env())
    expected = json.loads((SITES / "expected.json").read_text(encoding="utf-8"))
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        shutil.copytree(SITES, tmp / "sites")
        www = tmp / "sites" / "www"
        server = serve(www)
        sources = demo_sources({tmp / "sites": server.base}, tmp / "sources.yaml")
        config = EsConfig.from_env(
            {"MONITOR_INDEX_PREFIX": f"bench-versions-{uuid.uuid4().hex[:8]}"}
        )
        env = dict(os.environ, MONITOR_INDEX_PREFIX=config.index_prefix,
                   MONITOR_WARC_DIR=str(tmp / "warc"))  # fmt: skip
        es = make_client(config)
        crawl(sources, env)
        es.indices.refresh(index=config.index_name("articles"))
        stored = es.count(index=config.index_name("articles"))["count"]
        pages = [e for e in expected if (www / e["path"].lstrip("/")).is_file()]
        originals = {e["path"]: (www / e["path"].lstrip("/")).read_bytes() for e in pages}
        results = {}
        for case in ("sidebar", "counter", "edit"):
            applied = 0
            for entry in pages:
                path = www / entry["path"].lstrip("/")
                html, encoding = read(path)
                if case == "sidebar":
                    block = (f'<div class="sidebar">更新时间：2024-0{rng.randint(1, 9)}-1'
                             f'{rng.randint(0, 9)} 0{rng.randint(0, 9)}:{rng.randint(10, 59)} '
                             f"· Views {rng.randint(100, 99999)}</div>")  # fmt: skip
                    html = html.replace("</body>", block + "</body>", 1)
                elif case == "counter":
                    line = (
                        f"<p>阅读次数：{rng.randint(100, 99999)} Views: {rng.randint(1, 999)}</p>"
                    )
                    html = html.replace("</h1>", "</h1>" + line, 1)
                else:
                    first = entry["paragraphs"][0]
                    html = html.replace(first[:20], "（更新）" + first[:20][::-1], 1)
                applied += html != read(path)[0]
                path.write_text(html, encoding)
            before = versions(es, config)
            summary = crawl(sources, env, "--full")
            made = versions(es, config) - before
            results[case] = {"pages_changed": applied, "versions_made": made,
                             "indexed": sum(s["indexed"] for s in summary["sources"])}  # fmt: skip
            print(f"{case:<8} {applied} pages changed → {made} versions", flush=True)
        for path, body in originals.items():
            (www / path.lstrip("/")).write_bytes(body)
        delete_all(es, config)
        server.shutdown()
    write_result("versions", {"documents_stored": stored, "cases": results})
    print("wrote bench/results/versions.json")


if __name__ == "__main__":
    main()
