"""The story threshold moves the LSH band layout with it: at a lower MONITOR_STORY_THRESHOLD,
pairs of texts between the new and the old threshold meet as candidates (the layout of 0.5 lets
most of them pass unseen)."""

from __future__ import annotations

import random

import pytest

from monitor.text.stories import layout, rebanded, signature, similarity
from pipelines.index import _story_fields

pytestmark = pytest.mark.fast

WORDS = [f"w{n}" for n in range(5000)]


def pairs(count: int, shared: int, seed: int = 3) -> list[tuple[str, str]]:
    """Texts of 200 words whose first `shared` words are the same (the rest differ)."""
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        common = rng.choices(WORDS, k=shared)
        found.append(
            (
                " ".join(common + rng.choices(WORDS, k=200 - shared)),
                " ".join(common + rng.choices(WORDS, k=200 - shared)),
            )
        )
    return found


def meet(first: str, second: str, threshold: float) -> bool:
    a, b = signature(first, threshold), signature(second, threshold)
    return bool(set(a["bands"]) & set(b["bands"]))


def test_each_threshold_has_its_own_band_layout():
    assert layout(0.3) != layout(0.5) != layout(0.7)
    bands, rows = layout(0.3)
    assert bands * rows <= 128 and rows < layout(0.5)[1]  # shorter bands: easier to share one
    assert len(signature(" ".join(WORDS[:50]), 0.3)["bands"]) == bands


def test_a_lower_threshold_finds_the_candidates_between_it_and_the_default():
    found = pairs(30, shared=110)  # Jaccard of their shingles about 0.37
    sims = [similarity(signature(a)["minhash"], signature(b)["minhash"]) for a, b in found]
    assert 0.28 < sum(sims) / len(sims) < 0.46
    at_default = sum(meet(a, b, 0.5) for a, b in found)
    at_lower = sum(meet(a, b, 0.3) for a, b in found)
    assert at_default <= 12 and at_lower >= 22, (at_default, at_lower)


def test_stored_signatures_are_banded_for_the_crawls_threshold():
    text = " ".join(WORDS[:80])
    extracted = signature(text)  # the extraction bands for the default threshold
    fields = _story_fields(extracted, 0.3)
    assert fields["story_bands"] == signature(text, 0.3)["bands"]
    assert fields["story_bands"] == rebanded(extracted["minhash"], 0.3)
    assert _story_fields(extracted, 0.5)["story_bands"] == extracted["bands"]
    assert not set(fields["story_bands"]) & set(extracted["bands"])  # layouts never collide
