"""Read a rule file's YAML with the line and column of every key, so each problem can name
its place. YAML 1.2 booleans only (``yes``/``no``/``ja`` stay text: they are map keys in
partner files), mapping keys kept as written (``01`` stays ``"01"``), duplicate keys refused."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from salesfmt.errors import RuleError

__all__ = ["Document", "read_yaml"]

Path_ = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans."""


_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


@dataclass
class Document:
    """A parsed rule file: its data and where every key/item sits (1-based line, column)."""

    path: Path
    data: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, location: Path_) -> str:
        """``file:line:col: a.b.c`` for the deepest known part of ``location``."""
        loc = tuple(location)
        while loc and loc not in self.marks:
            loc = loc[:-1]
        line, col = self.marks.get(loc, (1, 1))
        dotted = ".".join(str(p) for p in location) or "(top level)"
        return f"{self.path}:{line}:{col}: {dotted}"


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(node: yaml.Node, loader: _Loader, at: Path_, marks: dict[Path_, tuple[int, int]],
           path: Path) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else \
                loader.construct_object(key_node, deep=True)
            if key in out:
                line, col = _mark(key_node)
                raise RuleError(f"duplicate key {key!r}", where=f"{path}:{line}:{col}")
            marks[(*at, key)] = _mark(key_node)
            out[key] = _build(value_node, loader, (*at, key), marks, path)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            marks[(*at, i)] = _mark(item)
            items.append(_build(item, loader, (*at, i), marks, path))
        return items
    return loader.construct_object(node, deep=True)


def read_yaml(path: Path) -> Document:
    """Parse ``path``; RuleError with line and column for unreadable or invalid YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read rule file: {exc}", where=str(path)) from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        marks: dict[Path_, tuple[int, int]] = {}
        data = None if node is None else _build(node, loader, (), marks, path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise RuleError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
                        where=where) from None
    finally:
        loader.dispose()
    return Document(path, data, marks)
