"""Extraction quality on the shared sets: the article-extraction benchmark (181 pages: body) and
the news-metadata benchmark (127 pages: title, date, authors, body), and on our own Chinese page
layouts (tests/sites/zh_layouts: title, date, authors, editors, body with Han characters as
tokens).

Scoring as the data's README describes: `\\w+` tokens, multisets of 4-token shingles; per page
TP = shared shingles, FP = extracted but not expected, FN = expected but not extracted (normalised
per page); precision and recall averaged over pages where defined; F1 from the two averages.

Compares, in one run: trafilatura's defaults (`trafilatura.extract(html)`) and `monitor extract`
(monitor.text.analyse.analyse_page, exactly what the crawl indexes).

    python bench/extraction_quality.py [--data DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from bench.common import SHARED_DATA, write_result  # noqa: E402
from monitor.text.analyse import analyse_page  # noqa: E402

TOKEN = re.compile(r"\w+")
# for the Chinese set: a Han character is a token (\w+ would make a whole sentence one token)
HAN_TOKEN = re.compile(r"[\u3400-\u9fff]|[^\W\u3400-\u9fff]+")
ZH_LAYOUTS = ROOT / "tests" / "sites" / "zh_layouts"


def shingles(text: str, n: int = 4, token: re.Pattern = TOKEN) -> Counter:
    tokens = token.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_scores(
    extracted: str, expected: str, token: re.Pattern = TOKEN
) -> tuple[float | None, float | None]:
    got, want = shingles(extracted, token=token), shingles(expected, token=token)
    tp = sum((got & want).values())
    fp = sum(got.values()) - tp
    fn = sum(want.values()) - tp
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    return precision, recall


class BodyScore:
    """Shingle precision and recall per page, averaged over the pages where each is defined; F1
    from the two averages (the data's README)."""

    def __init__(self, token: re.Pattern = TOKEN):
        self.token = token
        self.precisions: list[float] = []
        self.recalls: list[float] = []

    def add(self, extracted: str, expected: str) -> None:
        p, r = page_scores(extracted, expected, self.token)
        if p is not None:
            self.precisions.append(p)
        if r is not None:
            self.recalls.append(r)

    def result(self) -> tuple[float, float, float]:
        """(F1, precision, recall), rounded to 4 places."""
        p = sum(self.precisions) / len(self.precisions)
        r = sum(self.recalls) / len(self.recalls)
        return round(2 * p * r / (p + r), 4), round(p, 4), round(r, 4)


def evaluate(
    name: str, fn: Callable[[bytes, str], str], pages: list[tuple[str, bytes, str, str]]
) -> dict:
    body = BodyScore()
    started = time.perf_counter()
    for _, html, url, expected in pages:
        body.add(fn(html, url), expected)
    elapsed = time.perf_counter() - started
    f1, precision, recall = body.result()
    return {
        "extractor": name,
        "f1": f1,
        "precision": precision,
        "recall": recall,
        "pages": len(pages),
        "seconds": round(elapsed, 2),
        "pages_per_second": round(len(pages) / elapsed, 1),
    }


def trafilatura_defaults(body: bytes, url: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return trafilatura.extract(body, url=url) or ""


def monitor_extract(body: bytes, url: str) -> str:
    return analyse_page(body, url)["text"]


def load(data: Path, limit: int | None) -> list[tuple[str, bytes, str, str]]:
    truth = json.loads((data / "ground-truth.json").read_text())
    pages = []
    for page_id, entry in sorted(truth.items())[:limit]:
        body = gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append((page_id, body, entry["url"], entry["articleBody"]))
    return pages


def squash(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def news_metadata_pages(data: Path) -> list[tuple[str, bytes, dict]]:
    truth = json.loads((data / "ground-truth.json").read_text())
    return [
        (file, gzip.decompress((data / "html" / file).read_bytes()), entry)
        for file, entry in sorted(truth.items())
    ]


def zh_layout_pages(data: Path = ZH_LAYOUTS) -> list[tuple[str, bytes, dict]]:
    truth = json.loads((data / "truth.json").read_text(encoding="utf-8"))
    return [(file, (data / file).read_bytes(), entry) for file, entry in sorted(truth.items())]


def metadata_scores(
    name: str,
    fn: Callable[[bytes, str], dict],
    pages: list[tuple[str, bytes, dict]],
    token: re.Pattern = TOKEN,
) -> dict:
    """Title exact (whitespace-normalised, case-insensitive), date (YYYY-MM-DD), authors (any
    expected author found), editors where the truth says (the same names, none when none), body
    shingle F1; each over the pages whose truth has the field."""
    hits: dict[str, list[int]] = {"title": [], "date": [], "authors": [], "editors": []}
    body_score, misses = BodyScore(token), []
    started = time.perf_counter()
    for file, body, entry in pages:
        got = fn(body, entry["url"])

        def score(field: str, ok: bool, found: object, wanted: object, file: str = file) -> None:
            hits[field].append(ok)
            if not ok:
                misses.append({"file": file, "field": field, "got": found, "want": wanted})

        if entry.get("title"):
            score("title", squash(got["title"]) == squash(entry["title"]), got["title"],
                  entry["title"])  # fmt: skip
        if entry.get("published_date"):
            date = (got["date"] or "")[:10]
            score("date", date == entry["published_date"], got["date"], entry["published_date"])
        wanted = entry.get("authors") or []
        wanted = ast.literal_eval(wanted) if isinstance(wanted, str) else wanted
        if wanted:
            found = {squash(a) for a in got["authors"]}
            ok = any(squash(a) in found or any(squash(a) in f for f in found) for a in wanted)
            score("authors", ok, got["authors"], wanted)
        if "editors" in entry:
            editors = got.get("editors") or []
            score("editors", sorted(editors) == sorted(entry["editors"]), editors, entry["editors"])
        body_score.add(got["text"], entry.get("text") or "")
    f1, precision, recall = body_score.result()
    scores = {
        f"{k}_exact" if k == "title" else k: round(sum(v) / len(v), 4) for k, v in hits.items() if v
    }
    return {
        "extractor": name,
        **scores,
        "body_f1": f1,
        "body_precision": precision,
        "body_recall": recall,
        "pages": len(pages),
        "seconds": round(time.perf_counter() - started, 2),
        "misses": misses,
    }


def trafilatura_metadata(body: bytes, url: str) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        doc = trafilatura.bare_extraction(body, url=url, with_metadata=True)
    if doc is None:
        return {"title": None, "date": None, "authors": [], "text": ""}
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return {"title": doc.title, "date": doc.date, "authors": authors, "editors": [],
            "text": doc.text or ""}  # fmt: skip


def monitor_metadata(body: bytes, url: str) -> dict:
    doc = analyse_page(body, url)
    return {
        "title": doc["title"],
        "date": doc["published_at"],
        "authors": doc["authors"],
        "editors": doc["editors"],
        "text": doc["text"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA / "article-extraction-benchmark")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    pages = load(args.data, args.limit)
    rows = [
        evaluate("trafilatura defaults", trafilatura_defaults, pages),
        evaluate("monitor extract", monitor_extract, pages),
    ]
    for row in rows:
        print(
            f"{row['extractor']:<22} F1 {row['f1']:.4f}  P {row['precision']:.4f}  "
            f"R {row['recall']:.4f}  {row['pages_per_second']} pages/s"
        )
    sets = {
        "news_metadata": (news_metadata_pages(SHARED_DATA / "news-metadata-benchmark"), TOKEN),
        "zh_layouts": (zh_layout_pages(), HAN_TOKEN),
    }
    scored = {}
    for set_name, (pages, token) in sets.items():
        scored[set_name] = [
            metadata_scores("trafilatura defaults", trafilatura_metadata, pages, token),
            metadata_scores("monitor extract", monitor_metadata, pages, token),
        ]
        print(f"-- {set_name} ({len(pages)} pages)")
        for row in scored[set_name]:
            editors = f"  editors {row['editors']:.3f}" if "editors" in row else ""
            print(
                f"{row['extractor']:<22} title {row['title_exact']:.3f}  date {row['date']:.3f}  "
                f"authors {row['authors']:.3f}{editors}  body F1 {row['body_f1']:.4f} "
                f"(P {row['body_precision']:.3f} R {row['body_recall']:.3f})"
            )
    path = write_result(
        "extraction_quality",
        {
            "data": str(args.data),
            "results": rows,
            **{
                name: [{k: v for k, v in r.items() if k != "misses"} for r in found]
                for name, found in scored.items()
            },
            **{f"{name}_misses": found[-1]["misses"] for name, found in scored.items()},
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
