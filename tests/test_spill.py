"""Memory budget (issue 16): past SALESFMT_MEMORY_BUDGET the state kept across batches
(uniqueness keys, record lines, first values of records, problem rows, grouped rows
waiting to be written) goes to disk. A tiny budget must give the same bytes as the
default one: converted files, reports, terminal summary."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import ROOT, TODAY, run_cli

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import frame  # noqa: E402

BENCH = ROOT / "benchmarks"
TINY = "8K"  # batches of 100 rows; every key table and problem list spills


def _flat(tmp_path: Path, rows: int = 800) -> Path:
    """The benchmark's partner file, with order numbers met again far apart (duplicates
    across batches, also of keys already spilled)."""
    df = frame(rows, seed=3)
    again = pl.int_range(pl.len()) % 97 == 50
    df = df.with_columns(Bonnummer=pl.when(again).then(  # row i repeats row i // 3's
        pl.col("Bonnummer").gather(pl.int_range(pl.len()) // 3)).otherwise("Bonnummer"))
    path = tmp_path / "partner.csv"
    df.write_csv(path, separator=";")
    return path


def _grouped(tmp_path: Path, rows: int = 800) -> Path:
    """Receipt lines of ~400 sales scattered through the file (a sale's lines far apart,
    in several batches), a line number per sale, a few lines in another store."""
    df = frame(rows, seed=5)
    sale = (pl.int_range(pl.len(), dtype=pl.UInt64).hash(11) % 400).cast(pl.String)
    odd = pl.int_range(pl.len()) % 211 == 7
    df = df.with_columns(Bonnummer=pl.format("S{}", sale)).with_columns(
        Regel=pl.int_range(pl.len()).over("Bonnummer").add(1).cast(pl.String),
        Plaats=pl.when(odd).then(pl.lit("Zwolle")).otherwise(
            pl.lit(pl.Series(["Amsterdam", "Utrecht", "Delft"])).gather(
                pl.col("Bonnummer").str.slice(1).cast(pl.Int64) % 3)))
    path = tmp_path / "sales.csv"
    df.write_csv(path, separator=";")
    return path


def _party(tmp_path: Path, copies: int = 75) -> Path:
    """The Thalamus sample's lines many times over, as ~150 transactions whose lines are
    240 rows apart (in different batches); a few lines name another location."""
    df = pl.read_csv(ROOT / "samples" / "party-transactions.csv", infer_schema=False)
    n = pl.int_range(pl.len())
    df = pl.concat([df] * copies).with_columns(
        Transaction=pl.format("{}-{}", "Transaction", (n // 8 % 30).cast(pl.String)),
        Location=pl.when((n % 97 == 50) & pl.col("Location").is_not_null())
        .then(pl.lit("99")).otherwise("Location"))
    path = tmp_path / "party.csv"
    df.write_csv(path)
    return path


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _convert(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, src: Path,
             rules: Path | str, target: str, budget: str | None) -> tuple[dict[str, bytes], str]:
    if budget is None:
        monkeypatch.delenv("SALESFMT_MEMORY_BUDGET", raising=False)
    else:
        monkeypatch.setenv("SALESFMT_MEMORY_BUDGET", budget)
    spill_tmp = tmp_path / f"tmp-{name}"  # the spill folder goes under TMPDIR
    spill_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(spill_tmp))
    out = tmp_path / name
    out.mkdir()
    res = run_cli("convert", src, "--rules", rules, "--to", target, "--today", TODAY,
                  "-o", f"{out}/", "--max-errors", "100000")
    assert res.code == 1, res.err  # the files have errors on purpose
    assert not list(spill_tmp.iterdir())  # spill files removed at the end
    return _outputs(out), res.err


@pytest.mark.parametrize(("make", "rules", "target"), [
    (_flat, BENCH / "bench-partner.yaml", "bulk-csv"),
    (_grouped, BENCH / "bench-wallie.yaml", "wallie"),
    (_party, "party-pos", "thalamus-party-sale"),
])
def test_a_tiny_budget_gives_the_same_bytes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            make, rules: Path | str, target: str) -> None:
    src = make(tmp_path)
    whole, summary = _convert(monkeypatch, tmp_path, "whole", src, rules, target, None)
    spilled, summary2 = _convert(monkeypatch, tmp_path, "spilled", src, rules, target, TINY)
    assert spilled == whole
    assert summary2 == summary.replace(str(tmp_path / "whole"), str(tmp_path / "spilled"))
    report = next(v for k, v in whole.items() if k.endswith(".report.json")).decode()
    # the files exercise what spills: duplicates met in later batches, records with lines
    # in several batches (one store differs), and they are named in the reports
    assert {"bulk-csv": "is duplicated (first seen on line",
            "wallie": "differs from the first line of this sale",
            "thalamus-party-sale": "differs from the first line of this transaction",
            }[target] in report


def test_tiny_budget_spills_every_table(monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    """In process: the run really goes through the spill files (and removes them)."""
    from salesfmt import load_rules, load_target, run
    from salesfmt.spill import SpillDir

    made: list[Path] = []
    real = SpillDir.file

    def counting(self: SpillDir, stem: str) -> Path:
        made.append(real(self, stem))
        return made[-1]

    monkeypatch.setattr(SpillDir, "file", counting)
    monkeypatch.setenv("SALESFMT_MEMORY_BUDGET", TINY)
    src = _grouped(tmp_path, 600)
    res = run(src, load_rules(BENCH / "bench-wallie.yaml"), load_target("wallie"),
              today=date(2026, 11, 1), output=tmp_path / "out.json")
    assert res.problems.height
    assert {p.name.split("-")[0] for p in made} >= {"keys", "problems"}
    assert not any(p.exists() for p in made)


def test_key_index_confirms_a_hash_hit_on_the_key(tmp_path: Path) -> None:
    """Two keys with one hash: each finds its own payload, a third key with that hash none;
    in memory and in spilled files alike, and a replaced payload wins."""
    from salesfmt.checks._keyindex import KeyIndex
    from salesfmt.spill import SpillDir

    for budget in (1 << 20, 1):
        index = KeyIndex(["k"], budget, SpillDir())
        same = pl.Series([7, 7], dtype=pl.UInt64)
        index.insert(pl.DataFrame({"k": ["a", "b"], "fl": [2, 3]}), same)
        index.insert(pl.DataFrame({"k": ["c"], "fl": [4]}), pl.Series([9], dtype=pl.UInt64))
        q = pl.DataFrame({"k": ["b", "x", "c", "a", None]})
        h = pl.Series([7, 7, 9, 7, 7], dtype=pl.UInt64)
        assert index.lookup(q, h)["fl"].to_list() == [3, None, 4, 2, None]
        index.insert(pl.DataFrame({"k": ["c"], "fl": [40]}), pl.Series([9], dtype=pl.UInt64),
                     replace=True)
        assert index.lookup(q, h)["fl"].to_list() == [3, None, 40, 2, None]
        assert index.lookup(q, pl.Series([1, 2, 3, 4, 5], dtype=pl.UInt64)) is None
        assert bool(index._files) == (budget == 1)
        index.spill.close()


@pytest.mark.parametrize(("text", "expected"), [
    (None, 64 * 2**20), ("512K", 512 * 1024), ("2g", 2 * 2**30), ("100", 100),
    ("64 MiB", 64 * 2**20)])
def test_memory_budget_values(monkeypatch: pytest.MonkeyPatch, text: str | None,
                              expected: int) -> None:
    from salesfmt.spill import batch_rows, memory_budget

    if text is None:
        monkeypatch.delenv("SALESFMT_MEMORY_BUDGET", raising=False)
    else:
        monkeypatch.setenv("SALESFMT_MEMORY_BUDGET", text)
    assert memory_budget() == expected
    assert 100 <= batch_rows() <= 100_000


def test_a_bad_budget_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    monkeypatch.setenv("SALESFMT_MEMORY_BUDGET", "lots")
    res = run_cli("check", ROOT / "samples" / "kassa-export-nl.csv", "--rules", "kassa-nl",
                  "--to", "bulk-csv", "--today", TODAY)
    assert res.code == 2
    assert res.err.strip().splitlines() == [
        "salesfmt: error: SALESFMT_MEMORY_BUDGET='lots' is not a size such as 64M, 512K or 1G"]


def test_the_quote_scan_reads_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan for a quote character reads the file in pieces (a memory map of the whole
    file counted 1.4 GB of resident memory at 10M lines, measured): a needle is found
    anywhere, also across a piece boundary."""
    import salesfmt.readers.csv as csv_reader

    monkeypatch.setattr(csv_reader, "_SCAN_PIECE", 8)
    path = tmp_path / "x.csv"
    for text, needle, found in [("a;b\nc;d\n", b'"', False), ('abcdefg"', b'"', True),
                                ("abcdefghij", b"hi", True), ("abcdefgh", b"gh", True),
                                ("abcdefg\n;h", b"g;", False), ("", b'"', False)]:
        path.write_text(text)
        assert csv_reader._contains(path, needle) is found, (text, needle)
