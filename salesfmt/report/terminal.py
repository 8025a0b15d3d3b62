"""The short human summary printed on stderr, and the progress bar for long runs."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import polars as pl

from salesfmt.problems import Severity
from salesfmt.report._escape import terminal_safe

if TYPE_CHECKING:
    from salesfmt.result import Result

__all__ = ["summary", "Progress", "terminal_safe"]

TOP = 5
#: Examples shown per warning code.
EXAMPLES = 3

_ERR = pl.col("severity") == Severity.ERROR.value


def _paint(color: bool) -> Any:
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    return paint


def _top(errors: pl.DataFrame) -> pl.DataFrame:
    """The most frequent (field, code) pairs with their count and first occurrence."""
    return (errors.with_columns(pl.col("field").fill_null("(file)"))
            .group_by(["field", "code"], maintain_order=True)
            .agg(pl.len().alias("n"), pl.col("line").first())
            .sort("n", descending=True, maintain_order=True).head(TOP))


def _by_code(warnings: pl.DataFrame) -> list[tuple[str, int, list[dict[str, Any]]]]:
    """(code, count, first EXAMPLES problems) per warning code, most frequent first."""
    counts = (warnings.group_by("code", maintain_order=True).len()
              .sort("len", descending=True, maintain_order=True))
    firsts = warnings.filter(pl.int_range(pl.len()).over("code") < EXAMPLES)
    examples: dict[str, list[dict[str, Any]]] = {}
    for row in firsts.iter_rows(named=True):
        examples.setdefault(row["code"], []).append(row)
    return [(code, n, examples[code]) for code, n in counts.iter_rows()]


def _where(row: dict[str, Any]) -> str:
    at = f"line {row['line']}" if row["line"] is not None else "file"
    origin = f"row {row['row']}" if row.get("row") is not None else ""
    if row.get("column"):
        origin += f" col {row['column']}"
    return f"{at} ({origin.strip() or '-'})"


def _problem(row: dict[str, Any], label: str) -> str:
    value = f" [value: {terminal_safe(repr(row['value']))}]" if row["value"] is not None else ""
    return f"  {_where(row):>22} {label}: {terminal_safe(row['message'])}{value}"


def summary(result: Result, *, color: bool = False, report: str | Path | None = None) -> str:
    """Counts, the errors first, the warnings grouped by code, and where the full report is.

    Every name and value from the partner's file is escaped (:func:`terminal_safe`)."""
    paint = _paint(color)
    p = result.problems
    errors = p.filter(_ERR)
    warnings = p.filter(~_ERR)
    n_err, n_warn = errors.height, warnings.height
    err_lines = errors["line"].drop_nulls().n_unique()
    src = result.source
    chosen = f" ({src.sheet_choice})" if src.sheet_choice else ""
    where = f" sheet {terminal_safe(repr(src.sheet))}{chosen}," if src.sheet else ""
    lines = [
        f"{terminal_safe(result.path)} → {terminal_safe(result.target.name)} "
        f"(rules {terminal_safe(result.rules.name)}):{where} header on row {src.header_row}",
        f"rows: {result.rows_read} read = {result.rows_out} converted + "
        f"{result.rows_rejected} rejected + {result.rows_skipped} skipped",
    ]
    with_record = getattr(result, "rejected_with_record", None)
    if with_record is not None and with_record.height:  # grouped targets: sent whole or not
        noun = result.target.group.noun if result.target.group else "record"
        rows = ", ".join(map(str, with_record["row"].head(TOP)))
        more = ", …" if with_record.height > TOP else ""
        lines.append(f"  {with_record.height} of the rejected line(s) have no error of their "
                     f"own, rejected with their {noun}: row(s) {rows}{more}")
    status = (paint("clean", "32") if n_err == 0
              else paint(f"{n_err} error(s) on {err_lines} line(s)", "31"))
    lines.append(f"problems: {status}, {paint(str(n_warn), '33') if n_warn else 0} warning(s)")
    hint = f"see {terminal_safe(report)}" if report else "use --html PATH or --format json"
    if n_err:
        top = _top(errors) if n_err > TOP else errors.clear()
        if top.height and int(top["n"].max()) > 1:
            lines.append("top errors:")
            for row in top.iter_rows(named=True):
                count = paint(f"{row['n']:>7}×", "31")
                first = f"line {row['line']}" if row["line"] is not None else "file"
                lines.append(f"  {count} {terminal_safe(row['field'])} {row['code']} "
                             f"(first on {first})")
        lines.append("errors:")
        label = paint("error", "31")
        lines.extend(_problem(row, label) for row in errors.head(TOP).iter_rows(named=True))
        if n_err > TOP:
            lines.append(f"  … and {n_err - TOP} more error(s) ({hint})")
    if n_warn:
        lines.append("warnings by code:")
        label = paint("warning", "33")
        groups = _by_code(warnings)
        for code, n, examples in groups[:TOP]:
            lines.append(f"  {paint(f'{n:>7}×', '33')} {code}")
            lines.extend(_problem(row, label) for row in examples)
            if n > len(examples):
                lines.append(f"  {'':>22} … and {n - len(examples)} more")
        if len(groups) > TOP:
            rest = sum(n for _, n, _ in groups[TOP:])
            lines.append(f"  … and {rest} warning(s) of {len(groups) - TOP} other code(s) "
                         f"({hint})")
    muted = getattr(result, "muted", None) or {}
    if muted:
        listed = ", ".join(f"{code} {n}" for code, n in sorted(muted.items()))
        lines.append(f"muted: {sum(muted.values())} warning(s) not reported, by the rule "
                     f"file's severity: off ({listed})")
    if result.output is not None:
        lines.append(f"output: {terminal_safe(result.output)}")
    if report is not None:
        lines.append(f"full report: {terminal_safe(report)}")
    return "\n".join(lines)


class Progress:
    """A progress line on ``stream`` for runs longer than ``delay`` seconds; silent otherwise.

    Use as a context manager and pass :meth:`update` as the pipeline's ``progress`` callback.
    Disabled (a no-op) unless ``enabled`` and the stream is a terminal.
    """

    def __init__(self, stream: TextIO, *, enabled: bool = True, delay: float = 1.0,
                 label: str = "checking") -> None:
        isatty = getattr(stream, "isatty", lambda: False)
        self.stream = stream
        self.enabled = enabled and bool(isatty())
        self.delay = delay
        self.label = label
        self.rows = 0
        self._start = 0.0
        self._drawn = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def update(self, rows: int) -> None:
        """Rows read so far (the pipeline calls this after every batch)."""
        self.rows = rows

    def _line(self, tick: int) -> str:
        width = 20
        pos = tick % (2 * width - 2)
        pos = pos if pos < width else 2 * width - 2 - pos
        bar = "".join("█" if abs(i - pos) <= 1 else "░" for i in range(width))
        done = f" {self.rows:,} rows checked ·" if self.rows else ""
        return f"\r{bar} {self.label}…{done} {time.monotonic() - self._start:.0f} s "

    def _loop(self) -> None:
        if self._stop.wait(self.delay):
            return
        tick = 0
        while not self._stop.is_set():
            self.stream.write(self._line(tick))
            self.stream.flush()
            self._drawn = True
            tick += 1
            self._stop.wait(0.1)

    def __enter__(self) -> Progress:
        if self.enabled:
            self._start = time.monotonic()
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            if self._drawn:
                self.stream.write("\r\x1b[2K")
                self.stream.flush()
