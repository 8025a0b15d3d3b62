"""``salesfmt inspect``: distinct values with counts, to write value maps without another tool."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from _events import events_file
from conftest import SAMPLES, run_cli

from salesfmt.cli.inspect import inspect_file
from salesfmt.readers import ReadOptions, open_source


def _columns(res) -> dict[str, dict]:
    assert res.code == 0, res.err
    return {c["header"]: c for c in json.loads(res.out)["columns"]}


def test_enumerated_columns_list_their_values_with_counts(tmp_path: Path) -> None:
    cols = _columns(run_cli("inspect", events_file(tmp_path, 30), "--format", "json"))
    assert cols["Channel"]["values"] == [{"value": "Web", "count": 32}]
    assert cols["Cur"]["values"] == [{"value": "EUR", "count": 31}, {"value": "EURO", "count": 1}]
    tickets = cols["Ticket"]["values"]
    assert tickets[0] == {"value": "Early bird 0", "count": 5}
    assert sum(v["count"] for v in tickets) == 32 and len(tickets) == 8
    assert "values" not in cols["Order"]  # 32 distinct in 32 rows: an id, not a list


def test_values_option_asks_for_any_column_by_header_or_letter(tmp_path: Path) -> None:
    src = events_file(tmp_path, 30)
    cols = _columns(run_cli("inspect", src, "--format", "json", "--values", "order",
                            "--values", "B"))
    assert len(cols["Order"]["values"]) == 32 and cols["Order"]["values_complete"]
    assert cols["Event"]["values"] == [{"value": "EVT-2026-044", "count": 30},
                                       {"value": "EVT-2026-050", "count": 2}]
    text = run_cli("inspect", src, "--values", "Order")
    assert "values (distinct, with counts; value map keys match regardless of case):" in text.out
    assert "A  Order (32 distinct):" in text.out
    assert "        30  'Early bird" not in text.out and "         1  'T-0000'" in text.out
    assert "        17  'Web'" not in text.out and "        32  'Web'" in text.out


def test_unknown_values_column_is_a_usage_error(tmp_path: Path) -> None:
    res = run_cli("inspect", events_file(tmp_path, 3), "--values", "Nope")
    assert res.code == 2
    assert "no column 'Nope' in the file; its headers: 'Order', 'Event'" in res.err


def test_counting_is_bounded_and_says_so(tmp_path: Path) -> None:
    with open_source(events_file(tmp_path, 30), ReadOptions()) as source:
        info = inspect_file(source, values=("Order", "Ticket"), values_max=5, enum_max=1)
    cols = {c["header"]: c for c in info["columns"]}
    assert cols["Order"]["values_complete"] is False and len(cols["Order"]["values"]) == 5
    assert cols["Ticket"]["values_complete"] is False  # 8 distinct > 5
    assert cols["Ticket"]["values"][0] == {"value": "Early bird 0", "count": 5}
    assert "values" not in cols["Event"]  # 2 distinct > enum_max
    assert cols["Channel"]["values"] == [{"value": "Web", "count": 32}]
    assert "values" not in cols["Remarks"]  # empty cells are not values


def test_value_map_keys_match_regardless_of_case_and_spacing(tmp_path: Path) -> None:
    from salesfmt import load_rules, load_target, run

    text = (SAMPLES / "kassa-export-nl.csv").read_bytes().decode("cp1252")
    assert ";PIN;" in text
    src = tmp_path / "kassa.csv"
    src.write_bytes(text.replace(";PIN;", ";  pIn ;", 1).encode("cp1252"))
    result = run(src, load_rules("kassa-nl"), load_target("bulk-csv"), today=date(2026, 11, 1))
    before = run(SAMPLES / "kassa-export-nl.csv", load_rules("kassa-nl"),
                 load_target("bulk-csv"), today=date(2026, 11, 1))
    assert result.problems.equals(before.problems)
