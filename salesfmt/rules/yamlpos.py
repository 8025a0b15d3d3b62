"""Read a rule file's YAML with the line and column of every key, so each problem can name
its place. YAML 1.2 booleans only (``yes``/``no``/``ja`` stay text: they are map keys in
partner files), mapping keys kept as written (``01`` stays ``"01"``), duplicate keys refused.
Nesting depth and alias expansion are bounded before anything is built (an alias bomb is
refused in milliseconds), and a YAML error names its place, never the file's text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from salesfmt.errors import RuleError

__all__ = ["Document", "read_yaml", "MAX_DEPTH", "MAX_NODES"]

#: Deepest nesting of mappings and lists a rule file may have (real ones use 4 or 5).
MAX_DEPTH = 50
#: Most values (scalars, mappings, lists) a rule file may hold once its aliases are
#: expanded: each ``*alias`` counts every value of what it names.
MAX_NODES = 200_000

Path_ = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans."""


_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"  # YAML 1.2 has none: 2026-01-01 stays text
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _TIMESTAMP)]
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
    #: plain (unquoted) scalars directly followed by `` #`` on their line, which YAML reads
    #: as the start of a comment: place → the line's text from the scalar on
    commented: dict[Path_, str] = field(default_factory=dict)

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


def _commented(node: yaml.ScalarNode) -> str | None:
    """The line's text from a plain scalar on, when `` #`` follows it directly."""
    start, end = node.start_mark, node.end_mark
    buffer = end.buffer
    if node.style is not None or not buffer or buffer[end.index:end.index + 2] != " #":
        return None
    stop = buffer.find("\n", end.index)
    return buffer[start.index:stop if stop >= 0 else None].rstrip("\r\n\0 ")


def _build(node: yaml.Node, loader: _Loader, at: Path_, marks: dict[Path_, tuple[int, int]],
           path: Path, commented: dict[Path_, str]) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                line, col = _mark(key_node)
                raise RuleError("a key must be a text, not a list or mapping",
                                where=f"{path}:{line}:{col}")
            key = key_node.value
            if key in out:
                line, col = _mark(key_node)
                raise RuleError(f"duplicate key {key!r}", where=f"{path}:{line}:{col}")
            marks[(*at, key)] = _mark(key_node)
            out[key] = _build(value_node, loader, (*at, key), marks, path, commented)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            marks[(*at, i)] = _mark(item)
            items.append(_build(item, loader, (*at, i), marks, path, commented))
        return items
    if isinstance(node, yaml.ScalarNode) and (line := _commented(node)) is not None:
        commented[at] = line
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:  # !!timestamp 2026-13-45
        line, col = _mark(node)
        raise RuleError(f"not a valid {node.tag.rsplit(':', 1)[-1]} value ({type(exc).__name__})",
                        where=f"{path}:{line}:{col}") from None


def _bound(text: str, path: Path) -> None:
    """Refuse nesting deeper than MAX_DEPTH and more than MAX_NODES values after alias
    expansion, from the event stream (no recursion, nothing built or copied)."""
    sizes: dict[str, int] = {}  # anchor → values it stands for
    stack: list[list[Any]] = [[0, None]]  # [values so far, anchor] per open collection
    total = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) > MAX_DEPTH:
                line, col = _mark(event)
                raise RuleError(f"nested deeper than {MAX_DEPTH} levels",
                                where=f"{path}:{line}:{col}")
            stack.append([1, event.anchor])
            size = 1
        elif isinstance(event, yaml.CollectionEndEvent):
            size, anchor = stack.pop()
            if anchor is not None:
                sizes[anchor] = size
            stack[-1][0] += size
            continue
        elif isinstance(event, yaml.AliasEvent) and any(a == event.anchor for _, a in stack):
            line, col = _mark(event)
            raise RuleError("an alias inside what it names (endless)",
                            where=f"{path}:{line}:{col}")
        elif isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
            size = 1 if isinstance(event, yaml.ScalarEvent) else sizes.get(event.anchor, 1)
            if isinstance(event, yaml.ScalarEvent) and event.anchor is not None:
                sizes[event.anchor] = 1
            stack[-1][0] += size
        else:
            continue
        total += size
        if total > MAX_NODES:
            line, col = _mark(event)
            raise RuleError(f"holds more than {MAX_NODES:,} values once its aliases are "
                            "expanded (each *alias copies what it names)",
                            where=f"{path}:{line}:{col}")


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_KEEP = re.compile(r"'(<[a-z ]+>|[^\w\s']{1,3})'")  # token names ('<scalar>'), punctuation


def _problem(exc: yaml.YAMLError) -> str:
    """What is wrong, without quoting the file's text (it may not be a rule file at all)."""
    if isinstance(exc, yaml.reader.ReaderError):
        return f"unacceptable character #x{exc.character:04x}" \
            if isinstance(exc.character, int) else "cannot decode the file"
    problem = getattr(exc, "problem", None) or type(exc).__name__
    return _QUOTED.sub(lambda m: m.group() if _KEEP.fullmatch(m.group()) else "…", problem)


def _where(exc: yaml.YAMLError, text: str, path: Path) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"{path}:{mark.line + 1}:{mark.column + 1}"
    position = getattr(exc, "position", None)
    if isinstance(position, int):
        before = text[:position]
        return f"{path}:{before.count(chr(10)) + 1}:{position - before.rfind(chr(10))}"
    return str(path)


def read_yaml(path: Path) -> Document:
    """Parse ``path``; RuleError with line and column for unreadable or invalid YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read rule file: {exc}", where=str(path)) from None
    marks: dict[Path_, tuple[int, int]] = {}
    commented: dict[Path_, str] = {}
    loader = None
    try:
        _bound(text, path)
        loader = _Loader(text)
        node = loader.get_single_node()
        data = None if node is None else _build(node, loader, (), marks, path, commented)
    except yaml.YAMLError as exc:
        raise RuleError(f"invalid YAML: {_problem(exc)}", where=_where(exc, text, path)) \
            from None
    except RecursionError:  # bounded above; a last line of defence
        raise RuleError("nested too deeply", where=str(path)) from None
    finally:
        if loader is not None:
            loader.dispose()
    return Document(path, data, marks, commented)
