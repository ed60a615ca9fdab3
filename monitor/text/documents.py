"""Text from document files: PDF (pypdf) and DOCX (python-docx). Runs in the extraction workers.

Legacy binary formats (.doc, .wps, .xls) have no well-kept pure-Python reader: they are reported as
unsupported, with their name and size, never as an empty text. A PDF whose pages carry no text
layer (a scan) is flagged `scanned`, not returned as an empty document. Pages beyond `max_pages`
are not read, and the result says so (`truncated`).
"""

from __future__ import annotations

import io
import logging
import re
import time
from typing import Any
from urllib.parse import urlsplit

from monitor.text.limits import MAX_INFLATED, PageRejected

logger = logging.getLogger(__name__)

MIN_CHARS_PER_PAGE = 20  # fewer characters of text per page: a scanned image, not a text PDF
MAX_CHARS = 500_000  # text kept per file (a 300-page report is about this); more is `truncated`
MIME = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/kswps": "wps",
    "application/vnd.ms-works": "wps",
}
EXTENSIONS = ("pdf", "docx", "doc", "wps", "xls", "xlsx", "ofd")
SUPPORTED = ("pdf", "docx")


def document_format(body: bytes, content_type: str | None, url: str) -> str | None:
    """'pdf', 'docx', 'doc', ... when the body is a document file; None for a web page."""
    if body[:5] == b"%PDF-":
        return "pdf"
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime in MIME:
        return MIME[mime]
    extension = urlsplit(url).path.rsplit(".", 1)[-1].lower()
    if extension in EXTENSIONS and mime in ("", "application/octet-stream", "application/zip"):
        return extension
    return None


def extract_document(
    body: bytes, url: str, content_type: str | None = None, max_pages: int = 300
) -> dict[str, Any]:
    """{'format', 'text', 'title', 'pages', 'chars', 'scanned', 'truncated', 'error', 'seconds'}."""
    started = time.perf_counter()
    kind = document_format(body, content_type, url) or "unknown"
    result: dict[str, Any] = {
        "format": kind,
        "text": "",
        "title": None,
        "pages": None,
        "scanned": False,
        "truncated": False,
        "error": None,
    }
    try:
        if kind == "pdf":
            result |= _pdf(body, max_pages)
        elif kind == "docx":
            result |= _docx(body)
        else:
            result["error"] = f"unsupported document format: {kind} ({len(body)} bytes)"
    except PageRejected as exc:
        result["error"] = f"cannot read {kind}: {exc}"
    except Exception as exc:  # a broken or hostile file: say what and where, keep going
        result["error"] = f"cannot read {kind}: {type(exc).__name__}: {str(exc)[:200]}"
    if len(result["text"]) > MAX_CHARS:
        result["text"], result["truncated"] = result["text"][:MAX_CHARS], True
    result["chars"] = len(result["text"])
    result["seconds"] = round(time.perf_counter() - started, 4)
    return result


def _pdf(body: bytes, max_pages: int) -> dict[str, Any]:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings about odd files are noise
    reader = PdfReader(io.BytesIO(body))
    if reader.is_encrypted:
        reader.decrypt("")  # many are "encrypted" with an empty user password
    pages = len(reader.pages)
    texts = [_tidy(page.extract_text() or "") for page in reader.pages[:max_pages]]
    text = "\n".join(t for t in texts if t)
    scanned = pages > 0 and len("".join(text.split())) < MIN_CHARS_PER_PAGE * min(pages, max_pages)
    meta_title = str((reader.metadata or {}).get("/Title") or "").strip()
    if meta_title.lower() in ("untitled", "title") or meta_title.startswith("Microsoft Word"):
        meta_title = ""  # what tools write when nobody gave a title
    return {
        "text": "" if scanned else text,
        "title": meta_title or None,
        "pages": pages,
        "scanned": scanned,
        "truncated": pages > max_pages,
        "error": "no text layer: a scanned or image-only PDF" if scanned else None,
    }


def _docx(body: bytes) -> dict[str, Any]:
    import zipfile

    from docx import Document

    with zipfile.ZipFile(io.BytesIO(body)) as archive:  # a zip bomb is refused before parsing
        inflated = sum(entry.file_size for entry in archive.infolist())
    if inflated > MAX_INFLATED:
        raise PageRejected(
            "too_large", f"its parts inflate to {inflated} bytes, over {MAX_INFLATED}"
        )
    document = Document(io.BytesIO(body))
    lines = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                lines.append(" | ".join(dict.fromkeys(cells)))
    title = (document.core_properties.title or "").strip() or None
    return {"text": "\n".join(lines), "title": title}


_HYPHENATED = re.compile(r"(?<=[a-z])-\n(?=[a-z])")


def _tidy(text: str) -> str:
    """Lines of a PDF page without trailing blanks and empty runs, and a word the typesetter
    hyphenated at a line end ("manufac-" / "turing") whole again."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return _HYPHENATED.sub("", "\n".join(line for line in lines if line))
