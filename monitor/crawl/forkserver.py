"""Crawl processes forked from a server that imported the crawl's code once.

A crawl still runs in a process of its own (the Twisted reactor cannot restart within a process),
but starting `python -m monitor crawl` spends about 0.7 CPU-seconds importing Scrapy, Twisted,
the Elasticsearch client and our code before it fetches anything: most of what a scheduled run
that finds nothing new costs (bench/schedule_idle.py). The long-lived scheduler therefore starts
crawls from the standard library's fork server (`multiprocessing`'s "forkserver" context): one
clean, single-threaded process, started once, that imports the crawl's modules (`preload`) and
forks a child for each crawl. The child runs `monitor crawl ARGS` as the command line would: it
installs its own reactor (the fork server imports no reactor), opens its own connections, and
exits; its standard output goes to a file the launcher reads.

What the child runs, and what the server imports, are given by the command line that uses it
(`use_command`, from monitor.cli.forked): this package sits below the CLI and never imports it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

# The process's fork server, as multiprocessing has one per process: the modules it imports
# (each runs `preload()`) and the child's entry point, `run(args, out_path)`, a module-level
# function (the child receives it by reference). Set once by use_command.
_PRELOAD: list[str] = []
_RUN: Callable[[list[str], str], None] | None = None


def use_command(run: Callable[[list[str], str], None], preload: list[str]) -> None:
    """The child's entry point and the server's preloaded modules, for the whole process."""
    global _RUN, _PRELOAD
    _RUN, _PRELOAD = run, list(preload)


_COMPONENT_SETTINGS = (  # the settings that name the classes a crawl loads by their dotted path
    "DOWNLOAD_HANDLERS_BASE",
    "DOWNLOAD_HANDLERS",
    "DOWNLOADER_MIDDLEWARES_BASE",
    "DOWNLOADER_MIDDLEWARES",
    "SPIDER_MIDDLEWARES_BASE",
    "SPIDER_MIDDLEWARES",
    "EXTENSIONS_BASE",
    "EXTENSIONS",
    "ITEM_PIPELINES_BASE",
    "ITEM_PIPELINES",
)
_CLASS_SETTINGS = (
    "DUPEFILTER_CLASS",
    "SCHEDULER",
    "SCHEDULER_PRIORITY_QUEUE",
    "SCHEDULER_DISK_QUEUE",
    "SCHEDULER_MEMORY_QUEUE",
    "STATS_CLASS",
    "SPIDER_LOADER_CLASS",
    "DOWNLOADER",
    "DOWNLOADER_HTTPCLIENTFACTORY",
    "DOWNLOADER_CLIENTCONTEXTFACTORY",
    "REQUEST_FINGERPRINTER_CLASS",
    "LOG_FORMATTER",
)


def preload() -> None:
    """Import what `monitor crawl` imports, without installing a reactor or starting a thread
    (a fork copies only the thread that forks)."""
    from scrapy.utils.misc import load_object, walk_modules_iter

    import monitor.crawl.console  # noqa: F401
    import monitor.crawl.run  # noqa: F401
    import monitor.translate.sidecar  # noqa: F401
    from monitor.crawl.options import project_settings

    settings = project_settings()
    for name in _COMPONENT_SETTINGS:
        for key, value in settings.getdict(name).items():  # path: order, or scheme: path
            for path in (key, value):
                if isinstance(path, str) and "." in path:
                    _load(load_object, path)
    for name in _CLASS_SETTINGS:
        if isinstance(settings.get(name), str):
            _load(load_object, settings[name])
    for module in settings.getlist("SPIDER_MODULES"):
        for _ in walk_modules_iter(module):
            pass


def _load(load_object, path: str) -> None:
    with contextlib.suppress(ImportError, NameError, AttributeError, ValueError):
        load_object(path)  # an optional component that is missing: the crawl itself says so


def _nothing() -> None:
    """The child ForkServer.warm forks (a module-level function: the server gets it by name)."""


def redirect_stdout(out: str) -> None:
    """The child's standard output into the file the launcher reads."""
    descriptor = os.open(out, os.O_WRONLY | os.O_TRUNC)
    sys.stdout.flush()
    os.dup2(descriptor, 1)
    os.close(descriptor)


class ForkedCrawl:
    """One `monitor crawl` forked from the server: `wait()` → (exit code, standard output);
    a negative code is the signal that ended it, as with subprocess."""

    def __init__(self, context: multiprocessing.context.BaseContext, args: Sequence[str]):
        handle, self._out = tempfile.mkstemp(prefix="monitor-crawl-", suffix=".out")
        os.close(handle)
        self._process = context.Process(target=_RUN, args=(list(args), self._out), daemon=False)
        self._process.start()
        self.pid = self._process.pid

    def join(self, timeout: float | None = None) -> bool:
        """Whether the crawl has ended (waiting at most `timeout` seconds)."""
        self._process.join(timeout)
        return self._process.exitcode is not None

    def wait(self) -> tuple[int, str]:
        self._process.join()
        try:
            return self._process.exitcode or 0, Path(self._out).read_text(errors="replace")
        finally:
            Path(self._out).unlink(missing_ok=True)

    def send_signal(self, signum: int) -> None:
        if self._process.pid and self._process.exitcode is None:
            with contextlib.suppress(ProcessLookupError):  # it has just exited
                os.kill(self._process.pid, signum)


class ForkServer:
    """Starts crawls as children of the fork server (started with the first crawl)."""

    def __init__(self) -> None:
        if _RUN is None:
            raise RuntimeError("no command for the fork server: call use_command first "
                               "(monitor.cli.forked.fork_server does)")  # fmt: skip
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)

    def start(self, args: Sequence[str]) -> ForkedCrawl:
        return ForkedCrawl(self._context, args)

    def warm(self) -> None:
        """Start the server now and wait for its imports (about a CPU-second, several seconds on
        a loaded machine), not with the first crawl: a child that does nothing is forked once
        they are done. A worker that holds a lease while the first crawl starts would otherwise
        wait out the imports without renewing it."""
        child = self._context.Process(target=_nothing, daemon=False)
        child.start()
        child.join()
