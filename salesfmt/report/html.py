"""The HTML report a partner can read: one self-contained page, a view of the problem table.

Counts and charts cover every problem (polars aggregations). Errors come first: the first
``max_lines`` lines with an error are rendered in full; warnings follow, grouped by code
with their count and a few examples, so the page stays small with a million problems.
The partner's report says what to change in their file; the operator's adds a section of
rule-file and command-line hints (and what the rule file muted).
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

import jinja2
import polars as pl
from markupsafe import Markup, escape

from salesfmt._version import __version__
from salesfmt.checks import get_check
from salesfmt.problems import Severity
from salesfmt.readers._source import ROW
from salesfmt.resources import templates_dir

if TYPE_CHECKING:
    from salesfmt.result import Result

__all__ = ["Audience", "MAX_LINES", "MAX_BARS", "MAX_COLUMNS", "WARNING_EXAMPLES",
           "html_report", "report_context"]


class Audience(StrEnum):
    """Who reads the HTML report: the partner (their file only) or the operator (+ hints)."""

    PARTNER = "partner"
    OPERATOR = "operator"


#: Lines with an error rendered in full; the rest are summarised by counts.
MAX_LINES = 500
#: Examples shown per warning code.
WARNING_EXAMPLES = 5
#: Bars per chart; the remaining kinds are added up in one "other" bar.
MAX_BARS = 15
#: Partner columns shown per original row (very wide files are cut, and say so).
MAX_COLUMNS = 60
#: Characters shown of one cell or value; longer text is cut and says how much is left.
MAX_TEXT = 300

_ERR = pl.col("severity") == Severity.ERROR.value
_DELIMITERS = {",": "comma (,)", ";": "semicolon (;)", "\t": "tab", "|": "pipe (|)"}


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda n: f"{int(n):,}"
    env.filters["inline"] = inline_code
    return env


_CODE = re.compile(r"`([^`]+)`")


def inline_code(text: str | None) -> Markup:
    """Escaped text with its `backtick` spans as <code> elements (no raw backticks)."""
    return Markup(_CODE.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(text or ""))))


def html_report(result: Result, *, max_lines: int = MAX_LINES,
                audience: Audience = Audience.PARTNER) -> str:
    """Render ``templates/report.html.j2`` for ``result`` (autoescaped, self-contained)."""
    template = _environment().get_template("report.html.j2")
    return template.render(**report_context(result, max_lines=max_lines, audience=audience))


def report_context(result: Result, *, max_lines: int = MAX_LINES,
                   audience: Audience = Audience.PARTNER) -> dict[str, Any]:
    """Everything the template shows, computed from the problem table and the run."""
    p = result.problems
    lined = p.filter(pl.col("line").is_not_null())
    lines = lined.filter(_ERR).get_column("line").unique(maintain_order=True)
    shown_lines = lines.head(max_lines)
    shown = lined.filter(pl.col("line").is_in(shown_lines.implode()))
    hidden = lined.filter(pl.col("line").is_in(lines.implode())).height - shown.height
    file_level = p.filter(pl.col("line").is_null() & _ERR)
    return {
        "version": __version__,
        "file": _file_facts(result),
        "counts": _counts(result, p),
        "charts": [
            _chart("Problems per column", p, pl.coalesce(
                pl.concat_str([pl.col("header"), pl.lit(" ("), pl.col("column"), pl.lit(")")]),
                pl.col("field"), pl.lit("(whole file)"))),
            _chart("Problems per code", p, pl.col("code")),
        ],
        "groups": _groups(result, shown),
        "hidden": {"lines": lines.len() - shown_lines.len(),
                   "problems": hidden, "max_lines": max_lines},
        "warning_codes": _warning_codes(result, p.filter(~_ERR)),
        "operator": _operator(result) if audience is Audience.OPERATOR else None,
        "file_problems": _with_hints(result, file_level.head(max_lines).to_dicts()),
        "file_problems_hidden": max(file_level.height - max_lines, 0),
        "columns_cut": max(len(result.source.headers) - MAX_COLUMNS, 0),
        "max_columns": MAX_COLUMNS,
    }


def _file_facts(result: Result) -> dict[str, Any]:
    src, path = result.source, result.path
    try:
        size = path.stat().st_size
    except OSError:
        size = None
    return {
        "name": path.name, "size": size, "size_text": _size(size),
        "format": src.format, "encoding": src.encoding,
        "delimiter": _DELIMITERS.get(src.delimiter or "", src.delimiter),
        "sheet": src.sheet, "header_row": src.header_row,
        "rules": result.rules.name, "rules_description": result.rules.description,
        "target": result.target.name, "target_description": result.target.description,
        "noun": result.target.group.noun if result.target.group is not None else "record",
    }


def _size(n: int | None) -> str:
    if n is None:
        return "unknown"
    if n < 1024:
        return f"{n:,} bytes"
    value, unit = n / 1024, "KB"
    for bigger in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:,.1f} {unit}"


def _clip(text: str | None) -> str | None:
    """Cell text for the page: long values cut at MAX_TEXT characters, saying so."""
    if text is None or len(text) <= MAX_TEXT:
        return text
    return f"{text[:MAX_TEXT]}… ({len(text) - MAX_TEXT:,} more characters)"


def _counts(result: Result, p: pl.DataFrame) -> dict[str, int]:
    line_err = _ERR & pl.col("line").is_not_null()
    row = p.select(
        problems=pl.len(),
        errors=_ERR.sum(),
        warnings=(~_ERR).sum(),
        error_fields=line_err.sum(),
        error_lines=pl.col("line").filter(line_err).n_unique(),
        problem_lines=pl.col("line").drop_nulls().n_unique(),
    ).row(0, named=True)
    return {**{k: int(v or 0) for k, v in row.items()},
            "rows_read": result.rows_read, "rows_out": result.rows_out,
            "rows_rejected": result.rows_rejected, "rows_skipped": result.rows_skipped,
            "rejected_with_record": _height(getattr(result, "rejected_with_record", None))}


def _height(frame: pl.DataFrame | None) -> int:
    return 0 if frame is None else frame.height


def _chart(title: str, p: pl.DataFrame, label: pl.Expr) -> dict[str, Any]:
    """Bars (label, count, errors) for an inline SVG, largest first, the tail added up."""
    table = (p.group_by(label.alias("label"))
             .agg(pl.len().alias("n"), _ERR.sum().alias("errors"))
             .sort(["n", "label"], descending=[True, False]))
    bars = table.head(MAX_BARS).to_dicts()
    rest = table.slice(MAX_BARS)
    if rest.height:
        bars.append({"label": f"{rest.height} other kinds", "n": int(rest["n"].sum()),
                     "errors": int(rest["errors"].sum())})
    top = max((b["n"] for b in bars), default=1)
    for i, b in enumerate(bars):
        b["y"] = i * 26
        b["width"] = round(200 * b["n"] / top, 1)
        b["err_width"] = round(200 * b["errors"] / top, 1)
        b["short"] = b["label"] if len(b["label"]) <= 24 else b["label"][:23] + "…"
    return {"title": title, "bars": bars, "height": max(len(bars) * 26, 26)}


def _hints(result: Result) -> dict[str, str]:
    """Code as shown (targets may rename it) → the check's explanation (the fix hint)."""
    renamed = {shown: own for own, shown in result.target.codes.items()}
    hints = {}
    for code in result.problems.get_column("code").unique().to_list():
        try:
            hints[code] = get_check(renamed.get(code, code)).partner
        except KeyError:
            hints[code] = ""
    return hints


def _operator_hints(result: Result) -> list[dict[str, str]]:
    """(code, operator hint) for the codes of this run whose check has one."""
    renamed = {shown: own for own, shown in result.target.codes.items()}
    out = []
    for code in sorted(result.problems.get_column("code").unique().to_list()):
        try:
            hint = get_check(renamed.get(code, code)).operator
        except KeyError:
            continue
        if hint:
            out.append({"code": code, "hint": hint})
    return out


def _operator(result: Result) -> dict[str, Any]:
    """The operator's section: rule-file and command-line hints, and what was muted."""
    muted = getattr(result, "muted", None) or {}
    return {"hints": _operator_hints(result), "rules": result.rules.name,
            "muted": [{"code": c, "n": n} for c, n in sorted(muted.items())],
            "muted_total": sum(muted.values())}


def _warning_codes(result: Result, warnings: pl.DataFrame) -> list[dict[str, Any]]:
    """Warnings per code, most frequent first: count, fix hint and the first examples."""
    counts = (warnings.group_by("code", maintain_order=True).len()
              .sort("len", descending=True, maintain_order=True))
    firsts = warnings.filter(pl.int_range(pl.len()).over("code") < WARNING_EXAMPLES)
    examples: dict[str, list[dict[str, Any]]] = {}
    for pr in _with_hints(result, firsts.to_dicts()):
        examples.setdefault(pr["code"], []).append(pr)
    hints = _hints(result)
    return [{"code": code, "n": n, "hint": hints.get(code, ""), "examples": examples[code],
             "more": n - len(examples[code])} for code, n in counts.iter_rows()]


def _with_hints(result: Result, problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    hints = _hints(result)
    return [{**pr, "hint": hints.get(pr["code"], ""), "value": _clip(pr["value"]),
             "message": _clip(pr["message"])} for pr in problems]


def _groups(result: Result, shown: pl.DataFrame) -> list[dict[str, Any]]:
    """The shown problem lines as one card per source row, in the partner's row order, with
    the partner's original cells; for grouped targets also the good rows of those lines,
    rejected with their record (a sale, a transaction)."""
    src = result.source
    names = src.headers[:MAX_COLUMNS]
    labels = [o or n for o, n in zip(src.original_headers, src.headers, strict=False)]
    with_record = getattr(result, "rejected_with_record", None)
    if with_record is None or not shown.height:
        with_record = pl.DataFrame(schema={"row": pl.Int64, "line": pl.Int64})
    with_record = with_record.filter(pl.col("line").is_in(shown.get_column("line").implode()))
    raw = result.raw_rows
    originals: dict[int, list[str | None]] = {}
    if raw.width and shown.height:
        rows = pl.concat([shown.get_column("row"), with_record.get_column("row")])
        wanted = raw.filter(pl.col(ROW).is_in(rows.implode()))
        cols = [c for c in names if c in wanted.columns]
        for rec in wanted.select([ROW, *cols]).iter_rows():
            originals[rec[0]] = list(rec[1:])
    groups: list[dict[str, Any]] = []
    by_row: dict[tuple[int, int | None], dict[str, Any]] = {}
    for pr in _with_hints(result, shown.to_dicts()):
        g = by_row.get((pr["line"], pr["row"]))
        if g is None:
            g = {"line": pr["line"], "row": pr["row"], "sheet": pr["sheet"], "problems": [],
                 "bad": set(), "errors": 0, "with_record": None}
            by_row[(pr["line"], pr["row"])] = g
            groups.append(g)
        g["problems"].append(pr)
        g["errors"] += pr["severity"] == Severity.ERROR.value
        if pr["column"]:
            g["bad"].add(pr["column"])
    noun = result.target.group.noun if result.target.group is not None else "record"
    for row, line in with_record.iter_rows():
        groups.append({"line": line, "row": row, "sheet": src.sheet, "problems": [],
                       "bad": set(), "errors": 0, "with_record": noun})
    groups.sort(key=lambda g: (g["row"] is None, g["row"] or 0, g["line"]))
    seen: set[int] = set()
    for g in groups:
        g["id"] = f"line-{g['line']}" if g["line"] not in seen \
            else f"line-{g['line']}-row-{g['row']}"
        seen.add(g["line"])
        values = originals.get(g["row"])
        g["cells"] = None if values is None else [
            {"letter": letter, "header": label, "value": _clip(v), "bad": letter in g["bad"]}
            for letter, label, v in zip(src.column_letters, labels, values, strict=False)]
    return groups
