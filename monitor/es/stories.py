"""Stories in the articles index: near-duplicate documents (reprints) share a `story_id`.

A new document with a text signature (monitor.text.stories) asks the index for documents that
share one of its LSH band keys (`story_bands`) and were published within MONITOR_STORY_WINDOW of
it, estimates its similarity to each from their stored MinHash, and joins the story of the most
similar one at or above the threshold; otherwise it starts a story of its own (its own id). The
documents of one bulk batch are compared with each other too. Search collapses a story to its
earliest document (monitor.search.engine).

This module is the one writer of `story_id`: the index stage writes the value its step gives a
new document (StoryStep, monitor.es.steps), the crawl's end merges stories that concurrent
writers started apart (reconcile_stories), and documents stored before stories existed get a
story of their own when a crawl opens the index (backfill_story_ids). Search only reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch

from monitor.es.bulk import write
from monitor.es.steps import Batch, Prepared
from monitor.text.stories import THRESHOLD, similarity

CANDIDATES = 50  # documents sharing a band key, looked at per new document
CANDIDATE_FIELDS = ["story_id", "story_minhash", "first_seen_at"]  # what a candidate brings
BACKFILL_BATCH = 1000


def _when(source: dict[str, Any]) -> str | None:
    return source.get("published_at") or source.get("crawled_at")


def _window(when: str, window: timedelta) -> dict[str, Any]:
    moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
    bounds = {"gte": (moment - window).isoformat(), "lte": (moment + window).isoformat()}
    undated = {
        "bool": {
            "must_not": {"exists": {"field": "published_at"}},
            "filter": {"range": {"crawled_at": bounds}},
        }
    }
    return {"bool": {"should": [{"range": {"published_at": bounds}}, undated]}}


def assign_stories(
    es: Elasticsearch,
    index: str,
    docs: list[tuple[str, dict[str, Any]]],
    window: timedelta,
    threshold: float = THRESHOLD,
) -> dict[str, str]:
    """{id: story_id} for the new documents `docs` ((id, source) with `story_minhash` and
    `story_bands`, or without them: a story of their own)."""
    stories = {doc_id: doc_id for doc_id, _ in docs}
    signed = [(i, s) for i, s in docs if s.get("story_bands") and _when(s)]
    if not signed:
        return stories
    searches: list[dict[str, Any]] = []
    for doc_id, source in signed:
        query = {
            "bool": {
                "filter": [{"terms": {"story_bands": source["story_bands"]}},
                           _window(_when(source), window)],
                "must_not": [{"ids": {"values": [doc_id]}}],
            }
        }  # fmt: skip
        searches += [
            {"index": index},
            {"size": CANDIDATES, "query": query, "_source": CANDIDATE_FIELDS},
        ]  # fmt: skip
    responses = es.msearch(searches=searches)["responses"]
    earlier: list[tuple[str, dict[str, Any]]] = []  # this batch's documents, in order
    for (doc_id, source), response in zip(signed, responses, strict=True):
        candidates = [
            (hit["_source"].get("story_id") or hit["_id"], hit["_source"])
            for hit in response.get("hits", {}).get("hits", [])
        ]
        candidates += [
            (stories[other_id], other)
            for other_id, other in earlier
            if set(other["story_bands"]) & set(source["story_bands"])
        ]
        best, best_score = None, threshold
        for story_id, other in candidates:
            score = similarity(source["story_minhash"], other.get("story_minhash") or "")
            if score >= best_score:
                best, best_score = story_id, score
        if best is not None:
            stories[doc_id] = best
        earlier.append((doc_id, source))
    return stories


class StoryStep:
    """The story of each new document of a batch (a step before the write, monitor.es.steps)."""

    def __init__(self, index: str, window: timedelta, threshold: float = THRESHOLD):
        self.index = index
        self.window = window
        self.threshold = threshold

    def open(self, es: Elasticsearch) -> None:
        backfill_story_ids(es, self.index)

    def close(self, es: Elasticsearch) -> None:
        pass

    def prepare(self, es: Elasticsearch, batch: Batch) -> Prepared:
        new = batch.of_kind("new")
        stories = assign_stories(es, self.index, new, self.window, self.threshold)
        return {doc_id: {"story_id": story} for doc_id, story in stories.items()}


MISSING = {"bool": {"must_not": {"exists": {"field": "story_id"}}}}


def backfill_story_ids(es: Elasticsearch, index: str) -> int:
    """Give documents stored before stories a story of their own, so that collapsing by story
    never folds them together. Returns how many were updated."""
    done = 0
    while True:
        hits = es.search(index=index, query=MISSING, size=BACKFILL_BATCH, source=False)
        ids = [hit["_id"] for hit in hits["hits"]["hits"]]
        if not ids:
            return done
        errors = [
            e
            for _, e in write(es, index, [("upsert", i, {"doc": {"story_id": i}}) for i in ids])
            if e
        ]
        es.indices.refresh(index=index)
        done += len(ids) - len(errors)
        if errors:  # deleted meanwhile, or refused: do not loop on them
            return done


RECONCILE_MAX = 10000  # documents of one story moved at once
RECONCILE_PAGE = 100  # new documents compared again per _msearch


def _new_documents(es: Elasticsearch, index: str, since: str) -> Iterator[list[dict[str, Any]]]:
    """Pages of the documents first stored since `since` that have a signature."""
    query = {"bool": {"filter": [{"range": {"first_seen_at": {"gte": since}}},
                                 {"exists": {"field": "story_bands"}}]}}  # fmt: skip
    fields = ["story_id", "story_bands", "story_minhash", "published_at", "crawled_at",
              "first_seen_at"]  # fmt: skip
    after = None
    while True:
        extra = {"search_after": after} if after else {}
        hits = es.search(
            index=index, query=query, size=RECONCILE_PAGE, source=fields,
            sort=[{"first_seen_at": "asc"}, {"url": "asc"}], **extra,
        )["hits"]["hits"]  # fmt: skip
        if not hits:
            return
        yield hits
        after = hits[-1]["sort"]


def reconcile_stories(
    es: Elasticsearch,
    index: str,
    since: str,
    window: timedelta,
    threshold: float = THRESHOLD,
) -> int:
    """After a crawl: documents first stored since `since` are compared again with the whole,
    refreshed index, and stories that turn out to be one are merged (under the story of the
    earliest stored document). Crawlers that run at once (several sources of one crawl, other
    processes, other machines) each see the others' documents only once they are refreshed, so
    two reprints stored at the same moment may have started two stories. Returns how many
    documents changed story."""
    es.indices.refresh(index=index)
    parent: dict[str, str] = {}
    first_seen: dict[str, str] = {}

    def root(story: str) -> str:
        while parent.get(story, story) != story:
            story = parent[story]
        return story

    def note(story: str, source: dict[str, Any]) -> None:
        seen = source.get("first_seen_at") or ""
        if story not in first_seen or (seen, story) < (first_seen[story], story):
            first_seen[story] = seen

    def join(a: str, b: str) -> None:
        a, b = root(a), root(b)
        if a == b:
            return
        keep, drop = sorted((a, b), key=lambda s: (first_seen.get(s, ""), s))
        parent[drop] = keep

    # a page of new documents at a time, their candidates in one _msearch: memory stays that of
    # one page whatever the crawl stored
    for new in _new_documents(es, index, since):
        searches: list[dict[str, Any]] = []
        for hit in new:
            source = hit["_source"]
            when = _when(source) or source.get("first_seen_at")
            query = {"bool": {"filter": [{"terms": {"story_bands": source["story_bands"]}},
                                         _window(when, window)],
                              "must_not": [{"ids": {"values": [hit["_id"]]}}]}}  # fmt: skip
            body = {"size": CANDIDATES, "query": query, "_source": CANDIDATE_FIELDS}
            searches += [{"index": index}, body]
        responses = es.msearch(searches=searches)["responses"]
        for hit, response in zip(new, responses, strict=True):
            story = hit["_source"].get("story_id") or hit["_id"]
            note(story, hit["_source"])
            for other in response.get("hits", {}).get("hits", []):
                other_source = other["_source"]
                other_story = other_source.get("story_id") or other["_id"]
                note(other_story, other_source)
                score = similarity(
                    hit["_source"]["story_minhash"], other_source.get("story_minhash") or ""
                )
                if score >= threshold:
                    join(story, other_story)
    moved = {story: root(story) for story in list(parent) if root(story) != story}
    if not moved:
        return 0
    changed = 0
    for story, keep in moved.items():
        members = es.search(
            index=index, query={"term": {"story_id": story}}, size=RECONCILE_MAX, source=False
        )["hits"]["hits"]
        actions = [("upsert", m["_id"], {"doc": {"story_id": keep}}) for m in members]
        changed += sum(1 for _, error in write(es, index, actions) if not error)
    es.indices.refresh(index=index)
    return changed
