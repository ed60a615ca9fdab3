"""Han characters: one definition for every module that tells Chinese text by its script.

CJK Unified Ideographs with Extension A and the Compatibility Ideographs: what Chinese policy
documents and news use. (Kana and Hangul are other scripts: monitor.text.language tells them.)
"""

from __future__ import annotations

import re

HAN_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN = re.compile(f"[{HAN_RANGES}]")
HAN_RUN = re.compile(f"[{HAN_RANGES}]+")


def text_size(text: str) -> int:
    """A text's length in Latin-letter terms: a Han character counts as two (a Chinese word is
    one or two characters, an English one five or six letters), so one length floor serves both
    scripts: a 30-character Chinese news flash is as long as a 60-letter English sentence."""
    return len(text) + sum(len(run) for run in HAN_RUN.findall(text))
