"""The rule files' small expression language, compiled to polars expressions (never ``eval``).

Parsed with Python's ``ast`` in ``eval`` mode; only a whitelist of node types is accepted:
field names, literals, ``+ - * /``, comparisons (``== != < <= > >= in``), ``and or not``,
``a if cond else b`` and a few functions (:data:`FUNCTIONS`). Names are canonical fields;
``column('Header')`` reads a partner column's text. Decimal literals stay decimal.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from salesfmt.canonical import DECIMAL_SCALE, FIELDS, Kind, polars_type

__all__ = ["ExprError", "Typed", "FUNCTIONS", "check_expr", "compile_expr", "field_refs",
           "regex_problem", "to_text", "date_text"]

_DEC = pl.Decimal(38, DECIMAL_SCALE)

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


@dataclass(frozen=True)
class Typed:
    """A compiled sub-expression and its kind (None for a null literal)."""

    expr: pl.Expr
    kind: Kind | None


def _tree(text: str) -> ast.Expression:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"syntax error in expression {text!r}: {exc.msg}", exc.offset) from None
    for node in ast.walk(tree):
        col = getattr(node, "col_offset", -1) + 1 or None
        if not isinstance(node, _ALLOWED):
            raise ExprError(f"{type(node).__name__} is not allowed in expressions", col)
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
    tree = _tree(text)
    funcs = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in funcs}


def check_expr(text: str) -> set[str]:
    """Validate ``text``; returns its field references. Raises ExprError."""
    refs = field_refs(text)
    constants = {"true", "false", "null", "True", "False", "None"}
    unknown = sorted(refs - set(FIELDS) - constants)
    if unknown:
        raise ExprError(f"unknown field {unknown[0]!r} (see 'salesfmt fields')")
    return refs - constants


def _calendar(days: pl.Series, fmt: str) -> pl.Series:
    """``days.dt.strftime(fmt)`` by looking each day up in its span's calendar: a file's
    dates fall on few days, and formatting one per row costs eight times a lookup."""
    number = days.cast(pl.Int32)
    first, last = number.min(), number.max()
    if first is None or last - first >= len(days):  # type: ignore[operator]
        return days.dt.strftime(fmt)
    # built from day numbers: a Python date stops at year 9999, polars dates do not
    calendar = pl.int_range(first, last + 1, dtype=pl.Int32, eager=True).cast(pl.Date)
    return calendar.dt.strftime(fmt).gather(number - first).alias(days.name)


def date_text(expr: pl.Expr, fmt: str = "%Y-%m-%d") -> pl.Expr:
    """A date expression as text in ``fmt``, the same as ``dt.strftime`` (one call a batch)."""
    return expr.cast(pl.Date).map_batches(lambda s: _calendar(s, fmt), return_dtype=pl.String,
                                          is_elementwise=False)


def to_text(expr: pl.Expr, kind: Kind | None) -> pl.Expr:
    """A canonical value as text (templates, messages): plain decimals, ISO dates."""
    if kind is Kind.DECIMAL:
        text = expr.cast(pl.String)  # "12.500000": drop trailing zeros (no regex: fast)
        return pl.when(text.str.contains(".", literal=True)).then(
            text.str.strip_chars_end("0").str.strip_suffix(".")).otherwise(text)
    if kind is Kind.DATE:
        return date_text(expr)
    if kind is Kind.DATETIME:
        return expr.dt.strftime("%Y-%m-%dT%H:%M:%S")
    if kind is Kind.BOOLEAN:
        return pl.when(expr).then(pl.lit("true")).when(~expr).then(pl.lit("false"))
    return expr.cast(pl.String)


def _text(t: Typed) -> pl.Expr:
    return to_text(t.expr, t.kind)


def _num(t: Typed) -> pl.Expr:
    return t.expr.cast(_DEC) if t.kind is Kind.INTEGER else t.expr


def _unify(a: Typed, b: Typed) -> tuple[pl.Expr, pl.Expr]:
    """Make two operands comparable: ints with decimals, ISO literals with dates."""
    kinds = {a.kind, b.kind}
    if kinds == {Kind.INTEGER, Kind.DECIMAL}:
        return _num(a), _num(b)
    for this, other in ((a, b), (b, a)):
        if other.kind in (Kind.DATE, Kind.DATETIME) and this.kind is Kind.TEXT:
            parsed = (this.expr.str.to_date("%Y-%m-%d", strict=False) if other.kind is Kind.DATE
                      else this.expr.str.to_datetime(strict=False, time_unit="us"))
            return (parsed, other.expr) if this is a else (other.expr, parsed)
    return a.expr, b.expr


class _Compiler:
    def __init__(self, resolve: Callable[[str], Typed], column: Callable[[str], pl.Expr]):
        self.resolve = resolve
        self.column = column

    def __call__(self, node: ast.AST) -> Typed:
        method = getattr(self, f"_{type(node).__name__}")
        return method(node)

    def _Expression(self, node: ast.Expression) -> Typed:
        return self(node.body)

    def _Name(self, node: ast.Name) -> Typed:
        consts = {"true": True, "True": True, "false": False, "False": False}
        if node.id in consts:
            return Typed(pl.lit(consts[node.id]), Kind.BOOLEAN)
        if node.id in ("null", "None"):
            return Typed(pl.lit(None), None)
        return self.resolve(node.id)

    def _Constant(self, node: ast.Constant) -> Typed:
        v = node.value
        if isinstance(v, bool):
            return Typed(pl.lit(v), Kind.BOOLEAN)
        if isinstance(v, int):
            return Typed(pl.lit(v, dtype=pl.Int64), Kind.INTEGER)
        if isinstance(v, float):
            return Typed(pl.lit(Decimal(repr(v)), dtype=_DEC), Kind.DECIMAL)
        if isinstance(v, str):
            return Typed(pl.lit(v, dtype=pl.String), Kind.TEXT)
        if v is None:
            return Typed(pl.lit(None), None)
        raise ExprError(f"literal {v!r} is not allowed", node.col_offset + 1)

    def _seq(self, node: ast.Tuple | ast.List, kind: Kind | None) -> pl.Series:
        values = []
        for elt in node.elts:
            sign = 1
            if isinstance(elt, ast.UnaryOp) and isinstance(elt.op, ast.USub | ast.UAdd):
                sign, elt = (-1 if isinstance(elt.op, ast.USub) else 1), elt.operand
            if not isinstance(elt, ast.Constant) or (sign == -1 and isinstance(elt.value, str)):
                raise ExprError("lists after 'in' hold literals only", elt.col_offset + 1)
            value = elt.value if sign == 1 else -elt.value
            if kind is Kind.DECIMAL and isinstance(value, int | float):
                value = Decimal(repr(value))
            values.append(value)
        dtype = polars_type(kind) if kind is not None else None
        try:
            return pl.Series(values, dtype=dtype, strict=False)
        except (TypeError, pl.exceptions.PolarsError):
            raise ExprError("the list after 'in' does not match the value's type",
                            node.col_offset + 1) from None

    def _Tuple(self, node: ast.Tuple | ast.List) -> Typed:
        raise ExprError("a list is only allowed after 'in'", node.col_offset + 1)

    _List = _Tuple

    def _BinOp(self, node: ast.BinOp) -> Typed:
        a, b = self(node.left), self(node.right)
        if isinstance(node.op, ast.Add) and Kind.TEXT in (a.kind, b.kind):
            return Typed(pl.concat_str([_text(a), _text(b)]), Kind.TEXT)
        for t in (a, b):
            if t.kind not in (Kind.INTEGER, Kind.DECIMAL, None):
                raise ExprError(f"arithmetic on a {t.kind} value", node.col_offset + 1)
        if isinstance(node.op, ast.Div):
            divisor = _num(b).cast(_DEC)
            return Typed(_num(a).cast(_DEC) / pl.when(divisor != 0).then(divisor), Kind.DECIMAL)
        if a.kind is Kind.INTEGER and b.kind is Kind.INTEGER:
            x, y, kind = a.expr, b.expr, Kind.INTEGER
        else:
            x, y, kind = _num(a), _num(b), Kind.DECIMAL
        ops = {ast.Add: x.__add__, ast.Sub: x.__sub__, ast.Mult: x.__mul__}
        return Typed(ops[type(node.op)](y), kind)

    def _UnaryOp(self, node: ast.UnaryOp) -> Typed:
        t = self(node.operand)
        if isinstance(node.op, ast.Not):
            return Typed(~t.expr, Kind.BOOLEAN)
        return Typed(-t.expr if isinstance(node.op, ast.USub) else t.expr, t.kind)

    def _BoolOp(self, node: ast.BoolOp) -> Typed:
        parts = [self(v).expr for v in node.values]
        combine = pl.all_horizontal if isinstance(node.op, ast.And) else pl.any_horizontal
        return Typed(combine(parts), Kind.BOOLEAN)

    def _Compare(self, node: ast.Compare) -> Typed:
        results = []
        left = self(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right_node, ast.Tuple | ast.List):
                    raise ExprError("'in' needs a list: x in ('a', 'b')", node.col_offset + 1)
                values = self._seq(right_node, left.kind)
                expr = left.expr.is_in(pl.lit(values).implode())
                results.append(~expr if isinstance(op, ast.NotIn) else expr)
                continue
            right = self(right_node)
            x, y = _unify(left, right)
            ops = {ast.Eq: x.__eq__, ast.NotEq: x.__ne__, ast.Lt: x.__lt__,
                   ast.LtE: x.__le__, ast.Gt: x.__gt__, ast.GtE: x.__ge__}
            results.append(ops[type(op)](y))
            left = right
        return Typed(pl.all_horizontal(results) if len(results) > 1 else results[0], Kind.BOOLEAN)

    def _IfExp(self, node: ast.IfExp) -> Typed:
        cond, a, b = self(node.test), self(node.body), self(node.orelse)
        if {a.kind, b.kind} == {Kind.INTEGER, Kind.DECIMAL}:
            x, y, kind = _num(a), _num(b), Kind.DECIMAL
        else:
            x, y, kind = a.expr, b.expr, a.kind or b.kind
        return Typed(pl.when(cond.expr.fill_null(False)).then(x).otherwise(y), kind)

    def _Call(self, node: ast.Call) -> Typed:
        name = node.func.id  # type: ignore[attr-defined]
        if name == "column":
            return Typed(self.column(node.args[0].value), Kind.TEXT)  # type: ignore[attr-defined]
        args = [self(a) for a in node.args]
        first = args[0]
        if name == "abs":
            return Typed(first.expr.abs(), first.kind)
        if name == "round":
            places = node.args[1].value if len(node.args) > 1 else 0  # type: ignore[attr-defined]
            return Typed(_num(first).round(int(places)), Kind.DECIMAL)
        if name in ("min", "max", "coalesce"):
            kinds = {a.kind for a in args} - {None}
            exprs = [_num(a) for a in args] if kinds == {Kind.INTEGER, Kind.DECIMAL} else \
                [a.expr for a in args]
            kind = Kind.DECIMAL if len(kinds) > 1 and Kind.DECIMAL in kinds else next(
                iter(kinds), None)
            fn = {"min": pl.min_horizontal, "max": pl.max_horizontal,
                  "coalesce": pl.coalesce}[name]
            return Typed(fn(exprs), kind)
        if name == "is_empty":
            text = _text(first)
            return Typed(text.is_null() | (text.str.strip_chars() == ""), Kind.BOOLEAN)
        if name == "matches":
            pattern = node.args[1]
            if not (isinstance(pattern, ast.Constant) and isinstance(pattern.value, str)):
                raise ExprError("matches() takes a quoted pattern", node.col_offset + 1)
            return Typed(_text(first).str.contains(pattern.value), Kind.BOOLEAN)
        text = _text(first)
        if name == "lower":
            return Typed(text.str.to_lowercase(), Kind.TEXT)
        if name == "upper":
            return Typed(text.str.to_uppercase(), Kind.TEXT)
        return Typed(text, Kind.TEXT)  # text()


def compile_expr(text: str, resolve: Callable[[str], Typed],
                 column: Callable[[str], pl.Expr]) -> Typed:
    """Compile ``text`` to a polars expression; ``resolve`` gives a field's typed column."""
    return _Compiler(resolve, column)(_tree(text))

