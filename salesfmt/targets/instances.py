"""A check instance: one check on one target field (or a cross-row group), with what its
problems need — code, severity, wording, where in the partner's file — and its message."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from salesfmt.checks import Check, render_message
from salesfmt.checks.crossrow import CrossRowSpec
from salesfmt.columns import value
from salesfmt.problems import Severity
from salesfmt.targets.spec import TargetField

__all__ = ["CheckInstance", "message_expr", "with_cross"]


@dataclass(frozen=True)
class CheckInstance:
    """One check on one target field, with everything its problems need."""

    index: int
    field: TargetField
    check: Check
    code: str
    severity: Severity
    params: dict[str, Any]
    template: str
    header: str | None
    letter: str | None
    order: int
    cross: CrossRowSpec | None = None
    label: str | None = None


def with_cross(inst: CheckInstance, spec: CrossRowSpec, label: str | None = None
                ) -> CheckInstance:
    """``inst`` as a cross-row check over ``spec`` (``label``: the column its message names)."""
    return replace(inst, cross=spec, label=label)


def message_expr(inst: CheckInstance, value_text: pl.Expr,
                 extra: dict[str, pl.Expr] | None = None) -> pl.Expr:
    """The problem message for rows failing ``inst``, in the target's wording."""
    static: dict[str, object] = {"column": inst.label or inst.field.name}
    for k, v in inst.params.items():
        static[k] = ", ".join(map(str, v)) if isinstance(v, list | tuple) else v
    details = inst.check.details(pl.col(value(inst.field.name))) if inst.check.details else {}
    return render_message(inst.template, static,
                          {"value": value_text, **details, **(extra or {})})
