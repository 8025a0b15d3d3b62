"""The package's shape: no import cycle between its top-level modules and subpackages
(readers, rules, checks, targets, report, cli, pipeline, ...), type-only imports aside."""

from __future__ import annotations

import ast
from pathlib import Path

import salesfmt

PACKAGE = Path(salesfmt.__file__).parent


def _unit(module: str) -> str:
    """The top-level part of the package a module belongs to ("salesfmt" for the root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Import statements, at any depth, except those under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def walk(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    walk(other)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append(child)
            walk(child)

    walk(tree)
    return found


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Top-level unit → the units it imports at run time (lazy imports in functions count)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        parts = ("salesfmt", *path.relative_to(root).with_suffix("").parts)
        package = parts[:-1]
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        edges = graph.setdefault(_unit(module), set())
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    base = ".".join([*package[:len(package) - node.level + 1], *filter(None, [base])])
                targets = [f"{base}.{a.name}" if base == "salesfmt" else base for a in node.names]
            for target in targets:
                if target.split(".")[0] == "salesfmt":
                    unit = _unit(target)
                    if unit == "salesfmt" or (root / unit).with_suffix(".py").exists() \
                            or (root / unit).is_dir():
                        edges.add(unit)
                    else:  # a name defined in salesfmt/__init__.py
                        edges.add("salesfmt")
    for unit, edges in graph.items():
        edges.discard(unit)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one unit (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_cycle_finder_sees_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "__init__.py").write_text("")
    (tmp_path / "rules" / "show.py").write_text(
        "def f():\n    from salesfmt.targets.spec import Target\n")
    (tmp_path / "targets").mkdir()
    (tmp_path / "targets" / "spec.py").write_text(
        "from typing import TYPE_CHECKING\nfrom salesfmt.rules import show\n"
        "if TYPE_CHECKING:\n    from salesfmt.report import x\n")
    (tmp_path / "report.py").write_text("from salesfmt.targets import spec\n")
    assert cycles(import_graph(tmp_path)) == [["rules", "targets"]]


def test_no_import_cycle_between_subpackages() -> None:
    graph = import_graph()
    assert {"rules", "targets", "report", "readers", "checks", "cli"} <= set(graph)
    assert cycles(graph) == []


def test_frame_column_names_are_a_leaf() -> None:
    assert import_graph()["columns"] == set()
