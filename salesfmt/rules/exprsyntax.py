"""The expression language's syntax side: parse with Python's ``ast`` in ``eval`` mode,
accept a whitelist of node types and functions, and refuse what cannot be held (number
literals beyond Int64 / Decimal(38, 6), nesting beyond :data:`MAX_DEPTH`) with the
character it is at. Compiling (and kinds) is :mod:`salesfmt.rules.expr`'s."""

from __future__ import annotations

import ast
import math

import polars as pl

from salesfmt.canonical import DECIMAL_SCALE

__all__ = ["ExprError", "FUNCTIONS", "MAX_DEPTH", "field_refs", "parse_tree", "regex_problem",
           "col_of"]

#: Deepest nesting an expression may have (``a + b + c`` nests one level per ``+``).
MAX_DEPTH = 100
_INT_LIMIT = 2 ** 63  # integers are Int64
_DEC_LIMIT = 10 ** (38 - DECIMAL_SCALE)  # decimals are Decimal(38, 6)

#: Functions an expression may call, with (min, max) argument counts.
FUNCTIONS: dict[str, tuple[int, int]] = {
    "abs": (1, 1), "round": (1, 2), "min": (2, 9), "max": (2, 9), "coalesce": (2, 9),
    "is_empty": (1, 1), "column": (1, 1), "lower": (1, 1), "upper": (1, 1),
    "matches": (2, 2), "text": (1, 1),
}

_ALLOWED = (ast.Expression, ast.Name, ast.Load, ast.Constant, ast.BinOp, ast.UnaryOp,
            ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.Tuple, ast.List,
            ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd, ast.Not, ast.And, ast.Or,
            ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)


class ExprError(ValueError):
    """An expression is not valid; ``col`` is the 1-based character position."""

    def __init__(self, message: str, col: int | None = None) -> None:
        self.col = col
        super().__init__(f"{message} (at character {col})" if col else message)



def _parse(text: str) -> ast.Expression:
    """``text`` parsed; node positions count from ``text`` as written (leading blanks)."""
    lead = len(text) - len(text.lstrip())
    lead = 0 if "\n" in text[:lead] else lead
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise ExprError(f"syntax error in expression {shown!r}: {exc.msg}",
                        exc.offset and exc.offset + lead) from None
    except (RecursionError, MemoryError):
        raise ExprError(f"expression nested deeper than {MAX_DEPTH} levels") from None
    if lead or not text.isascii():
        lines = text.strip().splitlines()

        def chars(line: int, offset: int) -> int:  # ast counts UTF-8 bytes; we count characters
            return len(lines[line - 1].encode()[:offset].decode(errors="ignore")) + (
                lead if line == 1 else 0)

        for node in ast.walk(tree):
            if isinstance(node, ast.expr):
                node.col_offset = chars(node.lineno, node.col_offset)
                if node.end_lineno is not None and node.end_col_offset is not None:
                    node.end_col_offset = chars(node.end_lineno, node.end_col_offset)
    return tree


def _depth_check(tree: ast.Expression) -> None:
    """Refuse nesting beyond MAX_DEPTH (walked with a stack: no recursion)."""
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExprError(f"expression nested deeper than {MAX_DEPTH} levels; split it into "
                            "several fields", col_of(node))
        stack += [(child, depth + 1) for child in ast.iter_child_nodes(node)]


def col_of(node: ast.AST) -> int | None:
    """A node's 1-based character position (None when it has none)."""
    return getattr(node, "col_offset", -1) + 1 or None


def _literal_problem(node: ast.Constant, text: str) -> str | None:
    """Why a number literal cannot be held (Int64 integers, Decimal(38, 6) decimals)."""
    v = node.value
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    if isinstance(v, int) and -_INT_LIMIT < v < _INT_LIMIT:
        return None
    if isinstance(v, float) and math.isfinite(v) and abs(v) < _DEC_LIMIT:
        return None
    shown = ast.get_source_segment(text, node) or repr(v)
    shown = shown if len(shown) <= 30 else shown[:27] + "..."
    limit = "whole numbers up to 9223372036854775807" if isinstance(v, int) \
        else f"decimals below 1e{38 - DECIMAL_SCALE}"
    return f"number {shown} is too large ({limit})"


def parse_tree(text: str) -> ast.Expression:
    """``text`` parsed and checked: whitelisted syntax, known functions, literals that fit."""
    tree = _parse(text)
    _depth_check(tree)
    for node in ast.walk(tree):
        col = col_of(node)
        if not isinstance(node, _ALLOWED):
            raise ExprError(f"{type(node).__name__} is not allowed in expressions", col)
        if isinstance(node, ast.Constant) and (problem := _literal_problem(node, text)):
            raise ExprError(problem, col)
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name not in FUNCTIONS or node.keywords:
                raise ExprError(f"unknown function; known: {', '.join(FUNCTIONS)}", col)
            low, high = FUNCTIONS[name]
            if not low <= len(node.args) <= high:
                raise ExprError(f"{name}() takes {low}..{high} arguments", col)
            if name == "column" and not _is_const(node.args[0], str):
                raise ExprError("column() takes a quoted header text", col)
            if name == "round" and len(node.args) > 1 and not _is_const(node.args[1], int):
                raise ExprError("round() takes a whole number of places: round(x, 2)", col)
            if name == "matches":
                if not _is_const(node.args[1], str):
                    raise ExprError("matches() takes a quoted pattern", col)
                problem = regex_problem(node.args[1].value)  # type: ignore[attr-defined]
                if problem:
                    raise ExprError(f"bad pattern in matches(): {problem}", col)
    return tree


def _is_const(node: ast.AST, kind: type) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, kind) \
        and not isinstance(node.value, bool)


def regex_problem(pattern: str) -> str | None:
    """Why polars' regex engine refuses ``pattern`` (one line), or None when it is fine."""
    try:
        pl.select(pl.lit("").str.contains(pattern))
    except pl.exceptions.PolarsError as exc:
        return " ".join(str(exc).split())[:200]
    return None


def field_refs(text: str) -> set[str]:
    """Canonical field names an expression reads (not function names)."""
    tree = parse_tree(text)
    funcs = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in funcs}


