"""JSON serializers, built from polars structs with ``struct.json_encode``.

* ``json``: one document ``{"<wrapper>": [record, …]}`` per payload; more records than
  ``payload_size`` are split into ``name.001.json``, ``name.002.json``, … (Wallie).
* ``jsonl``: one request body per line (Thalamus).

Records are rows (flat targets) or groups of rows (``group:`` targets) with the ``items``
list nested. Decimals go out as exact JSON numbers (``29.99``, never a float artefact), ids
typed integer as integers, booleans as booleans; null keys are left out. Flat JSON Lines
stream batch by batch; grouped records are spilled to Arrow IPC files (not held in
Python) and assembled in record order at the end.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

import polars as pl

from salesfmt.canonical import Kind
from salesfmt.checks.crossrow import LINE, SEQ
from salesfmt.targets.serializers._atomic import AtomicWriter
from salesfmt.targets.spec import Target, TargetField
from salesfmt.targets.validate import UNIX, out, value

__all__ = ["JsonWriter", "JsonLinesWriter", "encode_records"]

_JSON = "__json"
DEFAULT_PAYLOAD_SIZE = 1000


def _encoded(f: TargetField) -> pl.Expr:
    """The field as the value json_encode should see (decimals as text, unquoted later)."""
    if f.kind in (Kind.INTEGER, Kind.BOOLEAN):
        return pl.col(value(f.name)).alias(f.name)
    if f.format == UNIX:
        return pl.col(out(f.name)).cast(pl.Int64).alias(f.name)
    return pl.col(out(f.name)).alias(f.name)


def _alternation(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in names)


def _finish_json(text: pl.Expr, target: Target) -> pl.Expr:
    """Unquote decimals and drop null keys. Safe on encoded text: inside a JSON string every
    quote is escaped, so the quoted-key patterns below only ever match real keys."""
    decimals = [f.name for f in target.fields if f.kind is Kind.DECIMAL]
    if decimals:
        text = text.str.replace_all(
            rf'"({_alternation(decimals)})":"(-?[0-9]+(?:\.[0-9]+)?)"', '"${1}":${2}')
    if target.options.get("omit_null", True):
        keys = _alternation([f.name for f in target.fields])
        text = (text.str.replace_all(rf',"(?:{keys})":null', "")
                .str.replace_all(rf'\{{"(?:{keys})":null,', "{")
                .str.replace_all(rf'\{{"(?:{keys})":null\}}', "{}"))
    return text


def encode_records(frame: pl.DataFrame, target: Target) -> pl.DataFrame:
    """One JSON text per record (``__line``, ``__json``), in record order.

    ``frame`` holds ``__line``, ``__seq`` and one encoded column per target field.
    """
    names = [f.name for f in target.fields]
    group = target.group
    if group is None:
        records = frame.sort(SEQ).select(LINE, pl.struct(names).alias(_JSON))
    else:
        items = [n for n in names if n not in group.record]
        records = (frame.sort(SEQ).group_by(LINE, maintain_order=True)
                   .agg(*[pl.col(n).first() for n in group.record],
                        pl.struct(items).alias(group.items))
                   .sort(LINE)
                   .select(LINE, pl.struct([*group.record, group.items]).alias(_JSON)))
    return records.select(
        LINE, _finish_json(pl.col(_JSON).struct.json_encode(), target).alias(_JSON))


class _Buffered(AtomicWriter):
    """Spills encoded batches to IPC files; ``_emit`` writes the records in order."""

    def __init__(self, path: Path, target: Target) -> None:
        super().__init__(path, target)
        self.fields = list(target.fields)
        self._dir = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", dir=self.path.parent))
        self._parts: list[Path] = []
        self._rejected: list[pl.Series] = []
        self.paths: list[Path] = []

    def write(self, batch: pl.DataFrame) -> None:
        frame = batch.select(LINE, SEQ, *[_encoded(f) for f in self.fields])
        if frame.height == 0:
            return
        part = self._dir / f"{len(self._parts):06d}.arrow"
        frame.write_ipc(part)
        self._parts.append(part)

    def reject(self, lines: pl.Series) -> None:
        if lines.len():
            self._rejected.append(lines)

    def _records(self) -> pl.DataFrame:
        if not self._parts:
            return pl.DataFrame(schema={LINE: pl.Int64, _JSON: pl.String})
        frame = pl.scan_ipc(self._parts)
        if self._rejected:
            bad = pl.concat(self._rejected).unique().implode()
            frame = frame.filter(~pl.col(LINE).is_in(bad))
        return encode_records(frame.collect(), self.target)

    def finish(self) -> None:
        records = self._records()
        self.records = records.height
        self._emit(records)

    def _cleanup(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def commit(self) -> Path:
        try:
            self.finish()
            for tmp, final in self._moves():
                os.replace(tmp, final)
        finally:
            self._cleanup()
        return self.paths[0] if self.paths else self.path

    def abort(self) -> None:
        self._cleanup()
        super().abort()

    def _moves(self) -> list[tuple[Path, Path]]:
        return [(self.tmp, self.path)]

    def _emit(self, records: pl.DataFrame) -> None:
        raise NotImplementedError


def _slices(texts: pl.Series, size: int) -> list[pl.Series]:
    """Zero-copy slices of ``size`` records."""
    return [texts.slice(i, size) for i in range(0, texts.len(), size)]


def _joined(texts: pl.Series, separator: str) -> bytes:
    """The texts joined into one string by polars (no Python list of records)."""
    return texts.str.join(separator).item().encode("utf-8")


def _write_lines(fh: BinaryIO, texts: pl.Series) -> None:
    if texts.len():
        fh.write(_joined(texts, "\n") + b"\n")


class JsonLinesWriter(_Buffered):
    """One JSON object per line; flat targets stream, grouped ones are assembled at the end."""

    extension = ".jsonl"

    def write(self, batch: pl.DataFrame) -> None:
        if self.target.group is not None:
            super().write(batch)
            return
        frame = batch.select(LINE, SEQ, *[_encoded(f) for f in self.fields])
        records = encode_records(frame, self.target)
        with self.tmp.open("ab") as fh:
            _write_lines(fh, records[_JSON])
        self.records += records.height

    def finish(self) -> None:
        if self.target.group is not None:
            super().finish()

    def _emit(self, records: pl.DataFrame) -> None:
        with self.tmp.open("wb") as fh:
            for chunk in _slices(records[_JSON], 50_000):
                _write_lines(fh, chunk)


class JsonWriter(_Buffered):
    """``{"<wrapper>": [...]}`` documents of at most ``payload_size`` records each."""

    extension = ".json"

    def _emit(self, records: pl.DataFrame) -> None:
        size = int(self.target.options.get("payload_size") or DEFAULT_PAYLOAD_SIZE)
        wrapper = self.target.options.get("wrapper", "records")
        chunks = _slices(records[_JSON], size) or [pl.Series(_JSON, [], pl.String)]
        self.paths = [self.path] if len(chunks) == 1 else [
            self.path.with_name(f"{self.path.stem}.{i:03d}{self.path.suffix}")
            for i in range(1, len(chunks) + 1)]
        self._temps = [self.tmp] + [
            Path(tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)[1])
            for p in self.paths[1:]]
        head = '{"' + wrapper + '":['
        for tmp, chunk in zip(self._temps, chunks, strict=True):
            with tmp.open("wb") as fh:
                fh.write(head.encode("utf-8"))
                if chunk.len():
                    fh.write(b"\n")
                    fh.write(_joined(chunk, ",\n"))
                    fh.write(b"\n")
                fh.write(b"]}\n")

    def _moves(self) -> list[tuple[Path, Path]]:
        return list(zip(self._temps, self.paths, strict=True))

    def abort(self) -> None:
        for tmp in getattr(self, "_temps", [])[1:]:
            tmp.unlink(missing_ok=True)
        super().abort()
