"""``salesfmt check`` and ``salesfmt convert``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from salesfmt.cli import cli
from salesfmt.cli._options import parse_day, source_options
from salesfmt.errors import ExitCode, OutputError
from salesfmt.naming import NamedOutput
from salesfmt.pipeline import Result, run
from salesfmt.report import Progress, ReportFormat, envelope, render, write_report
from salesfmt.rules import load_rules
from salesfmt.targets import load_target, with_options
from salesfmt.targets.serializers import extension
from salesfmt.util import atomic_write_text

__all__ = ["check", "convert"]


def _run(file: str, rules: str, target: str, *, show_progress: bool = True, **kw: Any) -> Result:
    ruleset = load_rules(rules)
    tgt = with_options(load_target(target, kw.pop("variant", None)),
                       payload_size=kw.pop("payload_size", None))
    reader = {k: kw.pop(k) for k in ("sheet", "encoding", "delimiter", "header_row")}
    with Progress(sys.stderr, enabled=show_progress) as bar:
        return run(file, ruleset, tgt, progress=bar.update, **kw, **reader)


def _exit(result: Result) -> None:
    raise click.exceptions.Exit(ExitCode.CLEAN if result.clean else ExitCode.PROBLEMS)


@cli.command()
@source_options
@click.option("--format", "fmt", type=click.Choice([f.value for f in ReportFormat]),
              default=ReportFormat.TEXT.value, show_default=True,
              help="What to print on stdout: text summary, the server's JSON envelope or HTML.")
@click.option("--html", "html", default=None, metavar="PATH",
              help="Also write the HTML report to PATH.")
@click.option("--audience", type=click.Choice(["partner", "operator"]), default="operator",
              show_default=True, help="Who the HTML report is for (partner: without the "
                                      "operator's rule-file and command-line hints).")
def check(file: str, rules: str, target: str, fmt: str, max_errors: int, with_source: bool,
          html: str | None, audience: str, **kw: Any) -> None:
    """Pre-flight FILE against a target: summary on stderr, report on stdout."""
    result = _run(file, rules, target, show_progress=ReportFormat(fmt) is ReportFormat.TEXT,
                  **kw)
    if html:
        write_report(ReportFormat.HTML, result, html, audience=audience)
    color = sys.stderr.isatty()
    click.echo(render(ReportFormat.TEXT, result, color=color, report=html).rstrip("\n"),
               err=True)
    if ReportFormat(fmt) is not ReportFormat.TEXT:
        click.echo(render(ReportFormat(fmt), result, cap=max_errors, with_source=with_source,
                          audience=audience), nl=False)
    _exit(result)


def _output_path(file: str, target: str, output: str) -> Path:
    out = Path(output)
    if out.is_dir() or output.endswith(("/", "\\")):
        out.mkdir(parents=True, exist_ok=True)
        out = out / (Path(file).stem + extension(load_target(target)))
    elif not out.parent.exists():
        raise OutputError("output folder does not exist", where=str(out.parent))
    return out


@cli.command()
@source_options
@click.option("-o", "--output", "output", required=True,
              help="Output file, or a folder (the file is named after the input).")
@click.option("--strict", is_flag=True, help="Write no converted output if any line has an error.")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@click.option("--payload-size", type=click.IntRange(min=1), default=None,
              help="Records per JSON payload file (targets that split payloads, e.g. wallie).")
@click.option("--upload-name", is_flag=True,
              help="With -o DIR: name the output {channel}_{dd-mm-yyyy}_{batch} (SPEC §4), "
                   "channel from --channel or the rule file's channel:.")
@click.option("--channel", default=None, help="Channel key for --upload-name (implies it).")
@click.option("--date", "day", callback=parse_day, default=None, metavar="DD-MM-YYYY",
              help="Date in the output name [default: the file's one sales day, else today].")
@click.option("--ledger", default=None, metavar="PATH",
              help="Ledger of names produced [default: $SALESFMT_LEDGER, else "
                   "~/.local/state/salesfmt/ledger.sqlite].")
def convert(file: str, rules: str, target: str, output: str, strict: bool, force: bool,
            max_errors: int, with_source: bool, upload_name: bool, channel: str | None,
            day: Any, ledger: str | None, **kw: Any) -> None:
    """Convert FILE for a target: good lines to the output, the JSON report beside it."""
    out = _output_path(file, target, output)
    named = None
    if upload_name or channel:
        channel = channel or load_rules(rules).channel
        if not channel or out.parent != Path(output):
            raise click.UsageError("--upload-name needs -o DIR and --channel or a rule file "
                                   "with channel:")
        named = NamedOutput(out.parent, channel, ext=out.suffix, ledger=ledger, day=day,
                            today=kw.get("today"))
    report_path = out.with_name(out.stem + ".report.json")
    out = named.pending if named else out
    payloads = sorted(out.parent.glob(f"{out.stem}.[0-9][0-9][0-9]{out.suffix}"))  # split JSON
    for p in (out,) if named else (out, report_path, *payloads):
        if Path(file).exists() and p.resolve() == Path(file).resolve():
            raise OutputError("refusing to overwrite the input file", where=str(p))
        if p.exists() and not force:
            raise OutputError("already exists (use --force to overwrite)", where=str(p))
    try:
        result = _run(file, rules, target, output=out, strict=strict, **kw)
        if named and result.output is not None:
            result.output, notes = named.finish(result)
            report_path = named.report or report_path
            click.echo("\n".join(notes), err=True)
        elif named and report_path.exists() and not force:
            raise OutputError("already exists (use --force to overwrite)", where=str(report_path))
    finally:
        if named:
            named.abort()
    report = envelope(result, cap=max_errors, with_source=with_source)
    atomic_write_text(report_path, json.dumps(report, ensure_ascii=False, indent=2,
                                              default=str) + "\n")
    click.echo(render(ReportFormat.TEXT, result, color=sys.stderr.isatty()).rstrip("\n"),
               err=True)
    if result.output is None and strict:
        click.echo("no output written (--strict and the file has errors)", err=True)
    click.echo(f"report: {report_path}", err=True)
    _exit(result)
