"""What `monitor show` lists of a document (monitor.search.lookup.document_fields): empty
fields left out, the policy's and the filing's own labels, the page fetched from another URL,
a later version, a withdrawal, and the date in the zone asked for."""

from __future__ import annotations

import pytest

from monitor.search.lookup import document_fields

pytestmark = pytest.mark.fast


def test_a_policy_document_shows_its_labels_and_leaves_out_empty_fields():
    doc = {
        "id": "abc", "url": "http://x.gov.cn/a.html?from=list", "canonical_url": "http://x.gov.cn/a.html",
        "source_id": "miit", "doc_type": "policy", "language": "zh", "authors": [], "editors": None,
        "published_at": "2024-05-06T02:00:00+00:00", "version": 3, "changed_at": "2024-06-01",
        "changes": {"summary": "2 paragraphs"}, "policy": {"doc_number": "工信部电子〔2024〕12号",
        "issuer": "工业和信息化部", "status": ""},
        "translation": {"status": "done", "model": "zh-en"},
    }  # fmt: skip
    fields = dict(document_fields(doc, tz="Asia/Shanghai"))
    assert fields["文号"] == "工信部电子〔2024〕12号" and fields["issuer"] == "工业和信息化部"
    assert fields["fetched from"] == doc["url"] and fields["url"] == doc["canonical_url"]
    assert fields["published"].startswith("2024-05-06 10:00")
    assert fields["version"] == "3, changed 2024-06-01 (2 paragraphs)"
    assert fields["translation"] == "done zh-en"
    assert not {"authors", "editors", "status", "company", "WITHDRAWN"} & set(fields)


def test_a_filing_and_a_withdrawal():
    doc = {"id": "f1", "url": "http://sse/1.pdf", "withdrawn_at": "2024-07-01",
           "withdrawn_reason": "HTTP 404", "filing": {"company_name": "中芯国际",
           "company_code": "688981", "exchange": "SSE", "announced_at": "2024-05-06"}}  # fmt: skip
    fields = document_fields(doc)
    labels = [label for label, _ in fields]
    assert labels[:3] == ["id", "url", "type"] and "fetched from" not in labels
    assert dict(fields)["company"] == "中芯国际 (688981)"
    assert dict(fields)["WITHDRAWN"] == "2024-07-01 (HTTP 404)"
    assert dict(fields)["type"] == "news"
