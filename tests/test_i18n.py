"""Partner-facing text in the partner's language (issue 14): the catalogs are complete and
match the code, and the terminal summary and reports speak the rule's or --lang's language
while the JSON envelope keeps the server's wording."""

from __future__ import annotations

import re
import string

import polars as pl
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from conftest import ROOT, SAMPLES, TODAY, run_cli

from salesfmt.i18n import Language, catalog_path
from salesfmt.i18n.messages import localize, templates
from salesfmt.problems import file_problem
from salesfmt.targets import load_target

TRANSLATED = [lang for lang in Language if lang is not Language.EN]
BUNDLED_TARGETS = sorted(p.stem for p in (ROOT / "rules" / "targets").glob("*.yaml"))
_PERCENT = re.compile(r"%\((\w+)\)s")


def _catalog(lang: Language):
    with catalog_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang.value)


def _placeholders(text: str) -> set[str]:
    braces = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    return braces | set(_PERCENT.findall(text))


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    """What ``pybabel extract -F babel.cfg`` finds in the code, templates and declarations."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    return {msg for _, _, msg, _, _ in extract_from_dir(str(ROOT), method_map, options_map)}


@pytest.mark.parametrize("lang", TRANSLATED, ids=str)
def test_catalog_has_no_untranslated_or_fuzzy_entry(lang: Language) -> None:
    catalog = _catalog(lang)
    assert len(catalog) > 150
    for msg in catalog:
        if not msg.id:
            continue
        assert msg.string, f"{lang}: untranslated: {msg.id!r}"
        assert not msg.fuzzy, f"{lang}: fuzzy: {msg.id!r}"
        assert _placeholders(msg.string) == _placeholders(msg.id), \
            f"{lang}: placeholders differ: {msg.id!r} → {msg.string!r}"


@pytest.mark.parametrize("lang", TRANSLATED, ids=str)
def test_every_extracted_text_is_in_the_catalog(lang: Language, extracted: set[str]) -> None:
    ids = {msg.id for msg in _catalog(lang) if msg.id}
    missing = sorted(extracted - ids)
    assert not missing, f"{lang}: not in the catalog (run pybabel extract/update): {missing}"
    assert not sorted(ids - extracted), f"{lang}: obsolete entries: {sorted(ids - extracted)}"


def test_every_runtime_template_is_extracted(extracted: set[str]) -> None:
    """Templates a run may fill (checks, readers, every bundled target's wording) are all
    seen by the extraction, so none can be missing from a catalog."""
    for name in BUNDLED_TARGETS:
        missing = [t for t in templates(load_target(name)) if t not in extracted]
        assert not missing, f"{name}: {missing}"


def test_a_message_is_translated_by_its_template_with_the_partners_value_kept() -> None:
    p = pl.concat([
        file_problem("invalid_number", "AMOUNT is not a valid number", value="€ 12,5O"),
        file_problem("too_small", "Quantity must be at least 0.5", value="0,25"),
        file_problem("not_a_date", "field.invalid.format: saleDate: Datum '31-02-2026' is not "
                     "a date (expected dd-mm-yyyy or yyyy-mm-dd)", value="31-02-2026"),
        file_problem("custom", "a custom target's own wording"),
    ])
    assert localize(p, Language.NL)["message"].to_list() == [
        "AMOUNT is geen geldig getal",
        "Quantity moet minstens 0,5 zijn",
        "field.invalid.format: saleDate: Datum '31-02-2026' is geen datum "
        "(verwacht: dd-mm-yyyy of yyyy-mm-dd)",
        "a custom target's own wording",  # no template of ours: as the target wrote it
    ]
    assert localize(p, Language.DE)["value"].to_list() == p["value"].to_list()
    assert localize(p, Language.EN).equals(p)


def test_dutch_partner_gets_a_dutch_summary_by_its_rule_file() -> None:
    res = run_cli("check", SAMPLES / "kassa-export-nl.csv", "-r", "kassa-nl", "-t", "bulk-csv",
                  "--today", TODAY)
    assert res.code == 1
    assert "rijen: 25 gelezen = 17 omgezet + 7 geweigerd + 1 overgeslagen" in res.err
    assert "problemen: 7 fout(en) op 7 regel(s), 0 waarschuwing(en)" in res.err
    assert "regel 6 (rij 6 kol G) fout: AMOUNT is geen geldig getal [waarde: '€ 12,5O']" \
        in res.err
    assert "ORDER_ID komt dubbel voor (eerst gezien op regel 17)" in res.err


def test_lang_overrides_and_the_json_envelope_keeps_the_servers_wording() -> None:
    args = [SAMPLES / "weekly-sales-uk.xlsx", "-r", "tillpoint-uk", "-t", "bulk-csv",
            "--today", TODAY, "--format", "json", "--with-source"]
    english, german = run_cli("check", *args), run_cli("check", *args, "--lang", "de")
    assert english.out == german.out  # the server's envelope, verbatim
    assert "is not a valid" in english.out
    assert "Zeilen: " in german.err and " gelesen = " in german.err
    assert "rows: " in english.err


def test_counts_are_written_the_partners_way(tmp_path) -> None:
    lines = (SAMPLES / "kassa-export-nl.csv").read_bytes().splitlines(keepends=True)
    body = [x for x in lines[1:] if not x.lower().startswith(b"totaal")]
    src = tmp_path / "big.csv"
    src.write_bytes(lines[0] + b"".join(body * 50))
    res = run_cli("check", src, "-r", "kassa-nl", "-t", "bulk-csv", "--today", TODAY,
                  "--lang", "fr")
    n = len(body) * 50
    assert f"lignes : {n // 1000}\u202f{n % 1000:03d} lues = " in res.err


def test_reader_warnings_are_translated_too(tmp_path) -> None:
    """The readers' file-level messages (FILE_MESSAGES) still read as their templates."""
    src = tmp_path / "odd.csv"
    src.write_text("Bonnummer;;Datum;Bonnummer;Bedrag\n"
                   "1;x;01-10-2026;1;5,00;extra\n"
                   "2;x;02-10-2026;2\n", encoding="utf-8")
    html = tmp_path / "odd.html"
    res = run_cli("check", src, "-r", "kassa-nl", "-t", "bulk-csv", "--today", TODAY,
                  "--html", html)
    assert "kolom B heeft geen kop; hij heet nu '(column B)'" in res.err
    text = html.read_text(encoding="utf-8")
    assert "rij heeft 6 cellen maar de kopregel 5: de extra cellen zouden verloren gaan" in text
    assert "kop &#39;Bonnummer&#39; komt meer dan eens voor; kolom D heet nu" in text
    assert "has no header" not in text and "cells but the header" not in text


def test_language_key_is_validated_and_shown(tmp_path) -> None:
    shown = run_cli("rules", "show", "kiosk-kassa-nl", "--to", "bulk-csv")
    assert "language: nl (partner-facing text)" in shown.out
    bad = tmp_path / "es.yaml"
    bad.write_text("name: es\nextends: kassa-nl\nlanguage: es\n", encoding="utf-8")
    res = run_cli("rules", "validate", bad)
    assert res.code == 1
    assert f"{bad}:3:1: language: 'es' is not one of ['en', 'nl', 'de', 'fr']" in res.out


SAMPLE_RUNS = [  # one per target, and a workbook with merged title cells
    ("kassa-export-nl.csv", "kassa-nl", "bulk-csv"),
    ("weekly-sales-uk.xlsx", "tillpoint-uk", "bulk-csv"),
    ("event-ticketing.csv", "ticketline-events", "sales-template"),
    ("pos-lines-returns.csv", "pos-lines", "wallie"),
    ("loyalty-partner-sales.csv", "loyalty-partner", "thalamus-partner-sale"),
    ("party-transactions-amsterdam.csv", "party-pos-amsterdam", "thalamus-party-sale"),
]


@pytest.mark.parametrize(("name", "rules", "target"), SAMPLE_RUNS)
def test_no_sample_message_stays_english(name: str, rules: str, target: str) -> None:
    """Every message of the bundled samples has a template in the catalogs."""
    from datetime import date

    from salesfmt.pipeline import run
    from salesfmt.rules import load_rules

    res = run(SAMPLES / name, load_rules(rules), load_target(target),
              today=date.fromisoformat(TODAY))
    assert res.problems.height
    for lang in TRANSLATED:
        shown = localize(res.problems, lang, res.target)
        same = [m for m, t in zip(res.problems["message"], shown["message"], strict=True)
                if m == t]
        assert not same, f"{lang}: {same}"
