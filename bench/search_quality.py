"""Search quality on the judged bilingual set (bench/judged/): nDCG@10 and P@10 per query and per
group, this search against the search as it was before structured query translation, in one run.

    python bench/search_quality.py [--baseline-rev REV] [--show QUERY_ID]

The 84 documents are indexed into a throw-away index (prefix `bench-sq`) on the configured node
(`monitor es start`), without translations (no translation model can be downloaded here, so
every cross-language hit comes from query translation alone). The baseline is the search code of
`--baseline-rev` (default: the last commit before this work), read from git into a temporary
package. Writes bench/results/search_quality.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import subprocess
import sys
import tempfile
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

PREFIX = "bench-sq"
BASELINE_REV = "8bc00db"  # the search before structured query translation (issue 13)
TARGET = 0.85
K = 10


def index_judged(documents: list[dict[str, Any]]) -> tuple[Any, str]:
    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": PREFIX})
    es = make_client(config)
    drop_indices(PREFIX)
    ensure_articles_index(es, config)
    alias = config.index_name("articles")
    index_set(es, alias, documents)
    return es, alias


def load_baseline(rev: str) -> Callable[[Any, str, str], list[str]]:
    """The search of `rev`, imported from git: a function (es, index, query) → ranked ids."""
    folder = Path(tempfile.mkdtemp(prefix="baseline-search-"))
    (folder / "data").mkdir()
    for name in ("engine.py", "glossary.py", "data/glossary.yaml"):
        text = subprocess.run(
            ["git", "show", f"{rev}:monitor/search/{name}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        text = text.replace("monitor.search.glossary", "baseline_search_glossary")
        (folder / name).write_text(text, encoding="utf-8")
    modules = {}
    parts = (("baseline_search_glossary", "glossary.py"), ("baseline_engine", "engine.py"))
    for module, name in parts:
        spec = importlib.util.spec_from_file_location(module, folder / name)
        modules[module] = importlib.util.module_from_spec(spec)
        sys.modules[module] = modules[module]
        spec.loader.exec_module(modules[module])
    glossary = modules["baseline_search_glossary"].load_glossary()
    engine = modules["baseline_engine"]

    def run(es: Any, index: str, query: str) -> list[str]:
        request = engine.SearchRequest(query, size=K, expansions=tuple(glossary.expand(query)))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-rev", default=BASELINE_REV)
    parser.add_argument("--show", help="print the ranking of this query id, both ways")
    args = parser.parse_args()
    documents, queries = load_set()
    languages = {d["id"]: language(d["id"]) for d in documents}
    titles = {d["id"]: d["title"] for d in documents}
    es, alias = index_judged(documents)
    systems = {"baseline": load_baseline(args.baseline_rev), "ours": ours}
    per_query = []
    try:
        for query in queries:
            row: dict[str, Any] = {
                "id": query["id"],
                "query": query["query"],
                "groups": groups_of(query, languages),
            }
            for name, run in systems.items():
                ranked = run(es, alias, query["query"])
                row[name] = {
                    "ndcg@10": round(ndcg(ranked, query["relevant"]), 4),
                    "p@10": round(precision(ranked, query["relevant"]), 4),
                    "top": ranked[:K],
                }
                if args.show == query["id"]:
                    print(f"{name}:")
                    for d in ranked:
                        print(f"  {query['relevant'].get(d, 0)} {d} {titles[d]}")
            per_query.append(row)
    finally:
        drop_indices(PREFIX)
    names = sorted({g for row in per_query for g in row["groups"]})
    groups = {}
    for group in names:
        rows = [r for r in per_query if group in r["groups"]]
        groups[group] = {
            "queries": len(rows),
            **{
                f"{system}_{metric}": round(sum(r[system][metric] for r in rows) / len(rows), 4)
                for system in systems
                for metric in ("ndcg@10", "p@10")
            },
        }
    zero = [r["id"] for r in per_query if r["ours"]["ndcg@10"] == 0]
    below = [g for g, v in groups.items() if v["ours_ndcg@10"] < TARGET]
    payload = {
        "set": {"documents": len(documents), "queries": len(queries)},
        "baseline": f"monitor.search at {args.baseline_rev}",
        "target": {"every_group_ndcg@10": TARGET, "no_query_at_zero": True},
        "met": not zero and not below,
        "queries_at_zero": zero,
        "groups_below_target": below,
        "groups": groups,
        "per_query": per_query,
    }
    path = write_result("search_quality", payload)
    print(f"{'group':<10} {'n':>3}  nDCG@10 before  after  P@10 before  after")
    for group, v in groups.items():
        before, after = v["baseline_ndcg@10"], v["ours_ndcg@10"]
        p_before, p_after = v["baseline_p@10"], v["ours_p@10"]
        print(
            f"{group:<10} {v['queries']:>3}  {before:>14.3f} {after:>6.3f}"
            f"  {p_before:>11.3f} {p_after:>6.3f}"
        )
    for row in per_query:
        before, after = row["baseline"]["ndcg@10"], row["ours"]["ndcg@10"]
        print(f"  {row['id']:<20} {before:.3f} → {after:.3f}  {row['query']}")
    print(f"target met: {payload['met']} (zero: {zero}, below: {below}); wrote {path}")


if __name__ == "__main__":
    main()
