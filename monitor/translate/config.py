"""How documents are translated (argostranslate): MONITOR_TRANSLATE_* variables, validated once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.coerce import number
from monitor.errors import ConfigError
from monitor.es.config import EsConfig


@dataclass(frozen=True)
class TranslateConfig:
    """How documents are translated (argostranslate); read from MONITOR_TRANSLATE_* variables."""

    argos_home: Path = Path("var/argos")  # argostranslate's data, config and cache directories
    device: str = "cpu"  # cpu | cuda
    threads: int = 0  # CTranslate2 threads per translation (0: all cores)
    beam_size: int = 4
    batch_tokens: int = 4096  # tokens per CTranslate2 batch
    docs_per_batch: int = 16  # documents claimed and translated together
    max_chars: int = 100_000  # per document; longer text is translated up to here and flagged
    cache_sentences: int = 20_000  # translated sentences remembered (boilerplate, reprints)
    lease_seconds: int = 600  # a claimed document is re-claimable after this (a killed worker)
    max_attempts: int = 3  # failed attempts before a document is `failed` (retried with backoff)

    ENV = {
        "argos_home": "MONITOR_ARGOS_HOME",
        "device": "MONITOR_TRANSLATE_DEVICE",
        "threads": "MONITOR_TRANSLATE_THREADS",
        "beam_size": "MONITOR_TRANSLATE_BEAM",
        "batch_tokens": "MONITOR_TRANSLATE_BATCH_TOKENS",
        "docs_per_batch": "MONITOR_TRANSLATE_DOCS",
        "max_chars": "MONITOR_TRANSLATE_MAX_CHARS",
        "cache_sentences": "MONITOR_TRANSLATE_CACHE",
        "lease_seconds": "MONITOR_TRANSLATE_LEASE",
        "max_attempts": "MONITOR_TRANSLATE_ATTEMPTS",
    }
    MINIMUM = {
        "threads": 0,
        "beam_size": 1,
        "batch_tokens": 16,
        "docs_per_batch": 1,
        "max_chars": 100,
        "cache_sentences": 0,
        "lease_seconds": 5,
        "max_attempts": 1,
    }

    @classmethod
    def from_env(cls, *sources: Mapping[str, Any]) -> TranslateConfig:
        values: dict[str, Any] = {}
        home = EsConfig.from_env(*sources).home
        values["argos_home"] = home / "argos"
        for attr, name in cls.ENV.items():
            raw = next(
                (m.get(name) for m in (*sources, os.environ) if m.get(name) not in (None, "")), None
            )
            if raw is None:
                continue
            if attr == "argos_home":
                values[attr] = Path(raw)
            elif attr == "device":
                if raw not in ("cpu", "cuda"):
                    raise ConfigError(f"{name}: expected cpu or cuda, got {raw!r}")
                values[attr] = raw
            else:
                try:
                    values[attr] = number(raw, int, minimum=cls.MINIMUM[attr])
                except ValueError as exc:
                    raise ConfigError(f"{name}: {exc}") from None
        return cls(**values)
