"""What a person sees of `monitor crawl` on stderr: one style, from the first moment to the end.

- Every line has the same time format (HH:MM:SS) and says its level when it is not plain INFO.
- On a terminal, one live line per source (rich), updated in place; log lines and each source's
  "done" line are printed above it. Piped, a plain line per source every few seconds.
- Warnings of one kind (the same logger and message template: "cannot fetch %s") are shown the
  first three times; the rest are counted and said in one line at the end, so a broken site does
  not bury the progress. The summary lists every skipped or failed page by reason anyway.

Scrapy's own log handler is off (LOG_ENABLED=False) while the crawl runs: this console is the one
handler, at the crawl's LOG_LEVEL.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from typing import Any, TextIO

TIME_FORMAT = "%H:%M:%S"
PROGRESS_LOGGER = "monitor.crawl.progress"
KEEP_REPEATS = 3


class GroupRepeats(logging.Filter):
    """Lets the first KEEP_REPEATS warnings of one kind through; counts the rest."""

    def __init__(self, keep: int = KEEP_REPEATS) -> None:
        super().__init__()
        self.keep = keep
        self.seen: Counter[tuple[str, str]] = Counter()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, str(record.msg))
        self.seen[key] += 1
        return self.seen[key] <= self.keep

    def folded(self) -> list[tuple[str, int]]:
        """(message template, how many were not shown)."""
        return [(msg, n - self.keep) for (_, msg), n in self.seen.items() if n > self.keep]


class _Format(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(message)s", TIME_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if record.levelno != logging.INFO:
            stamp, _, rest = line.partition(" ")
            line = f"{stamp} {record.levelname.lower()}: {rest}"
        return line


def progress_line(row: dict[str, Any], final: bool) -> str:
    state = "done" if final else "...."
    return (
        f"{state} {row['source']}: {row['pages']} pages, {row['indexed']} indexed, "
        f"{row['unchanged']} unchanged, {row['skipped']} skipped, {row['errors']} errors"
    )


class CrawlConsole(logging.Handler):
    """The crawl's one log handler (see the module's docstring)."""

    def __init__(
        self, sources: list[str], stream: TextIO | None = None, live: bool | None = None
    ) -> None:
        super().__init__()
        self.stream = stream or sys.stderr
        self.live_mode = self.stream.isatty() if live is None else live
        self.rows: dict[str, dict[str, Any] | None] = {s: None for s in sources}
        self.done: set[str] = set()
        self.started = time.monotonic()
        self.repeats = GroupRepeats()
        self.addFilter(self.repeats)
        self.threshold = logging.WARNING
        self.setFormatter(_Format())
        self._live: Any = None
        self._console: Any = None

    # --- lifecycle ------------------------------------------------------------------------------

    def begin(self, level: str = "WARNING") -> None:
        """Say at once what is starting, and take over the crawl's logging."""
        names = ", ".join(self.rows) if len(self.rows) <= 6 else f"{len(self.rows)} sources"
        self._write(
            f"{time.strftime(TIME_FORMAT)} crawling {names} (Ctrl-C stops cleanly)", live=False
        )
        root = logging.getLogger()
        root.addHandler(self)
        root.setLevel(logging.DEBUG)
        self.threshold = logging.getLevelName(level.upper())
        self.addFilter(lambda r: hasattr(r, "progress") or r.levelno >= self.threshold)
        progress = logging.getLogger(PROGRESS_LOGGER)
        progress.setLevel(logging.INFO)
        progress.propagate = False
        progress.addHandler(self)
        if self.live_mode:
            from rich.console import Console
            from rich.live import Live

            self._console = Console(file=self.stream, highlight=False, soft_wrap=True)
            self._live = Live(
                self._table(),
                console=self._console,
                refresh_per_second=4,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()

    def end(self) -> None:
        """Stop the live lines; say what repeated warnings were not shown."""
        if self._live is not None:
            self._live.stop()
            self._live = None
        logging.getLogger().removeHandler(self)
        logging.getLogger(PROGRESS_LOGGER).removeHandler(self)
        for template, hidden in self.repeats.folded():
            self._write(f"{time.strftime(TIME_FORMAT)} … {hidden} more warnings like: {template}")

    def say(self, message: str) -> None:
        """A line of the crawl's own (waiting for Elasticsearch, stopping, watchlist changes)."""
        self._write(f"{time.strftime(TIME_FORMAT)} {message}")

    # --- records ----------------------------------------------------------------------------------

    def emit(self, record: logging.LogRecord) -> None:
        try:
            row = getattr(record, "progress", None)
            if row is not None:
                final = bool(getattr(record, "final", False))
                self.rows[row["source"]] = row
                if final:
                    self.done.add(row["source"])
                if self.live_mode and not final:
                    self._refresh()
                    return
                if final:
                    self._refresh()
            self._write(self.format(record))
        except Exception:  # noqa: BLE001 - logging must never break the crawl
            self.handleError(record)

    def _write(self, line: str, live: bool = True) -> None:
        if live and self._console is not None:
            self._console.print(line, markup=False, highlight=False)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()

    def _refresh(self) -> None:
        if self._live is not None:
            self._live.update(self._table())

    def _table(self) -> Any:
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        elapsed = time.monotonic() - self.started
        for source, row in self.rows.items():
            if source in self.done:
                continue
            if row is None:
                table.add_row(source, "starting …")
                continue
            rate = row["pages"] / elapsed if elapsed > 0 else 0
            table.add_row(
                source,
                f"{row['pages']} pages ({rate:.1f}/s)",
                f"{row['indexed']} indexed",
                f"{row['unchanged']} unchanged",
                f"{row['skipped']} skipped",
                f"{row['errors']} errors",
            )
        return table
