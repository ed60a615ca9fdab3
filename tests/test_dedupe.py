"""Content dedupe decisions, including the order that once hid an original behind its reprint."""

from __future__ import annotations

import pytest

from pipelines.dedupe import ContentLedger

pytestmark = pytest.mark.fast  # no Elasticsearch, Redis or browser

H, OTHER = "hash-of-the-paragraphs", "another-hash"


def test_first_run_keeps_the_first_seen_of_two_equal_texts():
    ledger = ContentLedger()
    assert ledger.classify("original", H, {}) == "new"
    assert ledger.classify("reprint", H, {}) == "duplicate"


def test_reprint_seen_first_in_a_later_run_does_not_shadow_the_stored_original():
    ledger = ContentLedger()
    stored = {"original": H}
    assert ledger.classify("reprint", H, stored) == "duplicate"
    assert ledger.classify("original", H, stored) == "unchanged"


def test_changed_text_and_unrelated_documents():
    ledger = ContentLedger()
    assert ledger.classify("a", OTHER, {"a": H}) == "changed"
    assert ledger.classify("b", H, {"a": H}) == "duplicate"
    assert ledger.classify("c", "third", {}) == "new"
    assert ledger.classify("c", "third", {}) == "new"  # the same document again is not a duplicate
