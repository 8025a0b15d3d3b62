"""Output safety: what formula-like text does (reject, warn, escape) and the rewriting of
the few cells a safety check flagged (line breaks in one-record-per-line outputs, the
escape prefix). The checks themselves are in :mod:`salesfmt.checks.builtin`."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from salesfmt._series import fields, where
from salesfmt.canonical import Kind
from salesfmt.errors import TargetError
from salesfmt.problems import N_
from salesfmt.targets.spec import Target, TargetField

__all__ = ["ESCAPED", "formula_policy", "sent_text"]

#: the formula_like message under the escape policy (a warning)
ESCAPED = N_("{column} starts like a spreadsheet formula (=, +, -, @): written with a "
             "leading ' so that a spreadsheet shows it as text")
_POLICIES = ("reject", "warn", "escape")


def formula_policy(target: Target, rules_policy: str | None) -> str:
    """What formula-like text does: the rule file's ``formulas:``, else the target's
    ``options: {formulas: …}``, else reject. A target whose output no spreadsheet opens
    (JSON) declares ``warn``, which no rule file changes: its values go out unchanged."""
    declared = target.options.get("formulas")
    if declared is not None and declared not in _POLICIES:
        raise TargetError(f"options.formulas must be one of {', '.join(_POLICIES)}",
                          where=str(target.path or target.name))
    if declared == "warn":
        return "warn"
    return rules_policy or declared or "reject"


def sent_text(f: TargetField, text: pl.Expr, oks: dict[str, str], policy: str) -> pl.Expr:
    """Field ``f``'s output ``text`` as written: line breaks as spaces where the target keeps
    one record per line, formula-like text prefixed with ' under the escape policy. Only
    the cells whose check failed (``oks``: check code → its ok column) are rewritten."""
    if f.kind is not Kind.TEXT:
        return text
    if "line_break" in oks:
        text = _rewrite(pl.col(oks["line_break"]), text, _one_line)
    if policy == "escape" and "formula_like" in oks:
        text = _rewrite(pl.col(oks["formula_like"]), text, lambda s: "'" + s)
    return text


def _rewrite(valid: pl.Expr, text: pl.Expr, fix: Callable[[pl.Series], pl.Series]) -> pl.Expr:
    """``text`` with ``fix`` applied where ``valid`` is false (few cells, if any)."""

    def run(pair: pl.Series) -> pl.Series:
        good, s = fields(pair)
        if good.all():
            return s
        at = where(~good)
        return s.scatter(at, fix(s.gather(at)))

    return pl.struct(valid.alias("ok"), text.alias("text")).map_batches(
        run, return_dtype=pl.String, is_elementwise=False)


def _one_line(s: pl.Series) -> pl.Series:
    """Line breaks (CRLF, CR, LF) as one space each."""
    return s.str.replace_all(r"\r\n|[\r\n]", " ")
