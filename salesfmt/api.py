"""The library API: check or convert one partner file, get a :class:`~salesfmt.Result`.

>>> import salesfmt
>>> from datetime import date
>>> result = salesfmt.check("samples/kassa-export-nl.csv", rules="kassa-nl",
...                         to="bulk-csv", today=date(2026, 12, 31))
>>> result.rows_read, result.rows_out, result.rows_rejected, result.rows_skipped
(25, 17, 7, 1)
>>> result.errors.select("line", "row", "column", "code").head(2).rows()
[(6, 6, 'G', 'invalid_number'), (9, 9, 'C', 'not_a_date')]

Configuration, input and output errors raise :class:`~salesfmt.SalesfmtError` subclasses;
problems in the file never raise, they are rows of ``result.problems``.
"""

from __future__ import annotations

import errno
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from salesfmt.errors import OptionError, OutputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from salesfmt.result import Result
    from salesfmt.rules import RuleSet
    from salesfmt.targets import Target

__all__ = ["check", "convert"]

#: errors that mean the output could not be written, whichever file met them
_WRITE_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS}


def _char(name: str, text: str | None) -> str | None:
    if text is None:
        return None
    if not isinstance(text, str) or len(text) != 1 or not text.isascii() or text in "\r\n":
        raise OptionError(f"{name} must be one ASCII character other than a line break, "
                          f"not {text!r}")
    return text


def _positive(name: str, n: int | None) -> int | None:
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise OptionError(f"{name} must be a whole number of at least 1, not {n!r}")
    return n


def _load(rules: str | Path | RuleSet, to: str | Path | Target, variant: str | None,
          payload_size: int | None) -> tuple[RuleSet, Target]:
    from salesfmt.rules import RuleSet, load_rules
    from salesfmt.targets import Target, load_target, with_options

    ruleset = rules if isinstance(rules, RuleSet) else load_rules(rules)
    if isinstance(to, Target):
        if variant is not None:
            raise OptionError("variant applies to a target given by name or path")
        target = to
    else:
        target = load_target(str(to), variant)
    return ruleset, with_options(target, payload_size=_positive("payload_size", payload_size))


def _run(path: str | Path, rules: str | Path | RuleSet, to: str | Path | Target, *,
         output: Path | None, strict: bool, variant: str | None, payload_size: int | None,
         today: date | None, sheet: str | int | None, encoding: str | None,
         delimiter: str | None, quote_char: str | None, escape_char: str | None,
         header_row: int | None, progress: Callable[[int], None] | None) -> Result:
    from salesfmt.pipeline import run

    if today is not None and not isinstance(today, date):
        raise OptionError(f"today must be a datetime.date, not {today!r}")
    ruleset, target = _load(rules, to, variant, payload_size)
    reader = {"sheet": sheet, "encoding": encoding, "delimiter": _char("delimiter", delimiter),
              "quote_char": _char("quote_char", quote_char),
              "escape_char": _char("escape_char", escape_char),
              "header_row": _positive("header_row", header_row)}
    return run(path, ruleset, target, today=today, output=output, strict=strict,
               progress=progress, **reader)


def check(path: str | Path, rules: str | Path | RuleSet, to: str | Path | Target = "bulk-csv",
          *, variant: str | None = None, today: date | None = None,
          sheet: str | int | None = None, encoding: str | None = None,
          delimiter: str | None = None, quote_char: str | None = None,
          escape_char: str | None = None, header_row: int | None = None,
          progress: Callable[[int], None] | None = None) -> Result:
    """Check one partner file against a target; writes nothing.

    ``rules`` and ``to`` are bundled names, paths to declaration files, or loaded
    declarations. The reader options (``sheet``, ``encoding``, ``delimiter``, ...) override
    the rule file's, as the command line's do; ``today`` fixes the future-date check's day.
    """
    return _run(path, rules, to, output=None, strict=False, variant=variant,
                payload_size=None, today=today, sheet=sheet, encoding=encoding,
                delimiter=delimiter, quote_char=quote_char, escape_char=escape_char,
                header_row=header_row, progress=progress)


def convert(path: str | Path, rules: str | Path | RuleSet, to: str | Path | Target = "bulk-csv",
            *, output: str | Path, strict: bool = False, force: bool = False,
            variant: str | None = None, payload_size: int | None = None,
            today: date | None = None, sheet: str | int | None = None,
            encoding: str | None = None, delimiter: str | None = None,
            quote_char: str | None = None, escape_char: str | None = None,
            header_row: int | None = None,
            progress: Callable[[int], None] | None = None) -> Result:
    """Convert one partner file as ``salesfmt convert`` does: the good lines go to ``output``
    (a file, or an existing folder: named after the input) with the JSON report beside it
    (``<stem>.report.json``), published together; ``result.output`` says where.

    An existing output is an :class:`~salesfmt.errors.OutputError` unless ``force``;
    ``strict`` writes no output (the report only) when any line has an error.
    """
    import json

    from salesfmt.outputs import OutputSet, Stage, os_errno, output_error
    from salesfmt.report.envelope import envelope
    from salesfmt.targets.serializers import extension

    source = Path(path)
    _, target = _load(rules, to, variant, payload_size)
    out = Path(output)
    if out.is_dir():
        out = out / (source.stem + extension(target))
    if not out.parent.is_dir():
        raise OutputError("output folder does not exist", where=str(out.parent))
    owned = OutputSet(out.parent, out.stem, out.suffix)
    if source.exists() and out.resolve() == source.resolve():
        raise OutputError("refusing to overwrite the input file", where=str(out))
    existing = owned.members()
    if existing and not force:
        raise OutputError("already exists (use force=True to overwrite)", where=str(existing[0]))
    try:
        with Stage(out.parent) as stage:
            result = _run(path, rules, target, output=stage.path / ("output" + out.suffix),
                          strict=strict, variant=None, payload_size=None, today=today,
                          sheet=sheet, encoding=encoding, delimiter=delimiter,
                          quote_char=quote_char, escape_char=escape_char,
                          header_row=header_row, progress=progress)
            produced = (OutputSet(stage.path, "output", out.suffix).members()
                        if result.output else [])
            report = stage.path / "output.report.json"
            report.write_text(json.dumps(envelope(result), ensure_ascii=False, indent=2,
                                         default=str) + "\n", encoding="utf-8")
            finals = stage.publish([*produced, report], "output", owned, force=force,
                                   protect=source)
    except OSError as exc:
        if os_errno(exc) in _WRITE_ERRNOS or exc.filename and Path(str(exc.filename)).resolve().is_relative_to(
                out.parent.resolve()):
            raise output_error(exc, out) from None
        raise
    result.output = finals[0] if produced else None
    return result
