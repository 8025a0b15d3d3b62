"""Options shared by the commands that read a partner file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import click

from salesfmt.i18n import Language
from salesfmt.report import DEFAULT_CAP

__all__ = ["source_options", "parse_today", "parse_day", "parse_char"]

_NAMED = {"tab": "\t", "\\t": "\t"}
_NOT_A_SEPARATOR = {'"': "the quote character", "\n": "a line break", "\r": "a line break"}


def parse_today(ctx: click.Context, param: click.Parameter, text: str | None) -> date | None:
    """``--today YYYY-MM-DD`` → date."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from None


def parse_day(ctx: click.Context, param: click.Parameter, text: str | None) -> date | None:
    """``--date dd-mm-yyyy`` (the upload file name's date) → date."""
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%d-%m-%Y").date()
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date (dd-mm-yyyy)") from None


def parse_char(ctx: click.Context, param: click.Parameter, text: str | None) -> str | None:
    """``--delimiter`` / ``--quote-char`` / ``--escape-char``: one ASCII character (``tab``, ``\\t``)."""
    if text is None:
        return None
    char = _NAMED.get(text.lower(), text)
    if len(char) != 1 or not char.isascii():
        what = (param.name or "value").replace("_", " ")
        raise click.BadParameter(f"{text!r}: the {what} must be one ASCII character, such "
                                 "as ';' or '|' (or 'tab')")
    if param.name == "delimiter" and char in _NOT_A_SEPARATOR:
        raise click.BadParameter(f"{text!r} is {_NOT_A_SEPARATOR[char]}, not a delimiter")
    if char in "\r\n":
        raise click.BadParameter(f"{text!r} is a line break")
    return char


def source_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """FILE, --rules, --to and the reader overrides."""
    decorators = [
        click.argument("file", type=click.Path(path_type=str)),
        click.option("--rules", "-r", "rules", required=True,
                     help="Rule file path or bundled rule name (see 'salesfmt rules list')."),
        click.option("--to", "-t", "target", required=True,
                     help="Target name (see 'salesfmt targets')."),
        click.option("--sheet", default=None, help="Workbook sheet name or 1-based number."),
        click.option("--encoding", default=None, help="Force the CSV encoding."),
        click.option("--delimiter", default=None, callback=parse_char,
                     help="Force the CSV delimiter: one character (tab: 'tab' or '\\t')."),
        click.option("--header-row", type=click.IntRange(min=1), default=None,
                     help="Force the 1-based header row."),
        click.option("--variant", default=None,
                     help="Column variant of the target (see its declaration's variants:)."),
        click.option("--today", callback=parse_today, default=None, metavar="YYYY-MM-DD",
                     help="Fix 'today' for future-date checks (default: the real date)."),
        click.option("--max-errors", type=click.IntRange(min=0), default=DEFAULT_CAP,
                     show_default=True, help="Lines listed in the JSON report's errors."),
        click.option("--with-source", is_flag=True,
                     help="Add partner-file coordinates (sheet, row, column, value) per error."),
        click.option("--lang", "lang", type=click.Choice([x.value for x in Language]),
                     default=None, help="Language of the HTML report and the summary "
                     "[default: the rule file's language:, else en]. The JSON report keeps "
                     "the server's wording."),
    ]
    for deco in reversed(decorators):
        fn = deco(fn)
    return fn
