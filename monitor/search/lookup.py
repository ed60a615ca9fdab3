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
