"""Search quality on the judged bilingual sets (bench/judged/): nDCG@10 and P@10 per query and per
group, this search against the search of another revision (read from git), in one run.

    python bench/search_quality.py [--baseline-rev REV] [--show QUERY_ID]

Three parts, each group reported for each: `old` (the first set, tuned on for long), `tune` and
`held-out` (the second set, bench/judged/fresh/, its queries split once when it was written; the
held-out half is reported as it comes and never tuned on). Each set is indexed into a throw-away
index (prefixes `bench-sq`, `bench-sq2`) on the configured node (`monitor es start`), without
translations (no translation model can be downloaded here, so every cross-language hit comes
from query translation alone). The baseline is monitor/search at `--baseline-rev` (default: the
search before the relevance work on unseen queries), read from git into a temporary package.
Writes bench/results/search_quality.json.
"""

from __future__ import annotations

import argparse
import importlib
import io
import math
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

from bench.common import drop_indices, write_result  # noqa: E402
from bench.judged import index_set, language, load_set  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.schema import ensure_articles_index  # noqa: E402
from monitor.search.engine import SearchRequest, search  # noqa: E402

PREFIXES = {"": "bench-sq", "fresh": "bench-sq2"}
BASELINE_REV = "e78c87e"  # the search before the relevance work on unseen queries
TARGET = 0.85
K = 10


def index_judged(name: str, documents: list[dict[str, Any]]) -> tuple[Any, str]:
    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": PREFIXES[name]})
    es = make_client(config)
    drop_indices(PREFIXES[name])
    ensure_articles_index(es, config)
    alias = config.index_name("articles")
    index_set(es, alias, documents)
    return es, alias


def load_baseline(rev: str) -> Callable[[Any, str, str], list[str]]:
    """The search of `rev`, imported from git as the package `baseline_search`: a function
    (es, index, query) → ranked ids."""
    folder = Path(tempfile.mkdtemp(prefix="baseline-search-"))
    archive = subprocess.run(
        ["git", "archive", rev, "monitor/search"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    package = folder / "baseline_search"
    (folder / "monitor" / "search").rename(package)
    for path in package.rglob("*.py"):
        path.write_text(path.read_text("utf-8").replace("monitor.search", "baseline_search"))
    sys.path.insert(0, str(folder))
    engine = importlib.import_module("baseline_search.engine")

    def run(es: Any, index: str, query: str) -> list[str]:
        request = engine.SearchRequest(query, size=K)
        return [hit["id"] for hit in engine.search(es, index, request)["hits"]]

    return run


def ours(es: Any, index: str, query: str) -> list[str]:
    return [hit["id"] for hit in search(es, index, SearchRequest(query, size=K))["hits"]]


def ndcg(ranked: list[str], relevant: dict[str, int]) -> float:
    gain = sum((2 ** relevant.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:K]))
    ideal = sorted(relevant.values(), reverse=True)[:K]
    best = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return gain / best if best else 0.0


def precision(ranked: list[str], relevant: dict[str, int]) -> float:
    return sum(1 for d in ranked[:K] if relevant.get(d, 0) > 0) / K


def groups_of(query: dict[str, Any], languages: dict[str, str]) -> list[str]:
    groups = list(query["groups"])
    asked = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in query["query"]) else "en"
    if "mixed" in groups or any(languages[d] != asked for d in query["relevant"]):
        groups.append("cross")
    return groups + ["all"]


def run_set(
    name: str, systems: dict[str, Callable], show: str | None
) -> tuple[int, list[dict[str, Any]]]:
    """(documents, a row per query) of one set, its part (old, tune, held-out) in each row."""
    documents, queries = load_set(name)
    languages = {d["id"]: language(d["id"]) for d in documents}
    titles = {d["id"]: d["title"] for d in documents}
    es, alias = index_judged(name, documents)
    rows = []
    try:
        for query in queries:
            part = query.get("split", "old")
            row: dict[str, Any] = {"id": query["id"], "query": query["query"], "part": part,
                                   "groups": groups_of(query, languages)}  # fmt: skip
            for system, run in systems.items():
                ranked = run(es, alias, query["query"])
                row[system] = {
                    "ndcg@10": round(ndcg(ranked, query["relevant"]), 4),
                    "p@10": round(precision(ranked, query["relevant"]), 4),
                    "top": ranked[:K],
                }
                if show == query["id"]:
                    print(f"{system}:")
                    for d in ranked:
                        print(f"  {query['relevant'].get(d, 0)} {d} {titles[d]}")
            rows.append(row)
    finally:
        drop_indices(PREFIXES[name])
    return len(documents), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-rev", default=BASELINE_REV)
    parser.add_argument("--show", help="print the ranking of this query id, both ways")
    args = parser.parse_args()
    systems = {"baseline": load_baseline(args.baseline_rev), "ours": ours}
    sizes, per_query = {}, []
    for name in PREFIXES:
        sizes[name or "old"], rows = run_set(name, systems, args.show)
        per_query += rows
    groups = {}
    for part in ("old", "tune", "held-out"):
        in_part = [r for r in per_query if r["part"] == part]
        for group in sorted({g for r in in_part for g in r["groups"]}):
            rows = [r for r in in_part if group in r["groups"]]
            groups[f"{part}/{group}"] = {
                "queries": len(rows),
                **{
                    f"{system}_{metric}": round(sum(r[system][metric] for r in rows) / len(rows), 4)
                    for system in systems
                    for metric in ("ndcg@10", "p@10")
                },
            }
    held_out = {g: v for g, v in groups.items() if g.startswith("held-out/")}
    below = [g for g, v in held_out.items() if v["ours_ndcg@10"] < TARGET]
    zero = [r["id"] for r in per_query if r["ours"]["ndcg@10"] == 0]
    payload = {
        "sets": {"documents": sizes, "queries": dict(Counter(r["part"] for r in per_query))},
        "baseline": f"monitor.search at {args.baseline_rev}",
        "target": {"every_held_out_group_ndcg@10": TARGET},
        "met": not below,
        "held_out_groups_below_target": below,
        "queries_at_zero": zero,
        "groups": groups,
        "per_query": per_query,
    }
    path = write_result("search_quality", payload)
    print(f"{'part/group':<18} {'n':>3}  nDCG@10 before  after  P@10 before  after")
    for group, v in groups.items():
        before, after = v["baseline_ndcg@10"], v["ours_ndcg@10"]
        p_before, p_after = v["baseline_p@10"], v["ours_p@10"]
        print(
            f"{group:<18} {v['queries']:>3}  {before:>14.3f} {after:>6.3f}"
            f"  {p_before:>11.3f} {p_after:>6.3f}"
        )
    for row in per_query:
        if row["part"] == "held-out":  # the held-out half: its figure only, never its queries
            continue
        before, after = row["baseline"]["ndcg@10"], row["ours"]["ndcg@10"]
        print(f"  {row['part']:<5} {row['id']:<24} {before:.3f} → {after:.3f}  {row['query']}")
    print(f"held-out target met: {payload['met']} (below: {below}); wrote {path}")


if __name__ == "__main__":
    main()
