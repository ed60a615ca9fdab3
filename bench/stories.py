"""Story grouping: pairwise precision and recall on a generated set with known stories.

Base texts are real article bodies (the shared sets' ground truth: 308 pages in many languages)
and our Chinese pages (tests/sites/zh_layouts, the demo sites' expected texts). Each of `--stories`
base texts becomes a story of 1 to 8 documents: the original and reprints, each edited by 0–30 %
of its paragraphs (paragraphs cut, a boilerplate paragraph added, sentences dropped from a
paragraph, the text cut short), published within three days. The other base texts are stories of
one: many share a site, a topic and a template with a story, which is what precision is about.

The documents go through the code a crawl runs, against the real node, in shuffled batches of 100:
`assign_stories` for each batch, bulk writes, then `reconcile_stories`. Pairwise: a pair of
documents is a true positive when both the truth and the index put them in one story.

Contenders in one run: ours (MinHash LSH, MONITOR_STORY_THRESHOLD) and the exact-hash baseline
(what the content-hash dedupe alone groups: identical texts).

    python bench/stories.py [--stories 120] [--seed 5]

Writes bench/results/stories.json. Needs the local node or MONITOR_ES_URL.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import sys
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import SHARED_DATA, write_result  # noqa: E402
from monitor.es.bulk import write  # noqa: E402
from monitor.es.client import make_client  # noqa: E402
from monitor.es.config import EsConfig  # noqa: E402
from monitor.es.node import ensure_available  # noqa: E402
from monitor.es.schema import delete_all, ensure_articles_index  # noqa: E402
from monitor.es.stories import assign_stories, reconcile_stories  # noqa: E402
from monitor.text.stories import THRESHOLD, signature  # noqa: E402

WINDOW = timedelta(days=14)
BOILERPLATE = [
    "Read more: our coverage of the week's technology news.",
    "This article was first published by our partner site and is republished with permission.",
    "（本文转载自合作媒体，版权归原作者所有）",
    "编者按：本文报道相关情况，供读者参考。",
    "Subscribe to our newsletter for the latest updates.",
]


def base_texts() -> list[str]:
    texts = []
    for name, key in (("article-extraction-benchmark", "articleBody"),
                      ("news-metadata-benchmark", "text")):  # fmt: skip
        truth = json.loads((SHARED_DATA / name / "ground-truth.json").read_text())
        texts += [entry[key] for _, entry in sorted(truth.items()) if entry.get(key)]
    zh = json.loads((ROOT / "tests/sites/zh_layouts/truth.json").read_text(encoding="utf-8"))
    texts += [entry["text"] for _, entry in sorted(zh.items())]
    demo = json.loads((ROOT / "monitor/demo/sites/expected.json").read_text(encoding="utf-8"))
    texts += ["\n".join(entry["paragraphs"]) for entry in demo if entry.get("paragraphs")]
    return [t for t in texts if signature(t) is not None]


def edited(text: str, rng: random.Random) -> tuple[str, float]:
    """A reprint: 0–30 % of the paragraphs touched. Returns (text, share edited)."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    share = rng.uniform(0, 0.30)
    touches = round(share * len(paragraphs))
    for _ in range(touches):
        kind = rng.choice(["cut", "add", "shorten", "truncate"])
        at = rng.randrange(len(paragraphs))
        if kind == "cut" and len(paragraphs) > 2:
            del paragraphs[at]
        elif kind == "add":
            paragraphs.insert(at, rng.choice(BOILERPLATE))
        elif kind == "shorten":
            sentences = [s for s in paragraphs[at].replace("。", "。\n").replace(". ", ".\n")
                         .split("\n") if s]  # fmt: skip
            if len(sentences) > 1:
                sentences.pop(rng.randrange(len(sentences)))
            paragraphs[at] = " ".join(sentences)
        elif len(paragraphs) > 3:
            paragraphs = paragraphs[: max(3, len(paragraphs) - 1)]
    return "\n".join(paragraphs), share


def generate(texts: list[str], stories: int, rng: random.Random) -> list[dict]:
    chosen = set(rng.sample(range(len(texts)), min(stories, len(texts))))
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    docs = []
    for n, text in enumerate(texts):
        published = start + timedelta(days=rng.randrange(60))
        copies = rng.randint(1, 8) if n in chosen else 1
        for copy in range(copies):
            body, share = (text, 0.0) if copy == 0 else edited(text, rng)
            docs.append({
                "truth": n, "text": body, "edited": round(share, 3),
                "published_at": (published + timedelta(hours=rng.randrange(72))).isoformat(),
            })  # fmt: skip
    rng.shuffle(docs)
    return docs


def pairwise(truth: list[int], predicted: list[str]) -> dict[str, float]:
    true_groups, predicted_groups = defaultdict(list), defaultdict(list)
    for i, (t, p) in enumerate(zip(truth, predicted, strict=True)):
        true_groups[t].append(i)
        predicted_groups[p].append(i)
    true_pairs = {pair for g in true_groups.values() for pair in itertools.combinations(g, 2)}
    predicted_pairs = {
        pair for g in predicted_groups.values() for pair in itertools.combinations(g, 2)
    }
    hits = len(true_pairs & predicted_pairs)
    precision = hits / len(predicted_pairs) if predicted_pairs else 1.0
    recall = hits / len(true_pairs) if true_pairs else 1.0
    return {"precision": round(precision, 4), "recall": round(recall, 4),
            "true_pairs": len(true_pairs), "predicted_pairs": len(predicted_pairs)}  # fmt: skip


def ours(docs: list[dict]) -> tuple[list[str], dict[str, float]]:
    config = EsConfig.from_env({"MONITOR_INDEX_PREFIX": f"bench-stories-{uuid.uuid4().hex[:8]}"})
    ensure_available(config)
    es = make_client(config)
    alias = ensure_articles_index(es, config)
    timings = {"assign_seconds": 0.0, "reconcile_seconds": 0.0}
    started = datetime.now(timezone.utc).isoformat()
    try:
        ids = []
        for start in range(0, len(docs), 100):
            batch = []
            for doc in docs[start : start + 100]:
                signed = signature(doc["text"])
                doc_id = hashlib.sha1(f"{len(ids)}".encode()).hexdigest()
                ids.append(doc_id)
                batch.append((doc_id, {
                    "url": f"https://example.org/{len(ids)}", "text": doc["text"],
                    "published_at": doc["published_at"], "crawled_at": started,
                    "first_seen_at": datetime.now(timezone.utc).isoformat(),
                    "story_bands": signed["bands"], "story_minhash": signed["minhash"],
                }))  # fmt: skip
            clock = time.perf_counter()
            stories = assign_stories(es, alias, batch, WINDOW, THRESHOLD)
            timings["assign_seconds"] += time.perf_counter() - clock
            write(es, alias, [("create", i, {**s, "story_id": stories[i]}) for i, s in batch])
            es.indices.refresh(index=alias)
        clock = time.perf_counter()
        merged = reconcile_stories(es, alias, started, WINDOW, THRESHOLD)
        timings["reconcile_seconds"] = time.perf_counter() - clock
        found = {}
        for start in range(0, len(ids), 1000):
            response = es.mget(index=alias, ids=ids[start : start + 1000], source=["story_id"])
            found |= {d["_id"]: d["_source"]["story_id"] for d in response["docs"]}
        timings = {k: round(v, 2) for k, v in timings.items()} | {"merged_by_reconcile": merged}
        return [found[i] for i in ids], timings
    finally:
        delete_all(es, config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=120)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    docs = generate(base_texts(), args.stories, rng)
    truth = [d["truth"] for d in docs]
    predicted, timings = ours(docs)
    exact = [hashlib.sha1(d["text"].encode()).hexdigest() for d in docs]
    results = {"minhash_lsh": pairwise(truth, predicted) | timings,
               "exact_hash_baseline": pairwise(truth, exact)}  # fmt: skip
    for name, row in results.items():
        print(f"{name:<22} precision {row['precision']:.4f}  recall {row['recall']:.4f}")
    stories = len(set(truth))
    print(f"{len(docs)} documents, {stories} true stories, threshold {THRESHOLD}")
    path = write_result(
        "stories",
        {"documents": len(docs), "true_stories": stories, "threshold": THRESHOLD,
         "edited_share_max": 0.30, "contenders": results},
    )  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
