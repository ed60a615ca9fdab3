"""`make demo`: crawl the bundled sample sites offline, then run a few searches.

The sample sites ship with the package (monitor/demo/sites): a GBK government site with a
JavaScript pager, a Chinese news site with RSS, an English news site with Atom and a news sitemap,
plus broken pages, and the documents fixture (a provincial policy site with PDF attachments and two
stock-exchange announcement APIs). They are served on 127.0.0.1; the crawl goes into the `demo`
index prefix (MONITOR_INDEX_PREFIX), not your data.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from monitor import command as monitor_command
from monitor.demo.server import crawl_command, render_sources, serve
from monitor.demo.sites import SITES

DEMO_PORT = 8765
SEARCHES = [
    ["光刻机 出口管制"],
    ["晶圆制造", "--source", "jiangdong-gov"],
    ["lithography export controls", "--lang", "en"],
    ["Big Fund", "--since", "2024-05-01", "--size", "3"],
    ["华辰半导体 设备采购"],  # filings (PDFs from an announcement API) and a policy page
    ["集成电路设计 流片补助", "--size", "3"],  # a policy page and its PDF attachment
]


def main() -> int:
    env = dict(os.environ)
    env.setdefault("MONITOR_INDEX_PREFIX", "demo")
    try:  # a fixed port keeps the sample URLs, and so the documents, the same across demos
        server = serve(SITES / "www", port=DEMO_PORT)
    except OSError:
        server = serve(SITES / "www")
    from monitor.demo.sites.docs.apis import install

    try:
        docs = serve(SITES / "docs" / "www", port=DEMO_PORT + 1)
    except OSError:
        docs = serve(SITES / "docs" / "www")
    install(docs)
    print(f"serving the sample sites at {server.base} and {docs.base}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for template, base in ((SITES, server.base), (SITES / "docs", docs.base)):
            sources = render_sources(
                template / "sources.yaml", base, Path(tmp) / f"{template.name}.yaml"
            )
            command = crawl_command(sources, "-s", "MONITOR_PROGRESS_INTERVAL=1")
            crawl = subprocess.run(command, env=env)
            if crawl.returncode != 0:
                return crawl.returncode
    server.shutdown()
    docs.shutdown()
    for args in SEARCHES:
        print(
            f"\n$ monitor search {' '.join(repr(a) if ' ' in a else a for a in args)}", flush=True
        )
        subprocess.run(monitor_command("search", *args), env=env, check=False)
    prefix = env["MONITOR_INDEX_PREFIX"]
    print(
        f"\nThe documents stay in the '{prefix}-articles' index; search them with "
        f"MONITOR_INDEX_PREFIX={prefix} monitor search QUERY",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
