"""The import structure: no cycles between packages, none between modules outside the command
line's own package, and no import from a lower layer into a higher one. Read from the source
(every import, function-level ones included), not from what happens to be loaded."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast  # no Elasticsearch, Redis or browser

ROOT = Path(__file__).resolve().parents[1]
TOP = ("monitor", "spiders", "pipelines")
# lower layers first; a module may import its own layer and the ones below it
LAYERS = [
    {"monitor.text", "monitor.errors", "monitor.coerce", "monitor.es", "monitor.search",
     "monitor.translate", "monitor.notify", "monitor.sources", "monitor.settings",
     "monitor.registry", "monitor"},
    {"monitor.crawl", "monitor.alerts", "monitor.distributed", "monitor.schedule",
     "monitor.kibana", "monitor.demo", "monitor.command", "monitor.feeds"},
    {"spiders", "pipelines"},
    {"monitor.cli", "monitor.__main__"},
]  # fmt: skip


def modules() -> dict[str, Path]:
    found = {}
    for top in TOP:
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules `name` imports. `from package import submodule` is an import of the
    submodule, not of the package's __init__."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    wanted = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            wanted.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            subs = [f"{base}.{alias.name}" for alias in node.names]
            found_subs = [s for s in subs if s in known]
            wanted.update(found_subs)
            if len(found_subs) < len(subs):
                wanted.add(base)
    result = set()
    for target in wanted:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            result.add(target)
    return result


def package(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "monitor" and len(parts) > 1 else parts[0]


def layer(name: str) -> int:
    pkg = package(name)
    return next(i for i, members in enumerate(LAYERS) if pkg in members)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_every_package_has_a_layer(graph):
    assert all(layer(name) is not None for name in graph)


def test_no_import_reaches_up_a_layer(graph):
    upward = sorted(
        f"{name} -> {target}"
        for name, targets in graph.items()
        for target in targets
        if layer(target) > layer(name)
    )
    assert upward == []


def test_no_cycles_between_packages(graph):
    packages: dict[str, set[str]] = {}
    for name, targets in graph.items():
        packages.setdefault(package(name), set()).update(
            package(t) for t in targets if package(t) != package(name)
        )
    assert cycles(packages) == []


def test_no_cycles_between_modules_but_the_command_line(graph):
    # monitor.cli runs itself: the fork server's child (monitor.cli.forked) runs `monitor ARGS`
    inner = [c for c in cycles(graph) if not all(m.startswith("monitor.cli") for m in c)]
    assert inner == []
