"""A text's story signature: the MinHash (datasketch) of its shingles, and the LSH band keys under
which near-duplicates meet.

Reprints of one story (a changed headline or byline, a cut or added paragraph) share most of their
word sequences; two reports on the same topic share words but few sequences. So a text becomes
the set of its SHINGLE-token windows, tokens being Han characters one by one (Chinese has no
spaces; a character carries about a word) and other words lower-cased. MinHash estimates the
Jaccard similarity of two such sets from NUM_PERM numbers each; banding those numbers (b bands
of r rows, chosen by datasketch's MinHashLSH for the threshold in use, MONITOR_STORY_THRESHOLD)
gives keys that two texts above the threshold share with high probability. The layout follows the
threshold: a lower threshold means more, shorter bands, so more candidates meet. Keys of
different layouts never collide (a band's hash covers its r rows), so documents stored under
another threshold do not meet new ones (`rebanded` recomputes their keys from the stored MinHash).
The keys are stored and searched in Elasticsearch (monitor.es.stories), so every crawler process
and machine shares one index of stories.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from typing import Any

NUM_PERM = 128
SHINGLE = 4
THRESHOLD = 0.5  # the default estimated Jaccard similarity from which two texts are one story
MIN_SHINGLES = 8  # shorter texts get no signature: a two-line note is not a story
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W\d_]+|\d+", re.UNICODE)


@lru_cache(maxsize=16)
def layout(threshold: float = THRESHOLD) -> tuple[int, int]:
    """(bands, rows) that datasketch's MinHashLSH chooses for `threshold` (equal weight to false
    positives and false negatives)."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    return lsh.b, lsh.r


def warm_up() -> None:
    """datasketch imported and the band layout chosen (for a fork server to share)."""
    import datasketch  # noqa: F401

    layout()


def shingles(text: str) -> set[bytes]:
    tokens = [t.lower() for t in _TOKEN.findall(text or "")]
    return {
        " ".join(tokens[i : i + SHINGLE]).encode("utf-8")
        for i in range(max(0, len(tokens) - SHINGLE + 1))
    }


def signature(text: str, threshold: float = THRESHOLD) -> dict[str, Any] | None:
    """{"minhash": base64 of NUM_PERM uint32, "bands": [key, ...] for `threshold`}, or None for a
    short text."""
    from datasketch import MinHash

    found = shingles(text)
    if len(found) < MIN_SHINGLES:
        return None
    minhash = MinHash(num_perm=NUM_PERM)
    minhash.update_batch(list(found))
    values = minhash.hashvalues.astype("<u4")
    return {
        "minhash": base64.b64encode(values.tobytes()).decode(),
        "bands": band_keys(values, threshold),
    }


def rebanded(minhash: str, threshold: float) -> list[str]:
    """The band keys for `threshold` of a stored signature (its base64 `minhash`)."""
    import numpy as np

    return band_keys(np.frombuffer(base64.b64decode(minhash), dtype="<u4"), threshold)


def band_keys(values: Any, threshold: float = THRESHOLD) -> list[str]:
    """The LSH keys of a signature (a uint32 numpy array) for `threshold`: band number and a hash
    of its rows."""
    bands, rows = layout(threshold)
    keys = []
    for band in range(bands):
        rows_bytes = values[band * rows : (band + 1) * rows].tobytes()
        keys.append(f"{band}:{hashlib.blake2b(rows_bytes, digest_size=8).hexdigest()}")
    return keys


def similarity(a: str, b: str) -> float:
    """The estimated Jaccard similarity of two stored signatures (their `minhash`)."""
    import numpy as np  # imported where used: a crawl that stores nothing never needs it

    first = np.frombuffer(base64.b64decode(a), dtype="<u4")
    second = np.frombuffer(base64.b64decode(b), dtype="<u4")
    if first.shape != second.shape or not first.size:
        return 0.0
    return float(np.mean(first == second))
