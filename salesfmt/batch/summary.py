"""The batch summary: a terminal table, JSON, and an HTML index page linking every report."""

from __future__ import annotations

import dataclasses
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from salesfmt.batch.coordinator import BatchRun, Entry
from salesfmt.report._escape import terminal_safe
from salesfmt.resources import templates_dir

__all__ = ["summary_table", "summary_json", "summary_html"]

_COLUMNS = ("file", "route", "status", "exit", "rows", "out", "rejected", "errors",
            "warnings", "name")


def _rel(path: str | None, base: Path) -> str | None:
    return None if path is None else os.path.relpath(path, base)


def _cells(e: Entry) -> list[str]:
    return [Path(e.file).name, e.route or "-", e.status, str(e.exit), str(e.rows_read),
            str(e.rows_out), str(e.rows_rejected), str(e.errors), str(e.warnings),
            e.name or "-"]


def _notes(e: Entry) -> list[str]:
    out = list(e.notes)
    out += [f"drift: {d}" for d in e.drift]
    if e.suggestions:
        out.append("best-matching rules: " + ", ".join(f"{n} (knows {s:g}% of the columns)"
                                                       for n, s in e.suggestions))
    if e.already_sent and e.status != "held back":
        out.append(f"{e.already_sent} line(s) with ids sent before")
    return out


def summary_table(run: BatchRun) -> str:
    """A fixed-width table of the files, with notes (drift, unclaimed, held back) below."""
    rows = [list(_COLUMNS), *(_cells(e) for e in run.entries)]
    rows = [[terminal_safe(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for e in run.entries:
        for note in _notes(e):
            lines.append(f"{terminal_safe(Path(e.file).name)}: {terminal_safe(note)}")
    counts: dict[str, int] = {}
    for e in run.entries:
        counts[e.status] = counts.get(e.status, 0) + 1
    told = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no files"
    lines.append(f"batch: {len(run.entries)} file(s): {told}; exit {run.exit}")
    return "\n".join(lines)


def _entry_json(e: Entry, base: Path) -> dict[str, Any]:
    data = dataclasses.asdict(e)
    for key in ("report_json", "report_html"):
        data[key] = _rel(data[key], base)
    data["outputs"] = [_rel(p, base) for p in e.outputs]
    data["file"] = Path(e.file).name
    data["suggestions"] = [{"rules": n, "columns_known_pct": s} for n, s in e.suggestions]
    data["notes"] = _notes(e)
    del data["seconds"]  # timings differ run to run: the summary stays deterministic
    return data


def summary_json(run: BatchRun) -> str:
    """The batch as JSON (paths relative to the output folder; deterministic)."""
    doc = {"inbox": str(run.inbox), "exit": run.exit,
           "files": [_entry_json(e, run.out) for e in run.entries]}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    return env.get_template("batch-index.html.j2")


def summary_html(run: BatchRun) -> str:
    """The index page: one row per file, linking its reports and outputs (autoescaped)."""
    files = [_entry_json(e, run.out) for e in run.entries]
    return _template().render(inbox=str(run.inbox), exit=run.exit, files=files,
                              columns=_COLUMNS)
