"""One stored document, by its id or by a URL it was fetched from (`monitor show`)."""

from __future__ import annotations

import re
from itertools import zip_longest
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

from monitor.text.urls import canonicalize, document_id

_URL = re.compile(r"^https?://", re.IGNORECASE)


def find_document(es: Elasticsearch, index: str, ref: str) -> dict[str, Any] | None:
    """The document `ref` names: an _id, or a URL (its canonical form gives the _id; else the
    document whose fetched or canonical URL it is). {"id", **_source}, or None."""
    ref = ref.strip()
    if not _URL.match(ref):
        try:
            hit = es.get(index=index, id=ref)
        except NotFoundError:
            return None
        return {"id": hit["_id"], **hit["_source"]}
    canonical = canonicalize(ref)
    try:
        hit = es.get(index=index, id=document_id(canonical))
        return {"id": hit["_id"], **hit["_source"]}
    except NotFoundError:
        pass
    urls = list(dict.fromkeys([ref, canonical]))
    either = [{"terms": {"url": urls}}, {"terms": {"canonical_url": urls}}]
    query = {"bool": {"should": either, "minimum_should_match": 1}}
    found = es.search(index=index, size=1, query=query)["hits"]["hits"]
    return {"id": found[0]["_id"], **found[0]["_source"]} if found else None


def paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split("\n") if p.strip()]


def side_by_side(original: str | None, translation: str | None) -> list[tuple[str, str]]:
    """The original's paragraphs, each with its translation (the worker keeps paragraph breaks);
    when the counts differ, the remainder pairs with an empty side rather than being lost."""
    return [
        (a or "", b or "") for a, b in zip_longest(paragraphs(original), paragraphs(translation))
    ]


POLICY_LABELS = (("issuer", "issuer"), ("doc_number", "文号"), ("written_date", "written"),
                 ("published_date", "issued"), ("category", "category"), ("status", "status"),
                 ("index_number", "索引号"))  # fmt: skip
ATTACHMENT_LABELS = (("url", "url"), ("format", "format"), ("pages", "pages"), ("error", "error"))


def labelled(pairs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The pairs that have a value."""
    return [(label, value) for label, value in pairs if value not in (None, "", [], {})]


def document_fields(doc: dict[str, Any], tz: str | None = None) -> list[tuple[str, Any]]:
    """What a person is shown of a stored document besides its title and text, as (label,
    value), in order, empty ones left out; `published` in the zone `tz` when given."""
    from monitor.text.zones import shown

    url = doc.get("canonical_url") or doc.get("url")
    published = doc.get("published_at")
    pairs: list[tuple[str, Any]] = [
        ("id", doc["id"]),
        ("url", url),
        ("fetched from", doc.get("url") if doc.get("url") != url else None),
        ("source", doc.get("source_id")),
        ("type", doc.get("doc_type") or "news"),
        ("language", doc.get("language")),
        ("published", shown(published, tz, with_time=True) if tz and published else published),
        ("first seen", doc.get("first_seen_at")),
        ("crawled", doc.get("crawled_at")),
        ("indexed", doc.get("indexed_at")),
    ]
    if (doc.get("version") or 1) > 1:
        changes = (doc.get("changes") or {}).get("summary", "")
        pairs.append(("version", f"{doc['version']}, changed {doc.get('changed_at')} ({changes})"))
    if doc.get("withdrawn_at"):
        pairs.append(("WITHDRAWN", f"{doc['withdrawn_at']} ({doc.get('withdrawn_reason') or ''})"))
    pairs += [("authors", ", ".join(doc.get("authors") or [])),
              ("editors", ", ".join(doc.get("editors") or []))]  # fmt: skip
    policy = doc.get("policy") or {}
    pairs += [(label, policy.get(key)) for key, label in POLICY_LABELS]
    filing = doc.get("filing") or {}
    if filing:
        company, code = filing.get("company_name"), filing.get("company_code")
        pairs += [("company", f"{company} ({code})" if code else company),
                  ("exchange", filing.get("exchange")), ("category", filing.get("category")),
                  ("announced", filing.get("announced_at"))]  # fmt: skip
    translation = doc.get("translation") or {}
    if translation.get("status"):
        status = f"{translation['status']} {translation.get('model') or ''}".strip()
        pairs.append(("translation", status))
    return labelled(pairs)
