"""Atomic output: write to a hidden temporary file beside the target, rename on commit.

Temporary names carry the run's identity (:func:`salesfmt.outputs.temp_prefix`), so a later
run removes those a killed run left behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import polars as pl

from salesfmt.columns import out, value
from salesfmt.outputs import temp_prefix
from salesfmt.util import publish

__all__ = ["AtomicWriter"]


class AtomicWriter:
    """Base writer: subclasses write batches into ``self.tmp``; ``commit`` renames it."""

    extension = ""

    def __init__(self, path: Path, target: object) -> None:
        self.path = Path(path)
        self.target = target
        fd, name = tempfile.mkstemp(prefix=f"{temp_prefix()}{self.path.name}.", suffix=".tmp",
                                    dir=self.path.parent)
        os.close(fd)
        self.tmp = Path(name)
        self.records = 0

    def columns(self) -> list[str]:
        """Frame columns ``write`` reads: by default every field's output text (``o:``)
        and typed value (``t:``); the batch loop computes only what writers read."""
        fields = self.target.fields  # type: ignore[attr-defined]
        return [*(out(f.name) for f in fields), *(value(f.name) for f in fields)]

    def write(self, batch: pl.DataFrame) -> None:
        """Write a batch of good rows (target output columns)."""
        raise NotImplementedError

    def reject(self, lines: pl.Series) -> None:
        """Records (output lines) with an error: grouped writers drop them whole."""

    def finish(self) -> None:
        """Flush anything buffered into ``self.tmp`` (before commit)."""

    def commit(self) -> Path:
        """Finish the file and move it into place atomically."""
        self.finish()
        publish(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the partial output."""
        self.tmp.unlink(missing_ok=True)
