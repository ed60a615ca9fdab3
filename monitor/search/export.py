"""Every hit of a search, streamed (point in time + search_after), written as CSV, JSON lines or
XLSX (`monitor export`). Memory stays bounded whatever the number of rows: one page of hits at a
time, rows written as they come (openpyxl's write-only mode streams the sheet to disk)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from monitor.search.concepts import Lexicon
from monitor.search.engine import SearchRequest, build_query, shape_hit

FORMATS = ("csv", "jsonl", "xlsx")
# the columns, in order: what `monitor search` shows of a hit
COLUMNS = [
    "id",
    "title",
    "title_en",
    "published_at",
    "source_id",
    "url",
    "doc_type",
    "language",
    "issuer",
    "doc_number",
    "company",
    "company_code",
    "snippet",
    "snippet_en",
    "attachment",
    "concepts_matched",
]
PAGE = 1000
KEEP_ALIVE = "2m"


def count(es: Elasticsearch, index: str, request: SearchRequest, lexicon: Lexicon | None = None):
    """(how many documents match, the compiled query's floor): relaxed to one concept, as in
    search, when none matches the required number."""
    body, compiled = build_query(request, lexicon)
    total = es.count(index=index, query=body["query"])["count"]
    if total == 0 and compiled.required > 1:
        body, compiled = build_query(request, lexicon, floor=1)
        return es.count(index=index, query=body["query"])["count"], 1
    return total, None


def iter_hits(
    es: Elasticsearch,
    index: str,
    request: SearchRequest,
    lexicon: Lexicon | None = None,
    floor: int | None = None,
    page: int = PAGE,
) -> Iterator[dict[str, Any]]:
    """Every matching document as a shaped hit, in the request's order."""
    body, compiled = build_query(request, lexicon, floor=floor)
    pit = es.open_point_in_time(index=index, keep_alive=KEEP_ALIVE)["id"]
    search_after = None
    try:
        while True:
            extra = {"search_after": search_after} if search_after else {}
            response = es.search(
                query=body["query"],
                sort=[*body["sort"], {"_shard_doc": "asc"}],  # a total order: resumable pages
                highlight=body["highlight"],
                source=body["_source"],
                size=page,
                pit={"id": pit, "keep_alive": KEEP_ALIVE},
                track_scores=True,
                track_total_hits=False,
                **extra,
            )
            pit = response.get("pit_id", pit)
            hits = response["hits"]["hits"]
            if not hits:
                return
            for hit in hits:
                yield shape_hit(hit, compiled.weights)
            search_after = hits[-1]["sort"]
    finally:
        es.close_point_in_time(id=pit)


def _cell(value: Any) -> Any:
    if isinstance(value, dict):  # the attachment a snippet came from
        return value.get("name") or value.get("url")
    if isinstance(value, list):  # a filing's counters: 00700 / 80700
        return " / ".join(str(v) for v in value)
    return value


def write(
    rows: Iterator[dict[str, Any]],
    out: Path,
    fmt: str,
    progress: Callable[[int], None] = lambda n: None,
) -> int:
    """Write the rows; the number written. CSV is UTF-8 with a BOM, so Excel reads Chinese."""
    written = 0
    partial = out.with_name(out.name + ".partial")  # a stopped export leaves no half file as OUT
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("documents")
        sheet.append(COLUMNS)
        for row in rows:
            sheet.append([_cell(row.get(c)) for c in COLUMNS])
            written += 1
            progress(written)
        book.save(partial)
    else:
        with partial.open("w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as f:
            writer = csv.writer(f) if fmt == "csv" else None
            if writer:
                writer.writerow(COLUMNS)
            for row in rows:
                if writer:
                    writer.writerow(
                        ["" if row.get(c) is None else _cell(row.get(c)) for c in COLUMNS]
                    )
                else:
                    f.write(json.dumps({c: row.get(c) for c in COLUMNS}, ensure_ascii=False) + "\n")
                written += 1
                progress(written)
    partial.replace(out)
    return written
