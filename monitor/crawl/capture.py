"""Raw captures: what was fetched, byte for byte, in WARC files (warcio), as evidence.

Every article and attachment response (and, with MONITOR_WARC_LISTINGS, every listing page, feed
and sitemap) is written as a WARC `response` record with its HTTP status line and headers, and a
`request` record beside it (WARC-Concurrent-To). The body is the one the server sent: the
downloader middleware sits next to the downloader, before Scrapy decompresses it (only the chunked
transfer coding is already undone, by Twisted). Each stored document keeps its capture's file,
offset, length and record id (`capture` in the articles index), so `monitor capture` gives the
bytes back and `monitor capture --replay` extracts them again.

Files: `<MONITOR_WARC_DIR>/<UTC time>-<source>-<pid>-<n>.warc.gz` (default
`$MONITOR_HOME/warc`), one series per crawl and source, a new file after MONITOR_WARC_MAX_MB.
Each record is a gzip member of its own, flushed once written: a crawl killed with -9 leaves at
most one torn record at the end of its last file, which no document refers to (a document gets
its capture only after the write) and readers skip (`records`).

Writing happens on one thread per crawler, off the reactor; the middleware hands each response
to it and puts the pending capture (a Future) in the request's meta for the spider and the index
stage.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import os
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from monitor.crawl.incremental import FETCHED, PAGE_KINDS
from monitor.crawl.options import CrawlSettings
from monitor.errors import CaptureError, ConfigError

logger = logging.getLogger(__name__)

LISTING_KINDS = (*PAGE_KINDS, "api")  # captured only with MONITOR_WARC_LISTINGS


def _headers(headers: Any) -> list[tuple[str, str]]:
    """Scrapy's headers as (name, value) pairs, one per value, as received."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


class CaptureWriter:
    """Writes request/response pairs to rotating WARC files on a thread of its own."""

    def __init__(self, directory: Path, series: str, max_bytes: int):
        self.directory, self.series, self.max_bytes = directory, series, max_bytes
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="warc")
        self._file: BinaryIO | None = None
        self._name = ""
        self._serial = 0
        self.records = 0
        self.bytes = 0

    def submit(self, request: Request, response: Response) -> Future:
        """Queue the pair; the Future gives the capture reference (a dict)."""
        return self._executor.submit(
            self._write,
            response.url,
            request.method,
            _headers(request.headers),
            response.status,
            _headers(response.headers),
            response.body,
            response.ip_address and str(response.ip_address),
        )

    def _open(self) -> BinaryIO:
        if self._file is not None and self._file.tell() < self.max_bytes:
            return self._file
        if self._file is not None:
            self._file.close()
        self._serial += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        self._name = f"{self.series}-{self._serial:05d}.warc.gz"
        self._file = open(self.directory / self._name, "ab")  # noqa: SIM115 (kept open)
        return self._file

    def _write(
        self,
        url: str,
        method: str,
        request_headers: list[tuple[str, str]],
        status: int,
        response_headers: list[tuple[str, str]],
        body: bytes,
        ip: str | None,
    ) -> dict[str, Any]:
        out = self._open()
        buffer = BytesIO()
        writer = WARCWriter(buffer, gzip=False)  # compressed below: one member per record
        extra = {"WARC-IP-Address": ip} if ip else None
        response = writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=StatusAndHeaders(
                f"{status} {_reason(status)}", response_headers, protocol="HTTP/1.1"
            ),
            warc_headers_dict=extra,
        )
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request = writer.create_warc_record(
            url,
            "request",
            payload=BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(
                f"{method} {target} HTTP/1.1", request_headers, is_http_request=True
            ),
        )
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        offset = out.tell()
        writer.write_record(response)
        out.write(_member(buffer.getvalue()))
        length = out.tell() - offset
        request.rec_headers.add_header("WARC-Concurrent-To", record_id)
        buffer.seek(0)
        buffer.truncate()
        writer.write_record(request)
        out.write(_member(buffer.getvalue()))
        out.flush()
        self.records += 1
        self.bytes += out.tell() - offset
        return {
            "file": self._name,
            "offset": offset,
            "length": length,
            "record_id": record_id,
            "status": status,
            "date": response.rec_headers.get_header("WARC-Date"),
        }

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        if self._file is not None:
            self._file.close()
            self._file = None


GZIP_LEVEL = 3  # warcio compresses at 9: 1.1 ms a 45 KB page against 0.4, for 0.31 vs 0.33 of it


def _member(record: bytes) -> bytes:
    """One record as a gzip member of its own (what readers of .warc.gz expect)."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return compressor.compress(record) + compressor.flush()


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def warc_directory(settings: Any) -> Path:
    """MONITOR_WARC_DIR, else `$MONITOR_HOME/warc`."""
    configured = settings.get("MONITOR_WARC_DIR") or os.environ.get("MONITOR_WARC_DIR")
    if configured:
        if "://" in str(configured):
            raise ConfigError(
                f"setting MONITOR_WARC_DIR: {configured!r}: only a local folder is supported "
                "(object storage such as s3:// is not supported yet, see docs/evidence.md)"
            )
        return Path(configured)
    from monitor.es.config import EsConfig

    return Path(EsConfig.from_env(settings).home) / "warc"


class WarcCapture:
    """Downloader middleware (next to the downloader): every article and attachment response,
    and with MONITOR_WARC_LISTINGS the listing pages, feeds and sitemaps, go to the crawler's
    CaptureWriter; the pending capture goes into the request's meta as `monitor_capture`."""

    def __init__(self, crawler: Any, writer: CaptureWriter, listings: bool):
        self.crawler, self.writer = crawler, writer
        self.kinds = FETCHED + (LISTING_KINDS if listings else ())
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> WarcCapture:
        settings = CrawlSettings.of(crawler)
        if not settings.warc:
            raise NotConfigured("MONITOR_WARC is off")
        spider_source = getattr(getattr(crawler, "spider", None), "source", None)
        source = spider_source.id if spider_source else getattr(crawler.spidercls, "name", "crawl")
        series = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}"
        writer = CaptureWriter(
            warc_directory(crawler.settings), f"{series}-{source}", settings.warc_max_bytes
        )
        return cls(crawler, writer, settings.warc_listings)

    def process_response(self, request: Request, response: Response, spider: Any = None):
        if request.meta.get("monitor_kind") in self.kinds:
            request.meta["monitor_capture"] = self.writer.submit(request, response)
            self.crawler.stats.inc_value("monitor/warc/records")
        return response

    def closed(self, spider: Any = None) -> None:
        self.writer.close()
        self.crawler.stats.set_value("monitor/warc/bytes", self.writer.bytes)


async def settle(pending: Any, stats: Any = None) -> dict[str, Any] | None:
    """The capture reference once written; None (counted, logged) if the write failed."""
    if pending is None or isinstance(pending, dict):
        return pending
    try:
        return await asyncio.wrap_future(pending)
    except Exception as exc:  # a full disk must not cost the page: it is stored uncaptured
        logger.warning("a capture was not written: %s: %s", type(exc).__name__, exc)
        if stats is not None:
            stats.inc_value("monitor/warc/errors")
        return None


# --- reading ----------------------------------------------------------------------------------


@dataclass
class Capture:
    url: str
    date: str
    record_id: str
    status: int
    status_line: str
    headers: list[tuple[str, str]]
    raw_body: bytes  # as the server sent it (content coding kept)
    body: bytes  # decoded (gzip, deflate, br undone)

    def http(self) -> bytes:
        """The response as fetched: status line, headers, the body as sent."""
        head = [f"HTTP/1.1 {self.status_line}"] + [f"{k}: {v}" for k, v in self.headers]
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + self.raw_body

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def whole_member(handle: BinaryIO, offset: int) -> bool:
    """Whether the gzip member at `offset` is complete (a record is one member): a crawl killed
    while writing leaves a member cut short, which gzip readers would decode without complaint
    as a shorter record."""
    handle.seek(offset)
    member = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        while not member.eof:
            chunk = handle.read(65536)
            if not chunk:
                return False
            member.decompress(chunk, 1 << 20)
            while member.unconsumed_tail and not member.eof:
                member.decompress(member.unconsumed_tail, 1 << 20)
    except zlib.error:
        return False
    return True


def read_capture(directory: Path, ref: dict[str, Any]) -> Capture:
    """The response record a document's `capture` points at."""
    path = directory / Path(ref["file"]).name  # a name, never a path out of the folder
    if not path.is_file():
        raise CaptureError(f"the capture file {path} is missing")
    offset = int(ref["offset"])
    with open(path, "rb") as handle:
        if not whole_member(handle, offset):
            raise CaptureError(
                f"the capture at {path}:{offset} is torn (the crawl was killed while writing it)"
            )
        handle.seek(offset)
        try:
            record = next(iter(ArchiveIterator(handle)), None)
            if record is None or record.rec_type != "response":
                raise CaptureError(f"no response record at {path}:{offset}")
            raw = record.raw_stream.read()
        except (ArchiveLoadFailed, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise CaptureError(f"the capture at {path}:{offset} cannot be read: {exc}") from None
    headers = list(record.http_headers.headers)
    status_line = record.http_headers.statusline
    capture = Capture(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        date=record.rec_headers.get_header("WARC-Date"),
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        status=int(status_line.split()[0]),
        status_line=status_line,
        headers=headers,
        raw_body=raw,
        body=raw,
    )
    capture.body = _decoded(raw, capture.header("Content-Encoding"))
    return capture


MAX_DECODED = 256 * 1024 * 1024  # a capture's body decoded for replay, at most


def _decoded(raw: bytes, coding: str | None) -> bytes:
    """The body with its content coding undone (gzip, deflate; br when brotli is installed)."""
    coding = (coding or "").strip().lower()
    if coding in ("gzip", "x-gzip", "deflate"):
        gzipped = (16 + zlib.MAX_WBITS,)
        windows = gzipped if coding != "deflate" else (zlib.MAX_WBITS, -zlib.MAX_WBITS)
        for window in windows:
            try:
                return zlib.decompressobj(window).decompress(raw, MAX_DECODED)
            except zlib.error:
                continue
        raise CaptureError(f"the captured body does not decode as {coding}")
    if coding == "br":
        try:
            import brotli
        except ImportError:
            raise CaptureError("the captured body is brotli-coded: install brotli") from None
        return brotli.decompress(raw)
    return raw


def records(path: Path) -> Iterator[tuple[int, Any]]:
    """(offset, record) of every whole record in a WARC file, payloads read; a torn last record
    (a crawl killed while writing it) ends the iteration, with a warning."""
    with open(path, "rb") as handle, open(path, "rb") as check:
        iterator = ArchiveIterator(handle)
        try:
            for record in iterator:
                offset = iterator.get_record_offset()
                if not whole_member(check, offset):
                    raise EOFError("the last record is cut short")
                record.raw_stream.read()
                yield offset, record
        except Exception as exc:  # whatever a half-written member makes the reader say
            logger.warning("%s: a torn record at the end is skipped (%s)", path, exc)
