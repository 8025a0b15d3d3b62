"""The batch machinery: results independent of batch size (queries run two at a time),
the CSV writer's background thread, and a late non-UTF-8 byte read again from the top."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import ROOT, run_cli

from salesfmt import load_rules, load_target, run
from salesfmt.targets.serializers.csv import CsvWriter

SAMPLE = ROOT / "samples" / "kassa-export-nl.csv"


def _convert(tmp_path: Path, batch_size: int) -> tuple[bytes, pl.DataFrame]:
    out = tmp_path / f"out-{batch_size}.csv"
    res = run(SAMPLE, load_rules("kassa-nl"), load_target("bulk-csv"), output=out,
              today=date(2026, 11, 1), batch_size=batch_size)
    assert res.rows_read == res.rows_out + res.rows_rejected + res.rows_skipped
    return out.read_bytes(), res.problems


@pytest.mark.parametrize("batch_size", [1, 2, 5])
def test_bulk_csv_is_the_same_whatever_the_batch_size(tmp_path: Path, batch_size: int) -> None:
    whole, problems = _convert(tmp_path, 250_000)
    small, small_problems = _convert(tmp_path, batch_size)
    assert problems.height > 0 and "duplicate" in problems["code"].to_list()
    assert small == whole
    assert small_problems.equals(problems)


def test_background_write_error_surfaces_and_leaves_nothing(tmp_path: Path) -> None:
    target = load_target("bulk-csv")
    writer = CsvWriter(tmp_path / "out.csv", target)
    frame = pl.DataFrame({c: [None] for c in writer.columns()})
    writer._fh.close()  # the disk goes away under the writer thread
    writer.write(frame)
    with pytest.raises((OSError, ValueError)):
        writer.commit()
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_inspect_reads_a_late_non_utf8_file_again(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    body = "id;name\n" + "".join(f"{i};plain ascii\n" for i in range(30_000))
    path.write_bytes(body.encode() + "99;Müller\n".encode("cp1252"))
    res = run_cli("inspect", path, "--format", "json")
    assert res.code == 0, res.err
    info = json.loads(res.out)
    assert info["encoding"] == "cp1252" and info["data_rows"] == 30_001
