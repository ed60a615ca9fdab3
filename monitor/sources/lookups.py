"""Identifiers looked up through an exchange's own search (CNINFO's orgId, HKEXnews's stockId),
kept in `$MONITOR_HOME/lookups.json` for LOOKUP_TTL so that a crawl asks once a month, not every
run. A pure store: the spider does the asking (spiders/api.py)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

LOOKUP_TTL = 30 * 86400  # seconds a looked-up identifier is trusted


class LookupCache:
    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def of(cls, settings: Any) -> LookupCache:
        """MONITOR_LOOKUPS_FILE (setting or environment), else `$MONITOR_HOME/lookups.json`."""
        configured = settings.get("MONITOR_LOOKUPS_FILE") or os.environ.get("MONITOR_LOOKUPS_FILE")
        if configured:
            return cls(Path(configured))
        from monitor.es.config import EsConfig

        return cls(Path(EsConfig.from_env(settings).home) / "lookups.json")

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str, now: float | None = None) -> str | None:
        entry = self._read().get(key)
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), str):
            return None
        if (now or time.time()) - float(entry.get("at") or 0) > LOOKUP_TTL:
            return None
        return entry["value"]

    def put(self, key: str, value: str, now: float | None = None) -> None:
        data = self._read()
        data[key] = {"value": value, "at": now or time.time()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(partial, self.path)
