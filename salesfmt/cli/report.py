"""``salesfmt report``: write a report file (HTML for the partner, or JSON / text)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from salesfmt.cli import cli
from salesfmt.cli._options import source_options
from salesfmt.cli.run import _exit, _run, rejects_path
from salesfmt.outputs import refuse_existing, write_file
from salesfmt.rejects import rejects_bytes
from salesfmt.report import ReportFormat, render, write_report
from salesfmt.report.html import MAX_LINES, Audience

__all__ = ["report"]


@cli.command()
@source_options
@click.option("-o", "--output", "output", required=True, metavar="PATH",
              help="Report file to write (atomically; an existing file only with --force); "
                   ".html, .json or .txt.")
@click.option("--format", "fmt", type=click.Choice([f.value for f in ReportFormat]),
              default=None, help="Report format [default: from PATH's extension, else html].")
@click.option("--max-lines", type=click.IntRange(min=1), default=MAX_LINES, show_default=True,
              help="Lines with errors the HTML report shows in full (the rest are counted).")
@click.option("--audience", type=click.Choice([a.value for a in Audience]),
              default=Audience.PARTNER.value, show_default=True,
              help="HTML for the partner (what to change in their file), or for the "
                   "operator (+ rule-file and command-line hints, muted counts).")
@click.option("--rejects", default=None, metavar="PATH",
              help="Also write the rejected lines in the partner's own layout (CSV → CSV, "
                   "workbook → XLSX) with a Problems column, to fix and resend.")
@click.option("--force", is_flag=True, help="Overwrite an existing report file.")
def report(file: str, rules: str, target: str, output: str, fmt: str | None, max_errors: int,
           with_source: bool, max_lines: int, audience: str, rejects: str | None, force: bool,
           lang: str | None, **kw: Any) -> None:
    """Check FILE and write a report a partner can read (HTML by default)."""
    extra = rejects_path(rejects, file)
    for path in (Path(output), *([extra] if extra else [])):
        refuse_existing(path, force=force, protect=Path(file))
    if extra is not None and extra.resolve() == Path(output).resolve():
        raise click.UsageError(f"--rejects {rejects}: that is the report's name")
    result = _run(file, rules, target, **kw)
    if extra is not None:  # written first: the report names a finished rejects file
        write_file(extra, rejects_bytes(result, lang), force=force, protect=Path(file))
    chosen = ReportFormat(fmt) if fmt else ReportFormat.for_path(output)
    path = write_report(chosen, result, output, force=force, cap=max_errors,
                        with_source=with_source, max_lines=max_lines, audience=audience,
                        lang=lang)
    click.echo(render(ReportFormat.TEXT, result, color=sys.stderr.isatty(),
                      report=path, lang=lang).rstrip("\n"), err=True)
    if extra is not None:
        click.echo(f"rejects: {extra} ({result.rows_rejected} line(s))", err=True)
    _exit(result)
