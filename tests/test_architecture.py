"""The package chain of src/papersift is one-way (docs/DECISIONS.md D19, ../shared/DESIGN.md).

The graph is computed from the source (every `import` / `from ... import`, including those
inside functions and under TYPE_CHECKING), one node per top-level package or module.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "papersift"
SURFACES = {"web", "cli", "demo", "__main__"}  # may import anything below them


def _node(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _module(path: Path) -> list[str]:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported(path: Path) -> set[str]:
    """Top-level papersift nodes that one file imports."""
    here = _module(path)
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                names.append(".".join(base + ([node.module] if node.module else [])))
            else:
                names.append(node.module or "")
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        for name in names:
            parts = name.split(".")
            if parts[0] == "papersift" and len(parts) > 1:
                found.add(parts[1])
    return found


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in SRC.rglob("*.py"):
        source = _node(path)
        graph[source] |= {target for target in _imported(path) if target != source}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_package_imports_form_no_cycle() -> None:
    graph = import_graph()
    assert {"index", "search", "query", "encoder", "web", "cli"} <= set(graph), "the graph missed packages"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle between packages: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("node", ["context"])
def test_only_surfaces_import_the_composition_root(node: str) -> None:
    importers = sorted(src for src, targets in import_graph().items() if node in targets and src not in SURFACES)
    assert importers == [], f"services must declare what they need as Protocols, not import {node}: {importers}"


def test_the_bottom_layer_imports_nothing_of_ours() -> None:
    graph = import_graph()
    for base in ("paper", "config", "fsutil", "urls"):
        assert graph.get(base, set()) == set(), f"{base} must stay at the bottom of the chain: {graph[base]}"
