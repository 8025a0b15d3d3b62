"""salesfmt: partner sales files → exactly what sales-ingest APIs accept, problems first."""

from salesfmt.errors import ExitCode, SalesfmtError
from salesfmt.pipeline import Result, run
from salesfmt.report import envelope
from salesfmt.rules import load_rules
from salesfmt.targets import load_target

__all__ = ["ExitCode", "Result", "SalesfmtError", "envelope", "load_rules", "load_target", "run"]
__version__ = "0.1.0"
