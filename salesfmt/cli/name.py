"""``salesfmt name``: suggest or check an upload file name (SPEC §4)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from salesfmt.cli import cli
from salesfmt.cli._options import parse_day, parse_today
from salesfmt.errors import ExitCode, SalesfmtError
from salesfmt.naming import ALREADY_UPLOADED, Ledger, check_name, choose_date, ledger_entry, slug
from salesfmt.report.terminal import terminal_safe

__all__ = ["name"]


def _sale_dates(file: str, rules: str | None, target: str, today: date | None) -> Any:
    """First and last sales day of FILE's convertible rows (a check run, nothing written)."""
    from salesfmt.pipeline import run
    from salesfmt.rules import load_rules
    from salesfmt.targets import load_target

    if rules is None:
        raise click.UsageError("FILE needs --rules to find its sales date")
    return run(file, load_rules(rules), load_target(target), today=today).sale_dates


def _check(to_check: str, ledger: str | None) -> None:
    """Exit 0 when NAME follows the convention and is not in the ledger, else 1 saying why."""
    shown = terminal_safe(to_check)
    problems = check_name(to_check)
    entry = ledger_entry(to_check, ledger)
    if entry is not None:  # the server's own words, then where salesfmt knows it from
        source = f", from {terminal_safe(entry['source'])}" if entry["source"] else ""
        problems.append(f"{ALREADY_UPLOADED} (in the ledger {terminal_safe(entry['ledger'])} "
                        f"since {entry['created'][:19].replace('T', ' ')} UTC{source}); "
                        "take the next free name with 'salesfmt name'")
    for text in problems:
        click.echo(f"{shown}: {terminal_safe(text)}")
    if not problems:
        click.echo(f"{shown}: follows {{channel}}_{{dd-mm-yyyy}}_{{batch}}.csv and is not in "
                   "the ledger")
    raise click.exceptions.Exit(ExitCode.PROBLEMS if problems else ExitCode.CLEAN)


@cli.command()
@click.argument("file", required=False)
@click.option("--channel", default=None,
              help="Channel key, e.g. charity_lotery [default: FILE's rule file channel:].")
@click.option("--date", "day", callback=parse_day, default=None, metavar="DD-MM-YYYY",
              help="Date in the name [default: FILE's one sales day, else today].")
@click.option("--ledger", default=None, metavar="PATH",
              help="Ledger of names produced [default: $SALESFMT_LEDGER, else "
                   "~/.local/state/salesfmt/ledger.sqlite].")
@click.option("--dir", "folder", default=None, type=click.Path(file_okay=False),
              help="Output folder whose files also count as used names.")
@click.option("--rules", "-r", "rules", default=None, help="Rule file for FILE.")
@click.option("--to", "-t", "target", default="bulk-csv", show_default=True,
              help="Target for FILE.")
@click.option("--today", callback=parse_today, default=None, metavar="YYYY-MM-DD",
              help="Fix 'today' (default: the real date).")
@click.option("--check", "to_check", default=None, metavar="NAME",
              help="Check NAME against the convention and the ledger instead (exit 0 fine, "
                   "1 not).")
@click.option("--record", "to_record", default=None, metavar="NAME",
              help="Record NAME in the ledger as used (a file uploaded by other means).")
def name(file: str | None, channel: str | None, day: date | None, ledger: str | None,
         folder: str | None, rules: str | None, target: str, today: date | None,
         to_check: str | None, to_record: str | None) -> None:
    """Suggest the next upload file name {channel}_{dd-mm-yyyy}_{batch}.csv, or check one.

    The batch is the smallest positive number not used for that channel and date in the
    ledger or the --dir folder. Nothing is recorded: 'convert -o DIR' records the names
    it hands out.
    """
    if to_check is not None:
        _check(to_check, ledger)
    if to_record is not None:
        with Ledger(ledger) as book:
            try:
                added = book.record(to_record)
            except ValueError as exc:
                raise SalesfmtError(str(exc), where=str(book.path)) from None
            click.echo(f"{to_record}: {'recorded' if added else 'already in'} {book.path}")
        return
    if channel is None and file is not None and rules is not None:
        from salesfmt.rules import load_rules

        channel = load_rules(rules).channel
    if not channel:
        raise click.UsageError("give --channel (or FILE with a rule file that has channel:)")
    try:
        slug(channel)
    except ValueError as exc:
        raise SalesfmtError(str(exc)) from None
    dates = _sale_dates(file, rules, target, today) if file else None
    chosen, why = choose_date(dates, day, today or date.today())
    with Ledger(ledger) as book:
        suggestion = book.suggest(channel, chosen, folder=Path(folder) if folder else None)
    click.echo(suggestion)
    click.echo(f"date: {why}", err=True)
