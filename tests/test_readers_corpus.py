"""Every reader input of the third-party corpus, one parametrised test (data: MANIFEST.tsv
+ corpus_expectations.yaml). A new manifest row is a new case with no new code."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl
import pytest
import yaml

from salesfmt.errors import InputError
from salesfmt.readers import ReadOptions, open_source
from salesfmt.readers._source import ROW
from tests.conftest import CORPUS

EXPECTATIONS = yaml.safe_load(
    (Path(__file__).with_name("corpus_expectations.yaml")).read_text(encoding="utf-8"))
_CELL = re.compile(r"^([A-Z]+)(\d+)$")


def _manifest() -> list[str]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [r["path"] for r in rows if r["kind"] == "input"]


INPUTS = _manifest()


def _read(path: Path, options: ReadOptions):
    with open_source(path, options) as source:
        batches = list(source.batches())
        data = pl.concat(batches) if batches else pl.DataFrame(
            schema={ROW: pl.Int64, **{h: pl.String for h in source.headers}})
        return source, data


def _check_shape(source, data: pl.DataFrame) -> None:
    """What holds for every file read: the contract of ``Source``."""
    assert data.columns == [ROW, *source.headers]
    assert len(set(source.headers)) == len(source.headers)
    assert len(source.column_letters) == len(source.headers) == len(source.original_headers)
    assert data.schema[ROW] == pl.Int64
    assert all(data.schema[h] == pl.String for h in source.headers)
    rows = data[ROW]
    assert rows.is_sorted() and rows.n_unique() == rows.len()
    if data.height:
        assert rows.min() > source.header_row


def _cell(source, data: pl.DataFrame, ref: str) -> str | None:
    letter, row = _CELL.match(ref).groups()
    assert letter in source.column_letters, f"{ref}: no column {letter} in {source.column_letters}"
    header = source.headers[source.column_letters.index(letter)]
    hit = data.filter(pl.col(ROW) == int(row))
    assert hit.height == 1, f"{ref}: row {row} is not a data row"
    return hit[header][0]


@pytest.mark.skipif(not INPUTS, reason="shared/corpus not found")
@pytest.mark.parametrize("rel", INPUTS)
def test_corpus_file(rel: str) -> None:
    exp = EXPECTATIONS.get(rel) or {}
    options = ReadOptions(**exp.get("options", {}))
    if "error" in exp:
        with pytest.raises(InputError) as info:
            _read(CORPUS / rel, options)
        assert exp["error"] in str(info.value)
        assert "\n" not in str(info.value)
        return
    try:
        source, data = _read(CORPUS / rel, options)
    except InputError as exc:  # generic rule: a clean one-line refusal is acceptable
        assert not exp, f"expected a successful read, got: {exc}"
        assert "\n" not in str(exc)
        return
    _check_shape(source, data)
    simple = {"rows": data.height, "cols": len(source.headers), "header_row": source.header_row,
              "sheet": source.sheet, "encoding": source.encoding, "delimiter": source.delimiter,
              "format": source.format, "headers": source.original_headers,
              "letters": source.column_letters, "sheets": source.sheet_states}
    for key, actual in simple.items():
        if key in exp:
            assert actual == exp[key], f"{key}: {actual!r} != {exp[key]!r}"
    for ref, want in (exp.get("cells") or {}).items():
        assert _cell(source, data, ref) == want, ref
    found = {(p["code"], p["row"], p["column"]) for p in source.problems.to_dicts()}
    for code, row, column in exp.get("problems", []):
        assert (code, row, column) in found, f"missing problem {code} {row} {column}: {found}"
    if exp.get("no_problems"):
        assert source.problems.height == 0, source.problems.to_dicts()


GAPS = [(rel, ref, want) for rel, exp in EXPECTATIONS.items()
        for ref, want in ((exp or {}).get("gaps") or {}).items()]


@pytest.mark.skipif(not INPUTS, reason="shared/corpus not found")
@pytest.mark.parametrize(("rel", "ref", "want"), GAPS)
@pytest.mark.xfail(strict=True, reason="known reader gap, see corpus_expectations.yaml")
def test_corpus_known_gap(rel: str, ref: str, want: str) -> None:
    exp = EXPECTATIONS[rel]
    source, data = _read(CORPUS / rel, ReadOptions(**exp.get("options", {})))
    assert _cell(source, data, ref) == want


def test_every_expectation_names_a_manifest_row() -> None:
    if not INPUTS:
        pytest.skip("shared/corpus not found")
    assert sorted(set(EXPECTATIONS) - set(INPUTS)) == []
