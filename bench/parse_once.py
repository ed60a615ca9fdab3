"""One parse per page (issue 31): the extraction's CPU per page, this tree against a git revision
(default HEAD), interleaved in one run, on the three scored sets' pages (the 181-page article
set, the 127 news-metadata pages, the Chinese layouts).

Each side runs in its own process (the revision's `monitor` package exported with `git
archive`), warms up on every page once, then measures `analyse_page` over every page with
`time.process_time` (CPU of that process: extraction is single-threaded). Rounds alternate
ours/theirs, so the machine's noise falls on both.

    .venv/bin/python bench/parse_once.py [--against REV] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import SHARED_DATA, write_result  # noqa: E402

MEASURE = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
sys.path.insert(1, {bench!r})
import monitor  # the side's own package, before bench imports one
from bench.extraction_quality import load, news_metadata_pages, zh_layout_pages
from monitor.text.analyse import analyse_page, init_worker
init_worker()
pages = [(b, u) for _, b, u, _ in load(Path({articles!r}), None)]
pages += [(b, "https://news.example/" + f) for f, b, _ in news_metadata_pages(Path({metadata!r}))]
pages += [(b, "https://gov.example/" + f) for f, b, _ in zh_layout_pages()]
def once():
    for body, url in pages:
        try:
            analyse_page(body, url, content_type="text/html")
        except Exception:
            pass
once()
start = time.process_time()
once()
import monitor
print(json.dumps({{"pages": len(pages), "cpu": time.process_time() - start,
                  "package": monitor.__file__}}))
"""


def export(rev: str, into: Path) -> Path:
    """The revision's `monitor` package under `into` (bench/ and the data are ours)."""
    archive = subprocess.run(["git", "archive", rev, "monitor"], cwd=ROOT, capture_output=True,
                             check=True).stdout  # fmt: skip
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def measure(root: Path) -> dict:
    code = MEASURE.format(
        root=str(root), bench=str(ROOT), articles=str(SHARED_DATA / "article-extraction-benchmark"),
        metadata=str(SHARED_DATA / "news-metadata-benchmark"),
    )  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True,
                          text=True, check=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="HEAD", help="the revision to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        theirs = export(args.against, Path(folder))
        runs: dict[str, list[float]] = {"ours": [], "theirs": []}
        pages = 0
        for n in range(args.rounds):
            for side, root in (("ours", ROOT), ("theirs", theirs))[:: 1 if n % 2 == 0 else -1]:
                result = measure(root)
                assert result["package"].startswith(str(root)), result  # the side's own code
                pages = result["pages"]
                runs[side].append(result["cpu"] / pages * 1000)
                print(f"round {n + 1} {side:<6} {runs[side][-1]:.2f} ms CPU per page", flush=True)
    ours, theirs_ms = statistics.median(runs["ours"]), statistics.median(runs["theirs"])
    rev = subprocess.run(["git", "rev-parse", "--short", args.against], cwd=ROOT,
                         capture_output=True, text=True).stdout.strip()  # fmt: skip
    payload = {
        "pages": pages,
        "against": rev,
        "cpu_ms_per_page": {"ours": round(ours, 3), "theirs": round(theirs_ms, 3)},
        "runs_ms_per_page": {k: [round(v, 3) for v in vs] for k, vs in runs.items()},
        "ratio_ours_to_theirs": round(ours / theirs_ms, 3),
    }
    print(json.dumps(payload, indent=2))
    print(f"wrote {write_result('parse_once', payload)}")


if __name__ == "__main__":
    main()
