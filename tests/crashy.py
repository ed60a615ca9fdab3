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
