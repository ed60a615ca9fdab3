"""argostranslate's environment: set up before its first import, and nowhere else.

argostranslate reads its directories and options once, when `argostranslate.settings` is first
imported: data (packages, MiniSBD models), config (settings.json), cache (downloads), device,
threads, sentence splitting. `load()` points them all under `TranslateConfig.argos_home` (by default
`$MONITOR_HOME/argos`, so a user's ~/.local is never touched), forces the MiniSBD splitter (Stanza
would download its resources at translate time), imports argostranslate, and restores the process's
XDG variables. A second configuration with other directories in the same process is an error.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from monitor.errors import TranslationError
from monitor.translate.config import TranslateConfig

_XDG = {"XDG_DATA_HOME": "data", "XDG_CONFIG_HOME": "config", "XDG_CACHE_HOME": "cache"}


def packages_dir(config: TranslateConfig) -> Path:
    return config.argos_home / "data" / "argos-translate" / "packages"


@dataclass(frozen=True)
class InstalledPackage:
    from_code: str
    to_code: str
    version: str
    path: Path
    offline_splitter: bool  # a MiniSBD model ships inside the package

    @property
    def name(self) -> str:
        return f"argos-{self.from_code}-{self.to_code}-{self.version}"


def installed_packages(config: TranslateConfig) -> list[InstalledPackage]:
    """The installed translation packages, read from their metadata.json files.

    Cheap on purpose: it does not import argostranslate (ctranslate2, sentencepiece), so `monitor
    crawl` and `monitor status` can ask whether a model exists without paying for one.
    """
    found = []
    root = packages_dir(config)
    for meta in sorted(root.glob("*/metadata.json")) if root.is_dir() else []:
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("type", "translate") != "translate":
            continue
        package = meta.parent
        found.append(
            InstalledPackage(
                data["from_code"],
                data["to_code"],
                str(data.get("package_version", "?")),
                package,
                any((package / "minisbd").glob("*.onnx")),
            )
        )
    return found


def load(config: TranslateConfig) -> ModuleType:
    """Import argostranslate configured for news-monitor; returns `argostranslate.package`."""
    wanted = (config.argos_home / "data" / "argos-translate").resolve()
    settings = sys.modules.get("argostranslate.settings")
    if settings is not None:
        if Path(settings.data_dir).resolve() != wanted:
            raise TranslationError(
                f"argostranslate was imported before news-monitor configured it (its data is in "
                f"{settings.data_dir}, not {wanted}); import monitor.translate first"
            )
    else:
        saved = {name: os.environ.get(name) for name in _XDG}
        for name, sub in _XDG.items():
            os.environ[name] = str(config.argos_home / sub)
        os.environ["ARGOS_CHUNK_TYPE"] = "MINISBD"
        os.environ["ARGOS_DEVICE_TYPE"] = config.device
        os.environ["ARGOS_INTRA_THREADS"] = str(config.threads)
        os.environ["ARGOS_PACKAGES_DIR"] = str(packages_dir(config))
        try:
            import argostranslate.package  # noqa: F401  (reads the settings now)
            import argostranslate.translate  # noqa: F401
        except ImportError as exc:
            raise TranslationError(f"argostranslate cannot be imported: {exc}") from exc
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    import argostranslate.package

    return argostranslate.package
