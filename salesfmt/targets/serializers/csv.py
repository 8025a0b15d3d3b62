"""Flat CSV serializer: UTF-8, comma, LF, header on line 1, one record per line."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from salesfmt.targets.serializers._atomic import AtomicWriter
from salesfmt.targets.spec import Target
from salesfmt.targets.validate import out

__all__ = ["CsvWriter"]


class CsvWriter(AtomicWriter):
    """Streams batches of output text into one CSV file."""

    extension = ".csv"

    def __init__(self, path: Path, target: Target) -> None:
        super().__init__(path, target)
        self.columns = [f.name for f in target.fields]
        self._fh = self.tmp.open("wb")
        self._fh.write((",".join(self.columns) + "\n").encode("utf-8"))

    def write(self, batch: pl.DataFrame) -> None:
        frame = batch.select([pl.col(out(c)).alias(c) for c in self.columns])
        frame.write_csv(self._fh, include_header=False, line_terminator="\n")
        self.records += frame.height

    def finish(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def abort(self) -> None:
        self.finish()
        super().abort()
