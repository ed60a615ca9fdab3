"""`monitor models`: list, install (from the Argos package index or a file) and remove packages.

Installation is the only step that may touch the network. A package without a MiniSBD sentence
splitter of its own would make argostranslate download one at translate time, so installation
fetches it now and copies it into the package; where that cannot be done (no network), the
installation fails and says so, instead of leaving a package that needs the network later.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from monitor.errors import TranslationError
from monitor.translate.argos import InstalledPackage, installed_packages, load
from monitor.translate.config import TranslateConfig

# argostranslate language codes → MiniSBD model names (as argostranslate maps them)
MINISBD_NAMES = {"zh": "zh-hans", "zt": "zh-hant", "pb": "pt"}


def find(config: TranslateConfig, from_code: str, to_code: str) -> InstalledPackage | None:
    return next(
        (p for p in installed_packages(config) if (p.from_code, p.to_code) == (from_code, to_code)),
        None,
    )


def _offline_splitter(package: InstalledPackage, log) -> None:
    if package.offline_splitter:
        return
    from minisbd import models as minisbd_models

    name = MINISBD_NAMES.get(package.from_code, package.from_code)
    log(f"fetching the MiniSBD sentence splitter {name!r} so that translation works offline ...")
    try:
        model_file = Path(minisbd_models.get_model_file(name))
    except Exception as exc:
        raise TranslationError(
            f"{package.name} has no sentence splitter of its own and MiniSBD's {name!r} model "
            f"cannot be fetched now ({type(exc).__name__}: {exc}); without it translation would "
            f"download at run time. Install again with a network, or a package with minisbd/"
        ) from None
    (package.path / "minisbd").mkdir(exist_ok=True)
    shutil.copy(model_file, package.path / "minisbd" / model_file.name)


def install_file(config: TranslateConfig, path: Path, log=print) -> InstalledPackage:
    """Install a .argosmodel file and make sure it translates offline."""
    if not path.is_file():
        raise TranslationError(f"{path}: no such file")
    try:
        with zipfile.ZipFile(path) as archive:
            if not any(name.endswith("/metadata.json") for name in archive.namelist()):
                raise TranslationError(f"{path}: not an Argos package (no metadata.json inside)")
    except zipfile.BadZipFile:
        raise TranslationError(f"{path}: not an Argos package (not a zip archive)") from None
    before = {p.path for p in installed_packages(config)}
    load(config).install_from_path(path)
    added = [p for p in installed_packages(config) if p.path not in before]
    if not added:  # the same package was installed before: argostranslate replaced it in place
        added = [p for p in installed_packages(config) if path.stem.startswith(p.path.name)]
    package = added[0]
    try:
        _offline_splitter(package, log)
    except TranslationError:
        shutil.rmtree(package.path, ignore_errors=True)  # no half-installed package left behind
        raise
    return next(p for p in installed_packages(config) if p.path == package.path)


def install(config: TranslateConfig, from_code: str, to_code: str, log=print) -> InstalledPackage:
    """Download a package from the Argos package index (network) and install it."""
    package_module = load(config)
    log("updating the Argos package index ...")
    _check_index_reachable(log)
    try:
        package_module.update_package_index()
        available = package_module.get_available_packages()
    except Exception as exc:
        raise TranslationError(
            f"cannot read the Argos package index: {type(exc).__name__}: {exc}"
        ) from None
    match = [p for p in available if (p.from_code, p.to_code) == (from_code, to_code)]
    if not match:
        raise TranslationError(f"the Argos package index has no {from_code}→{to_code} package")
    log(f"downloading {match[0]} ...")
    try:
        downloaded = Path(match[0].download())
    except Exception as exc:
        raise TranslationError(f"download failed: {type(exc).__name__}: {exc}") from None
    return install_file(config, downloaded, log)


def _check_index_reachable(log, timeout: float = 15) -> None:
    """One quick request first: argostranslate retries an unreachable index without end (a
    thousand lines, then a RecursionError), so an offline machine is told so in one line."""
    import urllib.request

    from argostranslate import settings

    url = settings.remote_package_index
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read(1)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise TranslationError(
            f"cannot reach the Argos package index ({url}): {reason}. Without a network, "
            "install a package file: monitor models install-file PATH.argosmodel"
        ) from None


def remove(config: TranslateConfig, from_code: str, to_code: str) -> InstalledPackage:
    package = find(config, from_code, to_code)
    if package is None:
        raise TranslationError(f"no {from_code}→{to_code} package is installed")
    package_module = load(config)
    for candidate in package_module.get_installed_packages():
        if Path(candidate.package_path).resolve() == package.path.resolve():
            package_module.uninstall(candidate)
    return package
