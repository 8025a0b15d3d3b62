"""Country names and codes as partners write them (``Nederland``, ``Deutschland``,
``Belgique``, ``nl``) → ISO 3166-1 alpha-2 codes, from the Unicode CLDR territory names
that babel ships (offline, every language below).

The table is built from babel once, when salesfmt is developed, and shipped as
``country_names.json`` beside this module (building it costs 0.1 s per run). After a babel
upgrade, ``python -c "from salesfmt.checks.countries import write_table; write_table()"``
writes it again (``tests/test_fast_paths.py`` compares the two).
"""

from __future__ import annotations

import json
import unicodedata
from functools import cache
from pathlib import Path

import polars as pl

from salesfmt._series import where

__all__ = ["LANGUAGES", "ISO_COUNTRIES", "TABLE", "country_names", "names_from_babel",
           "write_table", "country_code"]

#: The shipped table: lower-case name or code → ISO code (see ``names_from_babel``).
TABLE = Path(__file__).with_name("country_names.json")

#: Languages whose country names are recognised.
LANGUAGES = ("en", "nl", "de", "fr", "es", "it", "pt", "da", "sv", "nb", "fi", "pl")

# ISO 3166-1 alpha-2 codes (officially assigned).
ISO_COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
ZW""".split())

# Everyday names CLDR does not list as a country's name.
_ALIASES = {"uk": "GB", "u.k.": "GB", "great britain": "GB", "england": "GB",
            "scotland": "GB", "wales": "GB", "northern ireland": "GB", "usa": "US",
            "u.s.a.": "US", "holland": "NL", "the netherlands": "NL"}


def _key(name: str) -> str:
    return " ".join(name.lower().split())


def _plain(name: str) -> str:
    """Without accents: België → belgie, España → espana."""
    return "".join(c for c in unicodedata.normalize("NFKD", name)
                   if not unicodedata.combining(c))


@cache
def country_names() -> dict[str, str]:
    """Lower-case name or code → ISO code, from the shipped table."""
    return json.loads(TABLE.read_text(encoding="utf-8"))


def names_from_babel() -> dict[str, str]:
    """The table as babel's CLDR data gives it. A name two countries share in different
    languages is left out (it stays unrecognised rather than guessed)."""
    from babel import Locale

    found: dict[str, set[str]] = {}
    for lang in LANGUAGES:
        for code, name in Locale.parse(lang).territories.items():
            if code in ISO_COUNTRIES:
                for key in {_key(name), _key(_plain(name))}:
                    found.setdefault(key, set()).add(code)
    names = {k: next(iter(v)) for k, v in found.items() if len(v) == 1}
    names.update(_ALIASES)
    names.update({code.lower(): code for code in ISO_COUNTRIES})
    return dict(sorted(names.items()))


def write_table(path: Path = TABLE) -> None:
    """Write babel's table to ``path`` (sorted, one name a line: readable diffs)."""
    text = json.dumps(names_from_babel(), ensure_ascii=False, indent=0)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(path)


def country_code(value: pl.Expr) -> pl.Expr:
    """The ISO code for a country name or code in any case; other text unchanged."""
    names = country_names()
    keys, codes = pl.Series(list(names), dtype=pl.String), pl.Series(list(names.values()))
    if not value.meta.root_names():  # a constant: looked up as is (a UDF would not broadcast)
        return pl.coalesce(value.str.to_lowercase().replace_strict(
            keys, codes, default=None, return_dtype=pl.String), value)
    iso = pl.Series(sorted(ISO_COUNTRIES), dtype=pl.String)

    def lookup(s: pl.Series) -> pl.Series:
        # a cell that is already a code (NL) is its own code: only the others are
        # lower-cased and looked up (the table maps every lower-case code to itself)
        todo = ~s.is_in(iso.implode()) & s.is_not_null()
        if not todo.any():
            return s
        at = where(todo)
        sub = s.gather(at)
        found = sub.str.to_lowercase().replace_strict(keys, codes, default=None,
                                                      return_dtype=pl.String)
        return s.scatter(at, pl.select(pl.coalesce(found, sub)).to_series())

    return value.map_batches(lookup, return_dtype=pl.String, is_elementwise=False)
