"""Rules, target declarations, the rule schema and templates ship inside the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT


def test_wheel_contains_bundled_data(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("salesfmt-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for partner in (ROOT / "rules" / "partners").glob("*.yaml"):
        assert f"salesfmt/_data/rules/partners/{partner.name}" in names
    for target in (ROOT / "rules" / "targets").glob("*.yaml"):
        assert f"salesfmt/_data/rules/targets/{target.name}" in names
    for template in (ROOT / "templates").iterdir():
        assert f"salesfmt/_data/templates/{template.name}" in names
    assert "salesfmt/_data/rules/schema/rules.schema.json" in names
    assert "salesfmt/checks/country_names.json" in names  # built from babel, not per run
    assert "salesfmt/_data/rules/schema/target.schema.json" in names
    assert "salesfmt/checks/examples.yaml" in names  # explain shows the check examples
    assert "salesfmt/py.typed" in names  # type checkers read the package's annotations
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    from salesfmt import __version__
    assert f"Version: {__version__}\n" in zipfile.ZipFile(wheel).read(meta).decode()
    for data in ("lexicon.yaml", "synonyms.yaml"):  # what `salesfmt init` maps with
        assert f"salesfmt/onboard/{data}" in names
    # the catalogs: .po sources, compiled at first use (an installed wheel translates)
    for lang in ("nl", "de", "fr"):
        assert f"salesfmt/i18n/locale/{lang}/LC_MESSAGES/salesfmt.po" in names
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                           "--target", str(site), str(wheel)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    probe = ("import salesfmt; from salesfmt.i18n import Language, translations; "
             "print(salesfmt.__file__); "
             "print(translations(Language.NL).gettext('{column} is required'))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(site)}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    where, text = proc.stdout.splitlines()
    assert where.startswith(str(site)) and text == "{column} is verplicht"
