"""salesfmt: partner sales files → exactly what sales-ingest APIs accept, problems first.

The library API (see ``docs/api.md``): :func:`check` and :func:`convert` return a
:class:`Result`; configuration, input and output errors raise :class:`SalesfmtError`
subclasses. Names load on first use, so ``import salesfmt`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from salesfmt._version import __version__

if TYPE_CHECKING:
    from salesfmt.api import check, convert
    from salesfmt.errors import (
        ExitCode,
        InputError,
        OptionError,
        OutputError,
        RuleError,
        SalesfmtError,
        TargetError,
    )
    from salesfmt.pipeline import run
    from salesfmt.problems import PROBLEM_SCHEMA
    from salesfmt.report import envelope
    from salesfmt.result import Result
    from salesfmt.rules import load_rules
    from salesfmt.targets import load_target

#: public name → the module that defines it (imported on first access)
_LAZY = {
    "check": "salesfmt.api", "convert": "salesfmt.api",
    "Result": "salesfmt.result", "PROBLEM_SCHEMA": "salesfmt.problems",
    "ExitCode": "salesfmt.errors", "SalesfmtError": "salesfmt.errors",
    "InputError": "salesfmt.errors", "RuleError": "salesfmt.errors",
    "TargetError": "salesfmt.errors", "OutputError": "salesfmt.errors",
    "OptionError": "salesfmt.errors",
    "run": "salesfmt.pipeline", "envelope": "salesfmt.report",
    "load_rules": "salesfmt.rules", "load_target": "salesfmt.targets",
}

__all__ = ["ExitCode", "InputError", "OptionError", "OutputError", "PROBLEM_SCHEMA", "Result",
           "RuleError", "SalesfmtError", "TargetError", "__version__", "check", "convert",
           "envelope", "load_rules", "load_target", "run"]


def __getattr__(name: str) -> Any:
    """Load a public name on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'salesfmt' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
