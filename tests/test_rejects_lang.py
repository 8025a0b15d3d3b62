"""The rejects file speaks the partner's language: its "Problems" texts (message and fix)
come from the same catalogs as the HTML report, in ``--lang`` or the rule's ``language:``
(kassa-nl says ``nl``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLES, TODAY, run_cli


def _problems(tmp_path: Path, *lang: str) -> str:
    out = tmp_path / "out"
    res = run_cli("convert", SAMPLES / "kassa-export-nl.csv", "-r", "kassa-nl", "-t", "bulk-csv",
                  "-o", f"{out}/", "--today", TODAY, "--rejects", out / "rejects.csv", *lang)
    assert res.code == 1, res.err
    return (out / "rejects.csv").read_text(encoding="cp1252")


@pytest.mark.parametrize(("lang", "said"), [
    ((), "Bedrag: AMOUNT is geen geldig getal. De cel bevat tekst"),
    (("--lang", "de"), "Bedrag: AMOUNT ist keine gültige Zahl."),
    (("--lang", "en"), "Bedrag: AMOUNT is not a valid number. The cell holds text"),
])
def test_rejects_problems_in_the_partners_language(tmp_path: Path, lang: tuple[str, ...],
                                                   said: str) -> None:
    assert said in _problems(tmp_path, *lang)
