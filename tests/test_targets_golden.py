"""Every target's output format and report, from the CLI, byte for byte against golden files
(workbooks member by member); and a second run gives the same bytes (deterministic output)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import GOLDEN as GOLDEN_ROOT
from conftest import ROOT, SAMPLES, TODAY, golden_file, run_cli

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "targets.yaml").read_text())
GOLDEN = GOLDEN_ROOT / "targets"


def _convert(case: dict, out: Path) -> list[Path]:
    res = run_cli("convert", SAMPLES / case["file"], "--rules",
                  ROOT / "rules" / "partners" / f"{case['rules']}.yaml", "--to", case["target"],
                  "-o", f"{out}/", "--today", TODAY, *case.get("args", []))
    assert res.code == 1, res.err  # every sample carries a few realistic problems
    report = Path(case["file"]).stem + ".report.json"
    return [out / name for name in [*case["outputs"], report]]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden(case: dict, tmp_path: Path) -> None:
    produced = _convert(case, tmp_path / "a")
    again = _convert(case, tmp_path / "b")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(p.name for p in produced)
    for first, second in zip(produced, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), f"{first.name} not deterministic"
        golden = golden_file(GOLDEN / f"{case['name']}__{first.name}",
                             lambda p, first=first: shutil.copyfile(first, p))
        assert _content(first) == _content(golden), f"{first.name} differs from golden"


def _content(path: Path) -> object:
    """The file's bytes; for a workbook, its members' bytes in order (deflate output may
    differ between zlib builds, what the members say may not)."""
    if path.suffix != ".xlsx":
        return path.read_bytes()
    with zipfile.ZipFile(path) as z:
        return [(i.filename, i.date_time, z.read(i)) for i in z.infolist()]
