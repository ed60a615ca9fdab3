"""Decoding HTML bytes when the declared charset may be missing or wrong.

Chinese government sites often serve GBK/GB2312 (decoded here as its superset GB18030), sometimes
declare one charset and send another. We trust, in order: the source's configured `encoding`, a
byte-order mark, the declared charset if the bytes really decode with it, then UTF-8; then the
charset a kept detector (charset-normalizer) finds among the charsets these sites use (GB18030,
Big5, Windows-1252, Shift-JIS, EUC-KR): a Latin page in Windows-1252 that declares UTF-8 is not
read as GB18030 (which decodes most byte pairs) or with replacement characters; then GB18030;
only then do we decode with replacement characters (and say so).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

# Single-byte charsets decode any bytes without error, so a wrong declaration of one cannot be
# detected by strict decoding alone: prefer a clean multi-byte decoding when one exists.
_PERMISSIVE = {"cp1252", "latin_1", "iso8859-1", "iso8859-15", "ascii"}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the codec used
    declared: str | None  # what the server or the page claimed
    lossy: bool = False  # decoded with replacement characters


def _norm(name: str | None) -> str | None:
    if not name:
        return None
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return "gb18030" if name in ("gbk", "gb2312", "hz", "cp936") else name


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


DETECTABLE = ["utf_8", "gb18030", "big5", "cp1252", "shift_jis", "euc_kr"]


def _detect(body: bytes) -> str | None:
    """The charset charset-normalizer finds most coherent among DETECTABLE (None: no verdict)."""
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000], cp_isolation=DETECTABLE).best()
    return _norm(best.encoding) if best is not None else None


def decode_html(
    body: bytes, content_type: str | None = None, override: str | None = None
) -> Decoded:
    """Decode a page body; see the module docstring for the order of trust."""
    declared = _norm(http_content_type_encoding(content_type or "")) or _norm(
        html_body_declared_encoding(body[:4096])
    )
    if override:
        enc = _norm(override) or "utf-8"
        text = _strict(body, enc)
        return Decoded(
            text if text is not None else body.decode(enc, "replace"), enc, declared, text is None
        )
    bom_encoding, bom = read_bom(body)
    if bom_encoding:
        enc = _norm(bom_encoding) or "utf-8"
        return Decoded(body[len(bom) :].decode(enc, "replace"), enc, declared)
    candidates = [declared] if declared and declared not in _PERMISSIVE else []
    candidates += [e for e in ("utf-8",) if e not in candidates]
    for enc in candidates:
        text = _strict(body, enc)
        if text is not None:
            return Decoded(text, enc, declared)
    detected = _detect(body)
    later = [e for e in (detected, "gb18030", declared) if e]
    for enc in dict.fromkeys(later):
        text = _strict(body, enc)
        if text is not None:
            return Decoded(text, enc, declared)
    enc = declared or "utf-8"
    return Decoded(body.decode(enc, "replace"), enc, declared, lossy=True)
