"""JSON serializers, built by polars string expressions, whole batches at a time.

* ``json``: one document ``{"<wrapper>": [record, …]}`` per payload; more records than
  ``payload_size`` are split into ``name.001.json``, ``name.002.json``, … (Wallie).
* ``jsonl``: one request body per line (Thalamus).

Records are rows (flat targets) or groups of rows (``group:`` targets) with the ``items``
list nested. Every field becomes a ``"key":value`` fragment: decimals are written from
their exact decimal text (``29.99``, never a float artefact), integers and booleans bare,
text as a JSON string (RFC 8259 escaping: quote, backslash, U+0000–U+001F); fragments of
null values are left out. (polars' ``struct.json_encode`` writes decimals as strings and
keeps null keys; fixing that afterwards with regular expressions cost 19 s per 1M lines.)
Flat JSON Lines stream batch by batch; grouped records are spilled to Arrow IPC files
(never Python objects) and assembled in record order at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import polars as pl

from salesfmt.canonical import Kind
from salesfmt.columns import LINE, SEQ, out
from salesfmt.outputs import OutputSet, temp_prefix
from salesfmt.targets.serializers._atomic import AtomicWriter
from salesfmt.targets.spec import Target, TargetField
from salesfmt.targets.validate import UNIX
from salesfmt.util import publish

__all__ = ["JsonWriter", "JsonLinesWriter", "encode_records", "json_string"]

_JSON = "__json"
DEFAULT_PAYLOAD_SIZE = 1000
_CONTROL = [chr(i) for i in range(32)]
_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def json_string(e: pl.Expr) -> pl.Expr:
    """A String expression as JSON string literals (quoted and escaped)."""
    patterns = ['"', "\\", *_CONTROL]
    repl = ['\\"', "\\\\", *[_ESCAPES.get(c, f"\\u{ord(c):04x}") for c in _CONTROL]]
    return pl.concat_str([pl.lit('"'), e.str.replace_many(patterns, repl), pl.lit('"')])


def _bare(f: TargetField) -> bool:
    return f.kind in (Kind.INTEGER, Kind.DECIMAL, Kind.BOOLEAN) or f.format == UNIX


def fragment(f: TargetField, omit_null: bool = True) -> pl.Expr:
    """``"name":value`` for the field (null, so left out, where the value is null)."""
    text = pl.col(out(f.name))
    token = text if _bare(f) else json_string(text)
    if not omit_null:
        token = token.fill_null(pl.lit("null"))
    return pl.concat_str([pl.lit(json.dumps(f.name) + ":"), token]).alias(f.name)


def _object(parts: list[pl.Expr]) -> pl.Expr:
    return pl.concat_str([pl.lit("{"), pl.concat_str(parts, separator=",", ignore_nulls=True),
                          pl.lit("}")])


_FIRST, _LAST, _REC = "__first", "__last", "__rec"


def encode_records(frame: pl.DataFrame, target: Target) -> pl.DataFrame:
    """Record text in pieces, one per row, in output order: ``__json`` pieces concatenate
    to the records; ``__first``/``__last`` mark each record's first and last row.

    ``frame`` holds ``__line``, ``__seq`` and the output text of every field. Grouped
    records need no group_by: rows sorted by record open the record on its first row, add
    their item, and close it on the last row.
    """
    names = [f.name for f in target.fields]
    omit = bool(target.options.get("omit_null", True))
    frame = frame.select(LINE, SEQ, *[fragment(f, omit) for f in target.fields])
    group = target.group
    if group is None:
        return frame.sort(SEQ).select(
            LINE, pl.lit(True).alias(_FIRST), pl.lit(True).alias(_LAST),
            _object([pl.col(n) for n in names]).alias(_JSON))
    items = [n for n in names if n not in group.record]
    line = pl.col(LINE)
    first = (line != line.shift(1)).fill_null(True)
    last = (line != line.shift(-1)).fill_null(True)
    head = pl.concat_str([pl.lit("{"), pl.concat_str(
        [*[pl.col(n) for n in group.record], pl.lit(json.dumps(group.items) + ":[")],
        separator=",", ignore_nulls=True)])
    return (frame.sort([LINE, SEQ])
            .with_columns(first.alias(_FIRST), last.alias(_LAST))
            .select(LINE, _FIRST, _LAST, pl.concat_str([
                pl.when(pl.col(_FIRST)).then(head).otherwise(pl.lit("")),
                _object([pl.col(n) for n in items]),
                pl.when(pl.col(_LAST)).then(pl.lit("]}")).otherwise(pl.lit(","))])
                .alias(_JSON)))


def _joined(pieces: pl.Expr, frame: pl.DataFrame) -> bytes:
    """The pieces joined into one string by polars (no Python list of records)."""
    if frame.height == 0:
        return b""
    return frame.select(pieces.str.join("")).item().encode("utf-8")


class _Buffered(AtomicWriter):
    """Spills the output text of batches to IPC files, bucketed by record line, and at the
    end reads one bucket at a time (bounded memory, each row read once) to hand the pieces
    to ``_emit`` in record order."""

    #: records (output lines) per bucket
    chunk_records = 250_000

    def __init__(self, path: Path, target: Target) -> None:
        super().__init__(path, target)
        self.fields = list(target.fields)
        self._dir = Path(tempfile.mkdtemp(prefix=f"{temp_prefix()}{self.path.name}.",
                                          dir=self.path.parent))
        self._buckets: dict[int, list[Path]] = {}
        self._rejected: list[pl.Series] = []
        self.paths: list[Path] = []

    def write(self, batch: pl.DataFrame) -> None:
        frame = batch.select(LINE, SEQ, *self._texts())
        if frame.height == 0:
            return
        bucket = ((pl.col(LINE) - 2) // self.chunk_records).alias(_REC)
        for part in frame.with_columns(bucket).partition_by(_REC, maintain_order=True):
            number = int(part[_REC][0])
            files = self._buckets.setdefault(number, [])
            path = self._dir / f"{number:06d}-{len(files):06d}.arrow"
            part.drop(_REC).write_ipc(path)
            files.append(path)

    def _texts(self) -> list[pl.Expr]:
        return [pl.col(out(f.name)) for f in self.fields]

    def reject(self, lines: pl.Series) -> None:
        if lines.len():
            self._rejected.append(lines)

    def _chunks(self) -> Iterator[pl.DataFrame]:
        """Pieces of records in order, one bucket of ``chunk_records`` records at a time."""
        bad = pl.concat(self._rejected).unique().implode() if self._rejected else None
        for number in sorted(self._buckets):
            frame = pl.scan_ipc(self._buckets[number])
            if bad is not None:
                frame = frame.filter(~pl.col(LINE).is_in(bad))
            part = frame.collect()
            if part.height:
                yield encode_records(part, self.target)

    def finish(self) -> None:
        self.records = 0
        self._begin()
        for pieces in self._chunks():
            self.records += int(pieces[_FIRST].sum())
            self._emit(pieces)
        self._end()

    def _cleanup(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def commit(self) -> Path:
        try:
            self.finish()
            for tmp, final in self._moves():
                publish(tmp, final)
        finally:
            self._cleanup()
        return self.paths[0] if self.paths else self.path

    def abort(self) -> None:
        self._cleanup()
        super().abort()

    def _moves(self) -> list[tuple[Path, Path]]:
        return [(self.tmp, self.path)]

    def _begin(self) -> None:
        raise NotImplementedError

    def _emit(self, pieces: pl.DataFrame) -> None:
        raise NotImplementedError

    def _end(self) -> None:
        raise NotImplementedError


_LINES = pl.concat_str([pl.col(_JSON),
                        pl.when(pl.col(_LAST)).then(pl.lit("\n")).otherwise(pl.lit(""))])
_CHUNK = 100_000


class JsonLinesWriter(_Buffered):
    """One JSON object per line; flat targets stream, grouped ones are assembled at the end."""

    extension = ".jsonl"

    def write(self, batch: pl.DataFrame) -> None:
        if self.target.group is not None:
            super().write(batch)
            return
        pieces = encode_records(batch.select(LINE, SEQ, *self._texts()), self.target)
        with self.tmp.open("ab") as fh:
            fh.write(_joined(_LINES, pieces))
        self.records += pieces.height

    def finish(self) -> None:
        if self.target.group is not None:
            super().finish()

    def _begin(self) -> None:
        self._fh = self.tmp.open("wb")

    def _emit(self, pieces: pl.DataFrame) -> None:
        for offset in range(0, pieces.height, _CHUNK):
            self._fh.write(_joined(_LINES, pieces.slice(offset, _CHUNK)))

    def _end(self) -> None:
        self._fh.close()


class JsonWriter(_Buffered):
    """``{"<wrapper>": [...]}`` documents of at most ``payload_size`` records each; one
    payload is ``name.json``, several are ``name.001.json``, ``name.002.json``, …"""

    extension = ".json"

    def _begin(self) -> None:
        self._size = int(self.target.options.get("payload_size") or DEFAULT_PAYLOAD_SIZE)
        wrapper = self.target.options.get("wrapper", "records")
        self._head = ("{" + json.dumps(wrapper) + ":[").encode("utf-8")
        self._temps: list[Path] = []
        self._fh: BinaryIO | None = None
        self._done = 0  # records emitted so far

    def _open(self) -> BinaryIO:
        if self._fh is not None:
            self._fh.write(b"\n]}\n")
            self._fh.close()
        if self._temps:
            fd, name = tempfile.mkstemp(prefix=f"{temp_prefix()}{self.path.name}.",
                                        suffix=".tmp", dir=self.path.parent)
            os.close(fd)
        tmp = Path(name) if self._temps else self.tmp
        self._temps.append(tmp)
        self._fh = tmp.open("wb")
        self._fh.write(self._head)
        return self._fh

    def _emit(self, pieces: pl.DataFrame) -> None:
        rec = pl.col(_FIRST).cast(pl.Int64).cum_sum() - 1 + self._done
        pieces = pieces.with_columns(rec.alias(_REC)).with_columns(
            pl.concat_str([
                pl.when(~pl.col(_FIRST)).then(pl.lit(""))
                .when(pl.col(_REC) % self._size == 0).then(pl.lit("\n"))
                .otherwise(pl.lit(",\n")),
                pl.col(_JSON)]).alias(_JSON),
            (pl.col(_REC) // self._size).alias(_REC))
        for payload in pieces.partition_by(_REC, maintain_order=True):
            number = int(payload[_REC][0])
            fh = self._fh if len(self._temps) == number + 1 else self._open()
            fh.write(_joined(pl.col(_JSON), payload))
        self._done += int(pieces[_FIRST].sum())

    def _end(self) -> None:
        if self._fh is None:  # no records: one empty payload
            self.tmp.write_bytes(self._head + b"]}\n")
            self._temps = [self.tmp]
        else:
            self._fh.write(b"\n]}\n")
            self._fh.close()
        self.paths = [self.path] if len(self._temps) == 1 else [
            self.path.with_name(f"{self.path.stem}.{i:03d}{self.path.suffix}")
            for i in range(1, len(self._temps) + 1)]

    def _moves(self) -> list[tuple[Path, Path]]:
        """Payloads into place, and payloads of an earlier run of the same name removed
        (numbered without ceiling): the folder then holds exactly this run's payloads."""
        earlier = OutputSet(self.path.parent, self.path.stem, self.path.suffix).members()
        for old in earlier:
            if old not in self.paths and not old.name.endswith(".report.json"):
                old.unlink(missing_ok=True)
        return list(zip(self._temps, self.paths, strict=True))

    def abort(self) -> None:
        if getattr(self, "_fh", None) is not None and not self._fh.closed:
            self._fh.close()
        for tmp in getattr(self, "_temps", [])[1:]:
            tmp.unlink(missing_ok=True)
        super().abort()
