"""The steps before a write (monitor.es.steps): what each gives is merged per document, a
document one step holds back is not asked about by the later ones and gets no fields, and the
batch tells a changed text from attachments fetched again."""

from __future__ import annotations

import pytest

from monitor.es.steps import Batch, Hold, Prepared, prepare_all

pytestmark = pytest.mark.fast


class Recording:
    """A step that gives `fields` to every document of `kind`, holds those in `hold`, and
    records which documents it was asked about."""

    def __init__(self, kind: str, fields: dict, hold: dict[str, Hold] | None = None):
        self.kind, self.fields, self.hold = kind, fields, hold or {}
        self.asked: list[str] = []

    def open(self, es) -> None:
        pass

    def prepare(self, es, batch: Batch) -> Prepared:
        self.asked = [doc_id for doc_id, _ in batch.docs]
        given: Prepared = {i: dict(self.fields) for i, _ in batch.of_kind(self.kind)}
        given.update(self.hold)
        return given


def batch() -> Batch:
    docs = [("a", {"content_hash": "1"}), ("b", {"content_hash": "2"}),
            ("c", {"content_hash": "3"}), ("d", {"content_hash": "4"})]  # fmt: skip
    kinds = {"a": "new", "b": "changed", "c": "changed", "d": "unchanged"}
    return Batch(docs, kinds, {"b": "old", "c": "3", "d": "4"}, "2026-12-06T00:00:00Z")


def test_fields_merge_and_a_held_document_is_not_asked_again():
    versions = Recording("changed", {"version": 2}, hold={"c": Hold("version not kept: 503")})
    stories = Recording("new", {"story_id": "a"})
    also = Recording("changed", {"seen": True})
    fields, holds = prepare_all([versions, stories, also], None, batch())
    assert fields == {"a": {"story_id": "a"}, "b": {"version": 2, "seen": True}}
    assert holds == {"c": Hold("version not kept: 503")}
    assert versions.asked == ["a", "b", "c", "d"] and "c" not in stories.asked


def test_a_hold_drops_what_earlier_steps_gave():
    first = Recording("changed", {"version": 2})
    furniture = Recording("new", {}, hold={"b": Hold()})
    fields, holds = prepare_all([first, furniture], None, batch())
    assert "b" not in fields and holds["b"].error is None


def test_changed_text_is_told_from_attachments_fetched_again():
    b = batch()
    assert b.text_changed("b", {"content_hash": "2"})  # stored with other text
    assert not b.text_changed("c", {"content_hash": "3"})  # same text, attachments came again
    assert not b.text_changed("a", {"content_hash": "1"})  # new, not changed
