"""References by document number: precision and recall of the references extracted and of the
links resolved, on two judged sets (bench/judged/references/: documents.yaml, 65 documents written
beside the extractor, and held-out.yaml, 30 written after it and never tuned on; national,
provincial and city ones, exchange notices and English reports, each one's references marked by
hand), ours (monitor.text.references) against a plain regular expression for 〔YYYY〕N号, in one
run.

    python bench/references.py

- extraction: (document, key) pairs, the references found against those marked;
- kinds: of the references both found and marked, the share whose kind (implements, repeals,
  amends, cites) is right;
- links: (document, target) pairs, where the target is the set's document with that number
  (its own `number` read the same way).

Writes bench/results/references.json. Target: precision ≥ 0.95, recall ≥ 0.90.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

from bench.common import write_result  # noqa: E402
from monitor.text.references import find_references, number_key  # noqa: E402

JUDGED = ROOT / "bench" / "judged" / "references"
# the first set, written beside the extractor (a development figure), and one written after it,
# scored as it comes and never tuned on (a held-out figure)
SETS = {"development": JUDGED / "documents.yaml", "held-out": JUDGED / "held-out.yaml"}
TARGET = {"precision": 0.95, "recall": 0.90}
_PLAIN = re.compile(r"([\u4e00-\u9fff]{1,16})〔(\d{4})〕(\d+)号")


def plain(text: str, own: str | None) -> list[tuple[str, str]]:
    """The plain regular expression: issuer〔YYYY〕N号, every one a citation."""
    found = [f"{m[1]}|{m[2]}|{int(m[3])}" for m in _PLAIN.finditer(text)]
    return [(key, "cites") for key in dict.fromkeys(found) if key != own]


def plain_key(number: str) -> str | None:
    found = plain(number, None)
    return found[0][0] if found else None


def ours(text: str, own: str | None) -> list[tuple[str, str]]:
    return [(r.key, r.kind) for r in find_references(text, own)]


def score(found: set, marked: set) -> dict[str, float | int]:
    hits = len(found & marked)
    return {
        "found": len(found),
        "marked": len(marked),
        "correct": hits,
        "precision": round(hits / len(found), 4) if found else 1.0,
        "recall": round(hits / len(marked), 4) if marked else 1.0,
    }


def run(documents: list[dict[str, Any]], extract: Callable, key_of: Callable) -> dict[str, Any]:
    marked_refs, found_refs, kinds_right, kinds_total = set(), set(), 0, 0
    targets = {key_of(d["number"]): d["id"] for d in documents if d.get("number")}
    truth_targets = {number_key(d["number"]): d["id"] for d in documents if d.get("number")}
    marked_links, found_links = set(), set()
    misses: list[str] = []
    for doc in documents:
        own = key_of(doc["number"]) if doc.get("number") else None
        found = dict(extract(doc["text"], own))
        marked = {r["key"]: r["kind"] for r in doc["refs"]}
        found_refs |= {(doc["id"], k) for k in found}
        marked_refs |= {(doc["id"], k) for k in marked}
        for key in set(found) & set(marked):
            kinds_total += 1
            kinds_right += found[key] == marked[key]
        found_links |= {(doc["id"], targets[k]) for k in found if k in targets}
        marked_links |= {(doc["id"], truth_targets[k]) for k in marked if k in truth_targets}
        wrong = sorted(set(found) ^ set(marked))
        if wrong:
            misses.append(f"{doc['id']}: " + ", ".join(
                f"{'extra' if k in found else 'missed'} {k}" for k in wrong))  # fmt: skip
    return {
        "extraction": score(found_refs, marked_refs),
        "kinds": {"right": kinds_right, "of": kinds_total,
                  "accuracy": round(kinds_right / kinds_total, 4) if kinds_total else 1.0},
        "links": score(found_links, marked_links),
        "errors": misses,
    }  # fmt: skip


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    payload: dict[str, Any] = {"target": TARGET}
    print(f"{'':<24} {'extraction P':>12} {'R':>6} {'links P':>8} {'R':>6} {'kinds':>6}")
    for name, path in SETS.items():
        documents = yaml.safe_load(path.read_text("utf-8"))["documents"]
        results = {
            "ours": run(documents, ours, number_key),
            "plain regex": run(documents, plain, plain_key),
        }
        mine = results["ours"]
        met = all(mine[part][m] >= TARGET[m] for part in ("extraction", "links") for m in TARGET)
        payload[name] = {"documents": len(documents), "met": met, **results}
        for who, r in results.items():
            e, links = r["extraction"], r["links"]
            print(f"{name + ' ' + who:<24} {e['precision']:>12.3f} {e['recall']:>6.3f}"
                  f" {links['precision']:>8.3f} {links['recall']:>6.3f}"
                  f" {r['kinds']['accuracy']:>6.3f}")  # fmt: skip
        for line in mine["errors"]:
            print(f"  {name} ours:", line)
        print(f"  {name}: {len(documents)} documents, target met: {met}")
    payload["met"] = all(payload[name]["met"] for name in SETS)
    print(f"wrote {write_result('references', payload)}")


if __name__ == "__main__":
    main()
