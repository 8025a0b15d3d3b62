"""Exit codes and the exceptions that map to them, defined once.

Validation never raises: problems go to the problem table. Exceptions are for
configuration, input and I/O errors only, and always end in exit code 2 with one line.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "ExitCode",
    "SalesfmtError",
    "InputError",
    "RuleError",
    "TargetError",
    "OutputError",
    "OptionError",
]


class ExitCode(IntEnum):
    """The command-line contract: 0 clean, 1 problems found, 2 anything else."""

    CLEAN = 0
    PROBLEMS = 1
    ERROR = 2


class SalesfmtError(Exception):
    """A configuration, input or I/O error: shown as one line, exit code 2."""

    exit_code = ExitCode.ERROR

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class InputError(SalesfmtError):
    """The partner file cannot be read (missing, empty, wrong format, bad encoding)."""


class RuleError(SalesfmtError):
    """A rule file is invalid (unknown key, unknown field, bad YAML, cycle)."""


class TargetError(SalesfmtError):
    """A target declaration is invalid or cannot be fed by the rules."""


class OutputError(SalesfmtError):
    """An output cannot be written (exists without --force, would overwrite the input)."""


class OptionError(SalesfmtError):
    """A library call got an invalid option value (e.g. a two-character delimiter)."""
