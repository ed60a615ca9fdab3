"""`make demo`: crawl the bundled sample sites offline, then run a few searches.

The sample sites (tests/sites/www: a GBK government site with a JavaScript pager, a Chinese news
site with RSS, an English news site with Atom and a news sitemap, plus broken pages) are served on
127.0.0.1; the crawl goes into the `demo` index prefix (MONITOR_INDEX_PREFIX), not your data.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from monitor.devserver import crawl_command, render_sources, serve

ROOT = Path(__file__).resolve().parents[1]
SITES = ROOT / "tests" / "sites"
DEMO_PORT = 8765
SEARCHES = [
    ["光刻机 出口管制"],
    ["晶圆制造", "--source", "jiangdong-gov"],
    ["lithography export controls", "--lang", "en"],
    ["Big Fund", "--since", "2024-05-01", "--size", "3"],
]


def main() -> int:
    env = dict(os.environ)
    env.setdefault("MONITOR_INDEX_PREFIX", "demo")
    try:  # a fixed port keeps the sample URLs, and so the documents, the same across demos
        server = serve(SITES / "www", port=DEMO_PORT)
    except OSError:
        server = serve(SITES / "www")
    print(f"serving the sample sites at {server.base}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        sources = render_sources(SITES / "sources.yaml", server.base, Path(tmp) / "sources.yaml")
        monitor = [sys.executable, "-m", "monitor"]
        command = crawl_command(sources, "-s", "MONITOR_PROGRESS_INTERVAL=1")
        crawl = subprocess.run(command, env=env)
        if crawl.returncode != 0:
            return crawl.returncode
    server.shutdown()
    for args in SEARCHES:
        print(
            f"\n$ monitor search {' '.join(repr(a) if ' ' in a else a for a in args)}", flush=True
        )
        subprocess.run([*monitor, "search", *args], env=env, check=False)
    prefix = env["MONITOR_INDEX_PREFIX"]
    print(
        f"\nThe documents stay in the '{prefix}-articles' index; search them with "
        f"MONITOR_INDEX_PREFIX={prefix} monitor search QUERY",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
