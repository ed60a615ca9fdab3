"""Watch quality on the judged bilingual sets: watches written from the judged queries before a
crawl, then the precision and recall of the alerts the crawl raised, and exactly-once under a full
re-crawl.

    python bench/watch_quality.py

For each set (bench/judged/: `old`, and `fresh` with its `tune` and `held-out` halves), its
documents are written as article pages of their sources' kinds (Chinese and English news page
templates) behind one listing page per source, served on 127.0.0.1; a watchlist has one watch per
judged query (`query:` the query as an analyst types it into `monitor search`) delivering to a
JSONL channel; `monitor crawl` (the real command, a throw-away index prefix, no translation: no
model can be downloaded here) syncs the watches, crawls and raises the alerts. Then:

- precision: alerted documents the query judges relevant (grade 1 or 2) over all alerted ones
  (a reprint listed `also_in` an alert counts as alerted);
- recall: relevant documents alerted over relevant documents (and `recall_grade2`: those that
  answer the question);
- exactly-once: `monitor crawl --full` fetches every page again: new alerts and duplicate
  deliveries (the same alert delivered twice) must both be 0.

Reported per part and group as bench/search_quality.py does; the held-out half as a figure only,
never per query. Writes bench/results/watch_quality.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

from bench.common import drop_indices, write_result  # noqa: E402
from bench.judged import language, load_set  # noqa: E402
from bench.search_quality import groups_of  # noqa: E402
from monitor.demo.server import crawl_command, serve  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402

PREFIXES = {"": "bench-wq", "fresh": "bench-wq2"}
TARGETS = {"recall": 0.85, "precision": 0.70}  # on the held-out half


PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="{date}T09:00:00+08:00"></head>
<body><header><a href="/">{site}</a></header>
<main><article><h1>{title}</h1>{labels}
{paragraphs}
</article></main></body></html>"""


def page_of(doc: dict[str, Any]) -> str:
    """A plain article page of the document: its title, date, a policy's labelled issuer and
    number (as government pages print them), its paragraphs; no other words, so that what a
    watch matches is what the judges read."""
    labels = ""
    if doc.get("issuer"):
        labels = f"<p>发文机关：{escape(doc['issuer'])}</p>"
        if doc.get("doc_number"):
            labels += f"<p>发文字号：{escape(doc['doc_number'])}</p>"
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in doc["text"].split("\n") if p.strip())
    return PAGE.format(lang="zh-CN" if language(doc["id"]) == "zh" else "en", site=doc["source"],
                       title=escape(doc["title"]), date=doc["date"], labels=labels,
                       paragraphs=paragraphs)  # fmt: skip


def write_site(root: Path, documents: list[dict[str, Any]]) -> dict[str, str]:
    """Each document as an article page, behind one listing page per source and kind (a source
    of one kind of document says so: `doc_type`); {source id: its kind}."""
    kinds: dict[str, set[str]] = {}
    for doc in documents:
        kinds.setdefault(doc["source"], set()).add(doc["type"])
    by_source: dict[str, list[dict[str, Any]]] = {}
    for doc in documents:
        source = doc["source"]
        if len(kinds[source]) > 1:
            source = f"{source}-{doc['type']}"
        by_source.setdefault(source, []).append(doc)
        page = root / source / f"{doc['id']}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(page_of(doc), encoding="utf-8")
    for source, docs in by_source.items():
        links = "".join(
            f'<li><a href="/{source}/{d["id"]}.html">{escape(d["title"])}</a></li>' for d in docs
        )
        (root / source / "index.html").write_text(
            f"<html><body><ul class='articles'>{links}</ul></body></html>", encoding="utf-8"
        )
    return {source: docs[0]["type"] for source, docs in by_source.items()}


def crawl(work: Path, env: dict[str, str], *extra: str) -> dict[str, Any]:
    command = crawl_command(
        work / "sources.yaml",
        "--watchlist", str(work / "watchlists.yaml"),
        "--channels", str(work / "channels.yaml"),
        "--no-translate", "--json", *extra,
    )  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"crawl failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def doc_id(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html")


def alerts_of(es: Any, alias: str) -> list[dict[str, Any]]:
    es.indices.refresh(index=alias)
    hits = es.search(index=alias, query={"term": {"kind": "watch"}}, size=10_000)["hits"]["hits"]
    return [hit["_source"] | {"_id": hit["_id"]} for hit in hits]


def run_set(name: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(a row per query, the exactly-once figures) of one set."""
    documents, queries = load_set(name)
    languages = {d["id"]: language(d["id"]) for d in documents}
    prefix = PREFIXES[name]
    drop_indices(prefix)
    work = Path(tempfile.mkdtemp(prefix="watch-quality-"))
    kinds = write_site(work / "www", documents)
    server = serve(work / "www")
    try:
        sources = [
            {"id": source, "type": "listing", "urls": f"{server.base}/{source}/index.html",
             "links": "ul.articles a", "next": "a.next", "doc_type": kind}
            for source, kind in sorted(kinds.items())
        ]  # fmt: skip
        (work / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}), "utf-8")
        deliveries = work / "alerts.jsonl"
        channels = {"channels": [{"id": "log", "type": "jsonl", "path": str(deliveries)}]}
        (work / "channels.yaml").write_text(yaml.safe_dump(channels), "utf-8")
        watches = [{"id": q["id"], "name": q["query"], "query": q["query"], "channels": ["log"]}
                   for q in queries]  # fmt: skip
        (work / "watchlists.yaml").write_text(
            yaml.safe_dump({"watches": watches}, allow_unicode=True), "utf-8"
        )
        env = {**os.environ, "MONITOR_INDEX_PREFIX": prefix}
        first = crawl(work, env)
        config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": prefix})
        es = make_client(config)
        alias = config.index_name("alerts")
        raised = alerts_of(es, alias)
        stored = es.search(index=config.index_name("articles"), size=10_000, source=["url"])
        missing = {d["id"] for d in documents} - {
            doc_id(hit["_source"]["url"]) for hit in stored["hits"]["hits"]
        }
        delivered_first = _delivered(deliveries)
        again = crawl(work, env, "--full")
        after = alerts_of(es, alias)
        delivered = _delivered(deliveries)
    finally:
        server.shutdown()
        drop_indices(prefix)
    indexed = sum(s["indexed"] for s in first["sources"])
    reasons: Counter[str] = Counter()
    for summary in first["sources"]:
        reasons.update(summary.get("reasons") or {})
    by_watch: dict[str, set[str]] = {}
    for alert in raised:
        covered = [alert["url"], *(m["url"] for m in alert.get("also_in") or [])]
        by_watch.setdefault(alert["watch_id"], set()).update(doc_id(url) for url in covered)
    rows = []
    for query in queries:
        relevant = {d for d, g in query["relevant"].items() if g > 0}
        answers = {d for d, g in query["relevant"].items() if g >= 2}
        alerted = by_watch.get(query["id"], set())
        rows.append({
            "id": query["id"], "query": query["query"], "part": query.get("split", "old"),
            "groups": groups_of(query, languages), "alerts": len(alerted),
            "relevant": len(relevant), "hits": len(alerted & relevant),
            "answers": len(answers), "answer_hits": len(alerted & answers),
            "false": sorted(alerted - relevant), "missed": sorted(relevant - alerted),
        })  # fmt: skip
    once = {
        "documents": len(documents),
        "indexed": indexed,
        "not_indexed": dict(reasons),
        "not_indexed_ids": sorted(missing),
        "alerts": len(raised),
        "delivered": len(delivered_first),
        "new_alerts_on_recrawl": len(after) - len(raised),
        "deliveries_on_recrawl": len(delivered) - len(delivered_first),
        "duplicate_deliveries": sum(n - 1 for n in Counter(delivered).values() if n > 1),
        "recrawl": {
            k: sum(s[k] for s in again["sources"]) for k in ("pages", "indexed", "unchanged")
        },
    }
    return rows, once


def _delivered(path: Path) -> list[str]:
    """The alert ids delivered to the JSONL channel, one per line delivered."""
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [line.get("id") or line.get("alert_id") or json.dumps(line) for line in lines]


def figures(rows: list[dict[str, Any]]) -> dict[str, float | int]:
    alerts = sum(r["alerts"] for r in rows)
    hits = sum(r["hits"] for r in rows)
    relevant = sum(r["relevant"] for r in rows)
    answers = sum(r["answers"] for r in rows)
    return {
        "queries": len(rows),
        "alerts": alerts,
        "precision": round(hits / alerts, 4) if alerts else 0.0,
        "recall": round(hits / relevant, 4) if relevant else 0.0,
        "recall_grade2": round(sum(r["answer_hits"] for r in rows) / answers, 4) if answers else 0,
    }


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    per_query, once = [], {}
    for name in PREFIXES:
        rows, once[name or "old"] = run_set(name)
        per_query += rows
    groups = {}
    for part in ("old", "tune", "held-out"):
        in_part = [r for r in per_query if r["part"] == part]
        for group in sorted({g for r in in_part for g in r["groups"]}):
            groups[f"{part}/{group}"] = figures([r for r in in_part if group in r["groups"]])
    held = groups.get("held-out/all", {})
    met = {k: held.get(k, 0) >= v for k, v in TARGETS.items()}
    exactly_once = all(
        o["new_alerts_on_recrawl"] == 0 and o["duplicate_deliveries"] == 0 for o in once.values()
    )
    payload = {
        "targets_on_held_out": TARGETS,
        "met": met,
        "exactly_once": exactly_once,
        "runs": once,
        "groups": groups,
        "per_query": [r for r in per_query if r["part"] != "held-out"],
    }
    path = write_result("watch_quality", payload)
    print(f"{'part/group':<18} {'n':>3} {'alerts':>6}  precision  recall  recall(2)")
    for group, v in groups.items():
        print(f"{group:<18} {v['queries']:>3} {v['alerts']:>6}  {v['precision']:>9.3f}"
              f"  {v['recall']:>6.3f}  {v['recall_grade2']:>9.3f}")  # fmt: skip
    for row in per_query:
        if row["part"] == "held-out":  # the held-out half: its figure only, never its queries
            continue
        print(f"  {row['part']:<5} {row['id']:<26} {row['hits']}/{row['relevant']} relevant,"
              f" {row['alerts']} alerts; false {row['false']} missed {row['missed']}")  # fmt: skip
    for name, o in once.items():
        print(f"{name}: {o['indexed']}/{o['documents']} indexed, {o['alerts']} alerts, "
              f"{o['delivered']} delivered; full re-crawl: {o['new_alerts_on_recrawl']} new "
              f"alerts, {o['duplicate_deliveries']} duplicate deliveries")  # fmt: skip
    print(f"held-out targets met: {met}; exactly once: {exactly_once}; wrote {path}")


if __name__ == "__main__":
    main()
