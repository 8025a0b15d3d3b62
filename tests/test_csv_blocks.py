"""The bounded-memory CSV reader: blocks end at record ends, never inside a quoted field,
and the batches hold exactly the records one whole-file parse gives, in order."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import pytest

from salesfmt.readers._blocks import batches_of, record_blocks

_CELLS = ["plain", "", "with;delimiter", 'say ""hi""', "two\nlines", "crlf\r\ninside",
          "é ü ß", "trailing ", '""', "x" * 40]


def _csv(rows: int, seed: int, eol: str = "\n") -> bytes:
    rng = random.Random(seed)
    lines = []
    for i in range(rows):
        cells = [str(i)] + [rng.choice(_CELLS) for _ in range(3)]
        lines.append(";".join(f'"{c}"' if rng.random() < 0.6 or '"' in c or "\n" in c
                              or ";" in c else c for c in cells))
    return (eol.join(lines) + eol).encode("utf-8")


def _parse(data: bytes) -> pl.DataFrame:
    return pl.read_csv(data, has_header=False, separator=";", infer_schema=False,
                       new_columns=["id", "a", "b", "c"])


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
@pytest.mark.parametrize("size", [1, 7, 64, 1000])
def test_blocks_end_at_record_ends(tmp_path: Path, size: int, eol: str) -> None:
    data = _csv(300, seed=size, eol=eol)
    path = tmp_path / "q.csv"
    path.write_bytes(data)
    blocks = list(record_blocks(path, '"', size))
    assert b"".join(blocks) == data
    assert all(b.endswith(b"\n") for b in blocks)
    parsed = pl.concat([_parse(b) for b in blocks])
    assert parsed.equals(_parse(data))
    assert parsed.height == 300


def test_a_record_longer_than_a_block_grows_the_block(tmp_path: Path) -> None:
    big = "line\n" * 5000
    data = f'1;"{big}"\n2;x\n'.encode()
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    blocks = list(record_blocks(path, '"', 100))
    assert b"".join(blocks) == data
    assert blocks[0].startswith(f'1;"{big}"\n'.encode())  # the quoted lines stay whole
    data = data + b"3;y\n" * 20_000
    path.write_bytes(data)
    blocks = list(record_blocks(path, '"', 100))
    assert blocks[0].startswith(f'1;"{big}"\n'.encode()) and len(blocks) > 100
    assert b"".join(blocks) == data


def test_no_final_newline_and_no_quoting(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_bytes(b"a;b\n1;2\n3;4")
    assert list(record_blocks(path, None, 5)) == [b"a;b\n", b"1;2\n", b"3;4"]
    (tmp_path / "empty.csv").write_bytes(b"")
    assert list(record_blocks(tmp_path / "empty.csv", '"', 10)) == []


@pytest.mark.parametrize("batch_size", [1, 3, 50, 100_000])
def test_batches_are_exact_and_complete(tmp_path: Path, batch_size: int) -> None:
    data = _csv(250, seed=batch_size)
    path = tmp_path / "b.csv"
    path.write_bytes(data)
    batches = list(batches_of(path, '"', _parse, batch_size=batch_size, bytes_per_row=2.0,
                              skip=2))
    assert [b.height for b in batches[:-1]] == [batch_size] * (len(batches) - 1)
    assert 0 < batches[-1].height <= batch_size
    assert pl.concat(batches).equals(_parse(data).slice(2))


def test_a_parse_error_surfaces_and_closes_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(b"1;a\n" * 10_000)

    def fail(block: bytes) -> pl.DataFrame:
        raise ValueError("bad block")

    with pytest.raises(ValueError, match="bad block"):
        list(batches_of(path, '"', fail, batch_size=100, bytes_per_row=4.0, skip=0))
    path.unlink()  # nothing holds the file open
