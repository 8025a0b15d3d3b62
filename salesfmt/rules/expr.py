"""The rule files' small expression language, compiled to polars expressions (never ``eval``).

Parsed with Python's ``ast`` in ``eval`` mode; only a whitelist of node types is accepted:
field names, literals, ``+ - * /``, comparisons (``== != < <= > >= in``), ``and or not``,
``a if cond else b`` and a few functions (:data:`FUNCTIONS`). Names are canonical fields;
``column('Header')`` reads a partner column's text. Decimal literals stay decimal.
Kinds are checked when the expression is compiled, so ``rules validate`` (which compiles
it against typed placeholders) finds what ``check`` would stop on, at the right character.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from salesfmt.canonical import DECIMAL_SCALE, FIELDS, Kind, polars_type
from salesfmt.rules.exprsyntax import (
    FUNCTIONS,
    MAX_DEPTH,
    ExprError,
    col_of,
    field_refs,
    parse_tree,
    regex_problem,
)

__all__ = ["ExprError", "Typed", "FUNCTIONS", "MAX_DEPTH", "check_expr", "compile_expr",
           "field_refs", "regex_problem", "to_text", "date_text"]

_DEC = pl.Decimal(38, DECIMAL_SCALE)
_NUMERIC = (Kind.INTEGER, Kind.DECIMAL, None)
_DEC_FIT = 1e31  # a float estimate below this fits Decimal(38, 6) (whose limit is 1e32)


@dataclass(frozen=True)
class Typed:
    """A compiled sub-expression and its kind (None for a null literal)."""

    expr: pl.Expr
    kind: Kind | None


def check_expr(text: str) -> set[str]:
    """Validate ``text``, kinds included (compiled against typed placeholders); returns its
    field references. Raises ExprError."""
    refs = field_refs(text)
    constants = {"true", "false", "null", "True", "False", "None"}
    unknown = sorted(refs - set(FIELDS) - constants)
    if unknown:
        raise ExprError(f"unknown field {unknown[0]!r} (see 'salesfmt fields')")

    def placeholder(ref: str) -> Typed:
        kind = FIELDS[ref].kind
        return Typed(pl.lit(None, dtype=polars_type(kind)), kind)

    compile_expr(text, placeholder, lambda _header: pl.lit(None, dtype=pl.String))
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


_OPS: dict[type, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    ast.Add: pl.Expr.__add__, ast.Sub: pl.Expr.__sub__, ast.Mult: pl.Expr.__mul__,
    ast.Div: pl.Expr.__truediv__,
}


def _arith(op: type, x: pl.Expr, y: pl.Expr, kind: Kind) -> pl.Expr:
    """``x op y``, empty where the result would not fit its kind (Int64 wraps around
    silently, a decimal overflow stops the run) or a division is by zero: judged first in
    floats, and such rows compute with an empty left operand."""
    estimate = _OPS[op](x.cast(pl.Float64), y.cast(pl.Float64)).abs()
    fits = estimate < (9.2e18 if kind is Kind.INTEGER else _DEC_FIT)
    return _OPS[op](pl.when(fits).then(x), y)  # one empty operand empties the result


def _compatible(a: Kind | None, b: Kind | None, exact: bool = False) -> bool:
    """Whether values of two kinds can be compared (dates with ISO text too), or with
    ``exact`` be one result (``if``/``else``, ``min``, ``coalesce``): numbers mix."""
    kinds = {a, b} - {None}
    return len(kinds) < 2 or kinds <= {Kind.INTEGER, Kind.DECIMAL} \
        or not exact and kinds <= {Kind.DATE, Kind.DATETIME, Kind.TEXT}


class _Compiler:
    def __init__(self, resolve: Callable[[str], Typed], column: Callable[[str], pl.Expr],
                 text: str):
        self.resolve = resolve
        self.column = column
        self.text = text

    def _what(self, t: Typed, node: ast.AST) -> str:
        """An operand in the author's terms: ``sku (a text field)`` or ``a text value``."""
        kind = t.kind or "null"
        article = "an" if kind[0] in "aeiou" else "a"
        if isinstance(node, ast.Name) and node.id in FIELDS:
            return f"{node.id} ({article} {kind} field)"
        return f"{article} {kind} value"

    def _at(self, node: ast.AST, parent: ast.AST) -> int | None:
        """Where to point for a bad operand: a name, call or literal where it starts; a
        compound operand at the operator that uses it."""
        if isinstance(node, ast.Name | ast.Call | ast.Constant) or not isinstance(
                parent, ast.BinOp) or parent.lineno != parent.end_lineno:
            return col_of(node)
        left, right = parent.left, parent.right
        between = self.text.splitlines()[parent.lineno - 1][left.end_col_offset:right.col_offset]
        symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(parent.op)]
        return left.end_col_offset + between.find(symbol) + 1 if symbol in between \
            else col_of(node)

    def _number(self, t: Typed, node: ast.AST, parent: ast.AST, what: str) -> None:
        if t.kind not in _NUMERIC:
            raise ExprError(f"{what} on {self._what(t, node)}", self._at(node, parent))

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
            if kind in (Kind.INTEGER, Kind.DECIMAL) and isinstance(value, str):
                raise ExprError("the list after 'in' holds text, and the value is a number",
                                elt.col_offset + 1)
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
        self._number(a, node.left, node, "arithmetic")
        self._number(b, node.right, node, "arithmetic")
        if isinstance(node.op, ast.Div):
            x, y, kind = _num(a).cast(_DEC), _num(b).cast(_DEC), Kind.DECIMAL
        elif a.kind is Kind.INTEGER and b.kind is Kind.INTEGER:
            x, y, kind = a.expr, b.expr, Kind.INTEGER
        else:
            x, y, kind = _num(a), _num(b), Kind.DECIMAL
        return Typed(_arith(type(node.op), x, y, kind), kind)

    def _UnaryOp(self, node: ast.UnaryOp) -> Typed:
        t = self(node.operand)
        if isinstance(node.op, ast.Not):
            if t.kind not in (Kind.BOOLEAN, None):
                raise ExprError(f"'not' on {self._what(t, node.operand)}", col_of(node.operand))
            return Typed(~t.expr, Kind.BOOLEAN)
        self._number(t, node.operand, node, "a sign")
        return Typed(-t.expr if isinstance(node.op, ast.USub) else t.expr, t.kind)

    def _BoolOp(self, node: ast.BoolOp) -> Typed:
        parts = []
        for v in node.values:
            t = self(v)
            if t.kind not in (Kind.BOOLEAN, None):
                raise ExprError(f"'and'/'or' on {self._what(t, v)}, not a condition", col_of(v))
            parts.append(t.expr)
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
            if not _compatible(left.kind, right.kind):
                raise ExprError(f"cannot compare {self._what(left, node.left)} with "
                                f"{self._what(right, right_node)}", col_of(right_node))
            x, y = _unify(left, right)
            ops = {ast.Eq: x.__eq__, ast.NotEq: x.__ne__, ast.Lt: x.__lt__,
                   ast.LtE: x.__le__, ast.Gt: x.__gt__, ast.GtE: x.__ge__}
            results.append(ops[type(op)](y))
            left = right
        return Typed(pl.all_horizontal(results) if len(results) > 1 else results[0], Kind.BOOLEAN)

    def _IfExp(self, node: ast.IfExp) -> Typed:
        cond, a, b = self(node.test), self(node.body), self(node.orelse)
        if cond.kind not in (Kind.BOOLEAN, None):
            raise ExprError(f"'if' needs a condition, not {self._what(cond, node.test)}",
                            col_of(node.test))
        if not _compatible(a.kind, b.kind, exact=True):
            raise ExprError(f"'if' gives {self._what(a, node.body)} or "
                            f"{self._what(b, node.orelse)}: one kind, please", col_of(node.orelse))
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
        if name in ("abs", "round"):
            self._number(first, node.args[0], node, f"{name}()")
        if name in ("min", "max", "coalesce"):
            for t, arg in zip(args[1:], node.args[1:], strict=True):
                if not _compatible(first.kind, t.kind, exact=True):
                    raise ExprError(f"{name}() of {self._what(first, node.args[0])} and "
                                    f"{self._what(t, arg)}", col_of(arg))
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
    tree = parse_tree(text)
    try:
        return _Compiler(resolve, column, text)(tree)
    except RecursionError:  # bounded by MAX_DEPTH; a last line of defence
        raise ExprError(f"expression nested deeper than {MAX_DEPTH} levels") from None

