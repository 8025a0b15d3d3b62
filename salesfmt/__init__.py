"""salesfmt: partner sales files → exactly what sales-ingest APIs accept, problems first.

The names below are imported on first use: ``salesfmt --version`` and ``--help`` load no
polars (``python -m salesfmt`` imports this package first).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["ExitCode", "Result", "SalesfmtError", "envelope", "load_rules", "load_target", "run"]
__version__ = "0.1.0"

_HOME = {"ExitCode": "salesfmt.errors", "SalesfmtError": "salesfmt.errors",
         "Result": "salesfmt.pipeline", "run": "salesfmt.pipeline",
         "envelope": "salesfmt.report", "load_rules": "salesfmt.rules",
         "load_target": "salesfmt.targets"}

if TYPE_CHECKING:
    from salesfmt.errors import ExitCode, SalesfmtError
    from salesfmt.pipeline import Result, run
    from salesfmt.report import envelope
    from salesfmt.rules import load_rules
    from salesfmt.targets import load_target


def __getattr__(name: str) -> Any:
    """``salesfmt.run`` and the other public names, imported when first asked for."""
    if name not in _HOME:
        raise AttributeError(f"module 'salesfmt' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value
