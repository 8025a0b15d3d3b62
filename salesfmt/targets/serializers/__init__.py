"""One serializer per output shape, chosen by the target's ``output``; writes are atomic."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from salesfmt.targets.serializers._atomic import AtomicWriter
from salesfmt.targets.serializers.csv import CsvWriter
from salesfmt.targets.serializers.json import JsonLinesWriter, JsonWriter
from salesfmt.targets.serializers.xlsx import XlsxTemplateWriter
from salesfmt.targets.spec import Target

__all__ = ["OutputShape", "AtomicWriter", "open_writer", "extension", "WRITERS"]


class OutputShape(StrEnum):
    """Output shapes a target can declare."""

    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"
    JSONL = "jsonl"


WRITERS: dict[OutputShape, type[AtomicWriter]] = {
    OutputShape.CSV: CsvWriter,
    OutputShape.XLSX: XlsxTemplateWriter,
    OutputShape.JSON: JsonWriter,
    OutputShape.JSONL: JsonLinesWriter,
}


def open_writer(path: Path, target: Target) -> AtomicWriter:
    """The writer for ``target``'s output shape, writing atomically to ``path``."""
    return WRITERS[OutputShape(target.output)](path, target)


def extension(target: Target) -> str:
    """File extension of ``target``'s output."""
    return WRITERS[OutputShape(target.output)].extension
