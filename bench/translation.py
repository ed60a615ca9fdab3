"""Translation throughput: one document at a time vs. batching across documents, same model.

Uses the tiny zh→en package the test suite builds (tests/tinymodel.py), installed through
`monitor models install-file` into a temporary argostranslate home, and the sample sites' Chinese
texts repeated into N documents (each with a unique line). In one run:

- one-at-a-time: the engine called once per document (one CTranslate2 call per document);
- batched: documents in groups of MONITOR_TRANSLATE_DOCS, one CTranslate2 call per group;
  both with the sentence cache off, so the figures measure batching alone;
- crawl wait: `monitor crawl` of the sample sites with and without the translation worker beside
  it: the crawl's own duration (the longest spider's elapsed time) and the whole command's.

    python bench/translation.py [--docs 200] [--batch 16]

Writes bench/results/translation.json. With a real model, absolute figures differ; the ratio is
the point. Needs the local node (or MONITOR_ES_URL) for the crawl part.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import drop_indices, write_result  # noqa: E402
from monitor.demo.sites import SITES  # noqa: E402
from tests.tinymodel import build_package  # noqa: E402


def documents(count: int) -> list[tuple[str, str]]:
    data = yaml.safe_load((SITES / "articles.yaml").read_text(encoding="utf-8"))
    zh = [a for site in ("gov", "zhnews") for a in data[site]["articles"] if "body" in a]
    return [
        (f"{zh[i % len(zh)]['title']}（{i}）", "\n".join(zh[i % len(zh)]["body"] + [f"第{i}号。"]))
        for i in range(count)
    ]


def measure(engine, docs, group: int) -> dict:
    engine.cache.clear()
    before = dict(engine.stats)
    started = time.perf_counter()
    for i in range(0, len(docs), group):
        engine.translate_documents(docs[i : i + group])
    seconds = time.perf_counter() - started
    sentences = engine.stats["sentences_translated"] - before.get("sentences_translated", 0)
    calls = engine.stats["ctranslate2_calls"] - before.get("ctranslate2_calls", 0)
    return {
        "documents": len(docs),
        "documents_per_call": group,
        "ctranslate2_calls": calls,
        "sentences": sentences,
        "seconds": round(seconds, 2),
        "sentences_per_second": round(sentences / seconds, 1),
    }


def crawl_seconds(home: Path, translate: bool) -> dict:
    from monitor.demo.server import crawl_command, render_sources, serve

    server = serve(SITES / "www")
    prefix = f"bench-tr-{os.getpid()}-{int(translate)}"
    env = dict(os.environ, MONITOR_ARGOS_HOME=str(home), MONITOR_INDEX_PREFIX=prefix)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sources = render_sources(SITES / "sources.yaml", server.base, Path(tmp) / "s.yaml")
            command = crawl_command(sources, "--json", "-s", "MONITOR_PROGRESS_INTERVAL=0", "-v")
            if not translate:
                command.append("--no-translate")
            started = time.perf_counter()
            result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
            total = time.perf_counter() - started
        elapsed = [
            float(line.split(":")[-1].strip(" ,"))
            for line in result.stderr.splitlines()
            if "'elapsed_time_seconds'" in line
        ]
        return {
            "translate_beside": translate,
            "command_seconds": round(total, 2),
            "crawl_elapsed_seconds": round(max(elapsed), 2),
            "returncode": result.returncode,
        }
    finally:
        server.shutdown()
        drop_indices(prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        package = build_package(tmp / "pkg")
        home = tmp / "argos"
        env = dict(os.environ, MONITOR_ARGOS_HOME=str(home))
        subprocess.run(
            [sys.executable, "-m", "monitor", "models", "install-file", str(package)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        from monitor.translate.config import TranslateConfig
        from monitor.translate.engine import Engine
        from monitor.translate.worker import load_engines

        config = TranslateConfig(argos_home=home, cache_sentences=0)
        engine = Engine(config, load_engines(config)["zh"].package)
        docs = documents(args.docs)
        measure(engine, docs[:8], args.batch)  # warm up
        one = measure(engine, docs, 1)
        batched = measure(engine, docs, args.batch)
        print(f"one document at a time: {one}")
        print(f"batched by {args.batch}: {batched}")
        ratio = round(batched["sentences_per_second"] / one["sentences_per_second"], 2)
        print(f"batched / one-at-a-time: {ratio}")
        crawls = [crawl_seconds(home, False), crawl_seconds(home, True)]
        for crawl in crawls:
            print(f"crawl: {crawl}")
    path = write_result(
        "translation",
        {
            "one_at_a_time": one,
            "batched": batched,
            "speedup_batched_vs_one": ratio,
            "crawl": crawls,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
