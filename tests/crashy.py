"""Helpers that worker processes import by name (tests of the extraction pool)."""

import os
from pathlib import Path


def crash_once(marker: str) -> str:
    """Kill the worker process the first time, answer the second time."""
    path = Path(marker)
    if not path.exists():
        path.write_text("crashed")
        os._exit(1)
    return "survived"


def pid() -> int:
    return os.getpid()


def hog(megabytes: int) -> int:
    """Allocate (and touch) this much memory."""
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def deaf_sleep(seconds: float) -> str:
    """Sleep with the alarm signal blocked, as a parser stuck in C code would."""
    import signal
    import time

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(seconds)
    return "woke"


def crash_always() -> str:
    os._exit(1)
