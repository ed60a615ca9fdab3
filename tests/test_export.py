"""`monitor export`: 10,000 generated documents in each format, read back and compared; the
search's filters and query apply."""

from __future__ import annotations

import csv
import json

import pytest

from monitor.es.client import make_client
from monitor.es.schema import delete_all, ensure_articles_index
from tests.conftest import new_config, run_monitor

N = 10_000


def generated(i: int) -> dict:
    chinese = i % 2 == 0
    return {
        "url": f"http://gen.example/{i}.html",
        "source_id": "gen-zh" if chinese else "gen-en",
        "language": "zh" if chinese else "en",
        "doc_type": "policy" if i % 5 == 0 else "news",
        "title": f"第{i}号 关于集成电路产业的通知" if chinese else f"Chip notice number {i}",
        "text": f"集成电路产业政策，编号{i}，支持芯片设计企业。"
        if chinese
        else f"Semiconductor policy number {i}, with support for chip designers.",
        "published_at": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
        **(
            {"policy": {"issuer": "工业和信息化部", "doc_number": f"工信部电子〔2024〕{i}号"}}
            if i % 5 == 0
            else {}
        ),
    }


@pytest.fixture(scope="module")
def many():
    config = new_config()
    es = make_client(config)
    ensure_articles_index(es, config)
    alias = config.index_name("articles")
    for start in range(0, N, 2000):
        operations = []
        for i in range(start, start + 2000):
            operations += [{"index": {"_index": alias, "_id": f"g{i:05d}"}}, generated(i)]
        es.bulk(operations=operations)
    es.indices.refresh(index=alias)
    yield config
    delete_all(es, config)


def export(config, tmp_path, name: str, *args: str) -> tuple[dict, object]:
    out = tmp_path / name
    result = run_monitor("export", *args, "--out", str(out), "--json", config=config)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), out


def test_every_document_in_every_format(many, tmp_path):
    summary, out = export(many, tmp_path, "all.jsonl")
    assert summary == {"rows": N, "out": str(out), "format": "jsonl", "total": N}
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len({r["id"] for r in rows}) == N
    dates = [r["published_at"] for r in rows]
    assert dates == sorted(dates, reverse=True)  # an empty query: newest first
    by_id = {r["id"]: r for r in rows}
    assert by_id["g00010"]["title"] == "第10号 关于集成电路产业的通知"
    assert by_id["g00010"]["doc_number"] == "工信部电子〔2024〕10号"

    _, csv_out = export(many, tmp_path, "all.csv")
    raw = csv_out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    with csv_out.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["id"] for r in table] == [r["id"] for r in rows]
    assert table[0]["title"] == rows[0]["title"] and "issuer" in table[0]

    from openpyxl import load_workbook

    _, xlsx_out = export(many, tmp_path, "all.xlsx")
    sheet = load_workbook(xlsx_out, read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    header, body = values[0], values[1:]
    assert len(body) == N and header[:3] == ("id", "title", "title_en")
    assert [r[0] for r in body] == [r["id"] for r in rows]
    assert body[0][1] == rows[0]["title"]


def test_the_query_and_filters_apply(many, tmp_path):
    summary, out = export(
        many, tmp_path, "policy.csv", "type:policy", "--lang", "zh", "--since", "2024-06-01"
    )
    with out.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.DictReader(f))
    assert summary["rows"] == len(table) > 0
    for row in table:
        assert row["doc_type"] == "policy" and row["language"] == "zh"
        assert row["published_at"] >= "2024-06-01" and row["issuer"] == "工业和信息化部"
    ranked, out = export(many, tmp_path, "chips.jsonl", "chip", "--limit", "50")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert ranked["rows"] == 50 and all(r["snippet"] for r in rows)
    bad = run_monitor(
        "export", "chips", "--source", "nope", "--out", str(tmp_path / "x.csv"), config=many
    )
    assert bad.returncode == 2 and "unknown source" in bad.stderr
    assert not (tmp_path / "x.csv").exists()
