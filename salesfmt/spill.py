"""The memory budget and the spill folder: state that grows with the file moves to disk.

``SALESFMT_MEMORY_BUDGET`` (bytes, or with a K/M/G suffix: ``512M``) bounds each table
a run keeps across batches (cross-row keys, record lines, problem rows, grouped rows
waiting to be written); past it the table goes to Arrow IPC files in a private folder
under the system's temporary folder (``TMPDIR``), removed when the run ends. Results do
not depend on the budget: a tiny one gives the same bytes, only slower.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
from pathlib import Path

from salesfmt.errors import SalesfmtError

__all__ = ["BudgetError", "DEFAULT_BUDGET", "memory_budget", "batch_rows", "SpillDir"]

#: Default budget per table kept across batches (bytes).
DEFAULT_BUDGET = 64 * 2**20

_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}
_SIZE = re.compile(r"\s*(\d+)\s*([kmg]?)i?b?\s*", re.IGNORECASE)


class BudgetError(SalesfmtError):
    """``SALESFMT_MEMORY_BUDGET`` is not a size."""


def memory_budget() -> int:
    """The budget per table in bytes: ``SALESFMT_MEMORY_BUDGET`` or DEFAULT_BUDGET."""
    text = os.environ.get("SALESFMT_MEMORY_BUDGET", "").strip()
    if not text:
        return DEFAULT_BUDGET
    m = _SIZE.fullmatch(text)
    if m is None or int(m.group(1)) == 0:
        raise BudgetError(f"SALESFMT_MEMORY_BUDGET={text!r} is not a size such as 64M, "
                          "512K or 1G")
    return int(m.group(1)) * _UNITS[m.group(2).lower()]


def batch_rows(budget: int | None = None) -> int:
    """Rows per batch for the budget: 100,000 by default (a batch in flight takes about
    640 bytes a row, a few are in flight), fewer under a small budget (at least 100)."""
    budget = memory_budget() if budget is None else budget
    return min(100_000, max(100, budget // 640))


class SpillDir:
    """A private folder for spill files, made on first use and removed by ``close`` (or
    when the object is dropped, or at exit: a failed run leaves nothing behind)."""

    def __init__(self) -> None:
        self._path: Path | None = None
        self._count = 0
        self._finalizer: weakref.finalize | None = None

    def file(self, stem: str) -> Path:
        """A new file name in the folder (the folder is created on first use)."""
        if self._path is None:
            self._path = Path(tempfile.mkdtemp(prefix="salesfmt-spill-"))
            self._finalizer = weakref.finalize(self, shutil.rmtree, self._path, True)
        self._count += 1
        return self._path / f"{stem}-{self._count:06d}.arrow"

    @property
    def used(self) -> bool:
        """True once something was spilled."""
        return self._path is not None

    def close(self) -> None:
        """Remove the folder and its files."""
        if self._finalizer is not None:
            self._finalizer()  # removes the folder, once
            self._path = self._finalizer = None
