"""openpyxl is imported only where it is needed (the rejects workbook, the template maker): salesfmt
reads workbooks with fastexcel and writes them itself. Proven with openpyxl made
unimportable: a workbook is still read and the xlsx target still written."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT, SAMPLES, TODAY

_BLOCKED = "import sys; sys.modules['openpyxl'] = None; "


def test_workbooks_without_openpyxl(tmp_path: Path) -> None:
    """With openpyxl unimportable: a partner workbook is read and the sales-template
    workbook written (one interpreter, two commands; nothing of salesfmt imports it)."""
    out = tmp_path / "out.xlsx"
    code = _BLOCKED + (
        "from salesfmt.cli import main\n"
        "for argv in (['check', sys.argv[1], '--rules', 'box-office-de', '--to', 'bulk-csv'],\n"
        "             ['convert', sys.argv[2], '--rules', 'ticketline-events', '--to',\n"
        "              'sales-template', '-o', sys.argv[3]]):\n"
        "    try:\n"
        f"        main([*argv, '--today', '{TODAY}'])\n"
        "    except SystemExit as exc:\n"
        "        print('exit', exc.code)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(SAMPLES / "box-office-de.xlsx"),
                           str(SAMPLES / "event-ticketing.csv"), str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    exits = [line for line in proc.stdout.splitlines() if line.startswith("exit")]
    assert len(exits) == 2 and all(e in ("exit 0", "exit 1") for e in exits), proc.stderr
    assert "internal error" not in proc.stderr and "openpyxl" not in proc.stderr
    assert "xl/worksheets/sheet1.xml" in zipfile.ZipFile(out).namelist()


def test_template_script_says_which_extra_it_needs() -> None:
    code = _BLOCKED + "import runpy; runpy.run_path(sys.argv[1], run_name='__main__')"
    proc = subprocess.run([sys.executable, "-c", code,
                           str(ROOT / "templates" / "_make_template.py")],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("templates/_make_template.py needs openpyxl: "
                                   "pip install 'salesfmt[template]'")
