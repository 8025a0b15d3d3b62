"""One serializer per output shape, chosen by the target's ``output``; writes are atomic."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from salesfmt.targets.serializers._atomic import AtomicWriter
from salesfmt.targets.serializers.csv import CsvWriter
from salesfmt.targets.spec import Target

__all__ = ["OutputShape", "AtomicWriter", "open_writer", "WRITERS"]


class OutputShape(StrEnum):
    """Output shapes a target can declare."""

    CSV = "csv"


WRITERS: dict[OutputShape, Callable[[Path, Target], AtomicWriter]] = {
    OutputShape.CSV: CsvWriter,
}


def open_writer(path: Path, target: Target) -> AtomicWriter:
    """The writer for ``target``'s output shape, writing atomically to ``path``."""
    return WRITERS[OutputShape(target.output)](path, target)


def extension(target: Target) -> str:
    """File extension of ``target``'s output."""
    return {OutputShape.CSV: ".csv"}[OutputShape(target.output)]
