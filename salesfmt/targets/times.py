"""Dates and instants on the target side: which date-times a target reads as instants,
the code a bad date is reported under, and the file's "read as UTC" warning."""

from __future__ import annotations

import polars as pl

from salesfmt.canonical import FIELDS, Kind
from salesfmt.checks import get_check, render_message
from salesfmt.problems import file_problem
from salesfmt.rules.compiler import CompiledRules
from salesfmt.rules.instants import WHY_CODES
from salesfmt.targets.spec import TYPE_CHECK, Target, TargetField

__all__ = ["UNIX", "WHY_CODES", "needs_instant", "reported_code", "zone_of", "utc_warnings"]

#: ``format: unix`` on a date/date-time field: seconds since 1970-01-01 (UTC), a JSON number.
UNIX = "unix"



def needs_instant(f: TargetField) -> bool:
    """A date-time the target reads as an instant: Unix seconds, UTC ``Z`` or an offset.
    Other date-time formats are the partner's wall-clock time (in the rule's zone)."""
    fmt = f.format or ""
    return f.kind is Kind.DATETIME and (fmt == UNIX or fmt.endswith("Z")
                                        or any(z in fmt for z in ("%z", "%:z", "%#z")))


def reported_code(target: Target, f: TargetField, code: str) -> str:
    """The code a problem is reported under: the server's name for it; a date that is not
    one takes the server's code for a bad date where the target names one."""
    if code == "not_a_date" and code not in target.codes and f.kind in TYPE_CHECK:
        type_check = TYPE_CHECK[f.kind]
        return target.code_for(type_check) if type_check in target.codes else code
    return target.code_for(code)


def zone_of(compiled: CompiledRules, source: str) -> str | None:
    """The rule's zone for the partner's times of canonical field ``source``."""
    rule = compiled.rules.fields.get(source)
    return rule.parse.timezone if rule is not None else None


def utc_warnings(target: Target, compiled: CompiledRules) -> list[pl.DataFrame]:
    """After the run: one warning per instant the target sends that was read from partner
    times without an offset while the rule names no zone (they were read as UTC)."""
    out = []
    for f in target.fields:
        if not needs_instant(f) or f.source not in compiled.naive \
                or FIELDS[f.source].kind is not Kind.DATETIME or zone_of(compiled, f.source):
            continue
        header, letter = compiled.sources.get(f.source, (None, None))
        columns = next(x["columns"] for c, _, x in compiled.flags[f.source] if c == "not_a_date")
        text = pl.select(render_message(target.message_for("times_read_as_utc"),
                                        {"column": f.name, "columns": columns}, {})).item()
        severity = compiled.rules.severity.get("times_read_as_utc",
                                               get_check("times_read_as_utc").severity)
        out.append(file_problem("times_read_as_utc", text, severity=severity, column=letter,
                                header=header, field=f.name))
    return out
