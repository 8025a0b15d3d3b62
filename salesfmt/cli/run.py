"""``salesfmt check`` and ``salesfmt convert``."""

from __future__ import annotations

import errno
import json
import sys
from pathlib import Path
from typing import Any

import click

from salesfmt.cli import cli
from salesfmt.cli._options import parse_day, source_options
from salesfmt.errors import ExitCode, OutputError
from salesfmt.naming import NamedOutput
from salesfmt.outputs import (
    OutputSet,
    Stage,
    os_errno,
    output_error,
    refuse_existing,
    sweep,
)
from salesfmt.pipeline import Result, run
from salesfmt.rejects import RejectsFormat, rejects_bytes
from salesfmt.report import Progress, ReportFormat, envelope, render, write_report
from salesfmt.rules import load_rules
from salesfmt.targets import load_target, with_options
from salesfmt.targets.serializers import extension

__all__ = ["check", "convert", "rejects_path"]

#: errors that mean the output could not be written, whichever file met them
_WRITE_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS}


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
@click.option("--force", is_flag=True, help="Overwrite an existing --html file.")
def check(file: str, rules: str, target: str, fmt: str, max_errors: int, with_source: bool,
          html: str | None, audience: str, force: bool, lang: str | None, **kw: Any) -> None:
    """Pre-flight FILE against a target: summary on stderr, report on stdout."""
    if html:
        refuse_existing(Path(html), force=force, protect=Path(file))
    result = _run(file, rules, target, show_progress=ReportFormat(fmt) is ReportFormat.TEXT,
                  **kw)
    if html:
        write_report(ReportFormat.HTML, result, html, force=force, audience=audience,
                     lang=lang)
    color = sys.stderr.isatty()
    click.echo(render(ReportFormat.TEXT, result, color=color, report=html,
                      lang=lang).rstrip("\n"), err=True)
    if ReportFormat(fmt) is not ReportFormat.TEXT:
        click.echo(render(ReportFormat(fmt), result, cap=max_errors, with_source=with_source,
                          audience=audience, lang=lang), nl=False)
    _exit(result)


def _refuse_existing(owned: OutputSet, source: Path, force: bool) -> None:
    """Before converting: the input is never an output, and an earlier set needs --force."""
    for p in (owned.output, owned.report):
        if source.exists() and p.resolve() == source.resolve():
            raise OutputError("refusing to overwrite the input file", where=str(p))
    existing = owned.members()
    if existing and not force:
        raise OutputError("already exists (use --force to overwrite)", where=str(existing[0]))


def _writing(exc: OSError, folder: Path) -> bool:
    """Whether an OSError came from writing the output set (full disk, file too large, ...)."""
    if os_errno(exc) in _WRITE_ERRNOS:
        return True
    return bool(exc.filename) and Path(str(exc.filename)).resolve().is_relative_to(
        folder.resolve())


def _convert_staged(stage: Stage, file: str, rules: str, target: str, owned: OutputSet,
                    named: NamedOutput | None, *, strict: bool, force: bool, kw: dict,
                    report: dict, lang: str | None = None) -> tuple[Result, Path]:
    """Convert into the staging folder, write the report there, publish the set as one."""
    stem = "output" if named else owned.stem
    result = _run(file, rules, target, output=stage.path / (stem + owned.ext), strict=strict,
                  **kw)
    produced = OutputSet(stage.path, stem, owned.ext).members() if result.output else []
    if owned.extras:  # the rejects file, in its own folder: any name is free there
        (stage.path / "rejects").mkdir()
        rejects = stage.path / "rejects" / owned.extras[0]
        rejects.write_bytes(rejects_bytes(result, lang))
        produced_extra = [rejects]
    else:
        produced_extra = []
    staged_report = stage.path / f"{stem}.report.json"
    staged_report.write_text(json.dumps(envelope(result, **report), ensure_ascii=False,
                                        indent=2, default=str) + "\n", encoding="utf-8")
    staged = [*produced, *produced_extra, staged_report]
    source = Path(file)

    def publish(final: str, ext: str | None = owned.ext) -> list[Path]:
        return stage.publish(staged, stem, OutputSet(owned.folder, final, ext, owned.extras),
                             force=force, protect=source)

    if named and produced:
        finals, notes = named.finish(result, produced, publish)
        click.echo("\n".join(notes), err=True)
    elif named:  # --strict with errors: the report alone, named after the input
        finals = publish(source.stem, None)
    else:
        finals = publish(owned.stem)
    result.output = finals[0] if produced else None
    return result, finals[-1]


def _output_path(file: str, target: str, output: str) -> Path:
    out = Path(output)
    if out.is_dir() or output.endswith(("/", "\\")):
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create the output folder ({exc.strerror or exc})",
                              where=output) from None
        out = out / (Path(file).stem + extension(load_target(target)))
    elif not out.parent.exists():
        raise OutputError("output folder does not exist", where=str(out.parent))
    return out


def rejects_path(rejects: str | None, file: str, folder: Path | None = None) -> Path | None:
    """``--rejects PATH``: the extension the partner file's format gives it (CSV stays
    CSV, workbooks → .xlsx) and, for ``convert``, a file in the output folder."""
    if rejects is None:
        return None
    path = Path(rejects)
    fmt = RejectsFormat.for_input(file)
    if path.suffix.lower() not in fmt.suffixes:
        raise click.UsageError(f"--rejects {rejects}: the rejects of this file are "
                               f"{fmt.value.upper()}, name it *{fmt.suffixes[0]}")
    if folder is not None and path.parent.resolve() != folder.resolve():
        raise click.UsageError(f"--rejects {rejects}: the rejects file is part of the output "
                               f"set, name a file in the output folder {folder}")
    return path


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
@click.option("--rejects", default=None, metavar="PATH",
              help="Also write the rejected lines in the partner's own layout (CSV → CSV, "
                   "workbook → XLSX) with a Problems column, to fix and resend; a file in "
                   "the output folder, part of the output set.")
@click.option("--date", "day", callback=parse_day, default=None, metavar="DD-MM-YYYY",
              help="Date in the output name [default: the file's one sales day, else today].")
@click.option("--ledger", default=None, metavar="PATH",
              help="Ledger of names produced [default: $SALESFMT_LEDGER, else "
                   "~/.local/state/salesfmt/ledger.sqlite].")
@click.option("--no-progress", "show_progress", flag_value=False, default=True,
              help="No progress bar on stderr (shown on a terminal for runs over 1 s).")
def convert(file: str, rules: str, target: str, output: str, strict: bool, force: bool,
            max_errors: int, with_source: bool, upload_name: bool, channel: str | None,
            day: Any, ledger: str | None, rejects: str | None, lang: str | None,
            **kw: Any) -> None:
    """Convert FILE for a target: good lines to the output, the JSON report beside it."""
    out = _output_path(file, target, output)
    extra = rejects_path(rejects, file, out.parent)
    if extra is not None and extra.name in (out.name, f"{out.stem}.report.json"):
        raise click.UsageError(f"--rejects {rejects}: that name is the output's or the "
                               "report's")
    named = None
    if upload_name or channel:
        channel = channel or load_rules(rules).channel
        if not channel or out.parent != Path(output):
            raise click.UsageError("--upload-name needs -o DIR and --channel or a rule file "
                                   "with channel:")
        named = NamedOutput(out.parent, channel, ext=out.suffix, ledger=ledger, day=day,
                            today=kw.get("today"))
    owned = OutputSet(out.parent, out.stem, out.suffix, (extra.name,) if extra else ())
    try:
        sweep(out.parent)  # a dead run's half-published set must not block this one
        if not named:
            _refuse_existing(owned, Path(file), force)
        with Stage(out.parent) as stage:
            result, report_path = _convert_staged(stage, file, rules, target, owned, named,
                                                  strict=strict, force=force, kw=kw, lang=lang,
                                                  report=dict(cap=max_errors,
                                                              with_source=with_source))
    except OSError as exc:
        if not _writing(exc, out.parent):
            raise
        raise output_error(exc, out) from None
    click.echo(render(ReportFormat.TEXT, result, color=sys.stderr.isatty(),
                      lang=lang).rstrip("\n"), err=True)
    if result.output is None and strict:
        click.echo("no output written (--strict and the file has errors)", err=True)
    if extra is not None:
        click.echo(f"rejects: {out.parent / extra.name} ({result.rows_rejected} line(s))",
                   err=True)
    click.echo(f"report: {report_path}", err=True)
    _exit(result)
