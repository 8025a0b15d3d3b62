"""Partner-facing text in the partner's language: gettext catalogs (compiled from the
committed ``.po`` sources at first use, by babel) and per-locale number and date formats.

English is the source language: its text is the ``msgid`` itself. Dutch, German and French
come from ``locale/<lang>/LC_MESSAGES/salesfmt.po``. Operator hints, rule keys and the
server's JSON envelope stay English.
"""

from __future__ import annotations

import gettext
import io
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from salesfmt.errors import SalesfmtError
from salesfmt.problems import N_

__all__ = ["Language", "DEFAULT", "LOCALE_DIR", "DOMAIN", "N_", "language", "translations",
           "number", "day", "catalog_path"]

#: Where the catalogs live (shipped inside the package, so a wheel carries them).
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "salesfmt"


class Language(StrEnum):
    """The languages partner-facing text is written in."""

    EN = "en"
    NL = "nl"
    DE = "de"
    FR = "fr"


DEFAULT = Language.EN


def language(code: str | Language | None) -> Language:
    """The language for ``code`` (``nl``, ``NL``, ``nl_BE``, None → English)."""
    if code is None or code == "":
        return DEFAULT
    if isinstance(code, Language):
        return code
    base = str(code).strip().lower().replace("-", "_").split("_")[0]
    try:
        return Language(base)
    except ValueError:
        known = ", ".join(lang.value for lang in Language)
        raise SalesfmtError(f"unknown language {code!r} (known: {known})") from None


def catalog_path(lang: Language) -> Path:
    """The ``.po`` source of ``lang``'s catalog."""
    return LOCALE_DIR / lang.value / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: Language) -> gettext.NullTranslations:
    """``lang``'s catalog, compiled from its ``.po`` source in memory at first use (a
    compiled ``.mo`` beside it is used when it is not older). English: the msgids."""
    if lang is Language.EN:
        return gettext.NullTranslations()
    po = catalog_path(lang)
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang.value, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)  # fuzzy entries are left out: they show in English
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def number(n: int | float | Decimal, lang: Language, fmt: str | None = None) -> str:
    """A number the way ``lang`` writes it (``1,234.5`` / ``1.234,5`` / ``1 234,5``); every
    decimal kept unless ``fmt`` (a CLDR pattern) says otherwise."""
    return format_decimal(n, format=fmt, locale=lang.value, decimal_quantization=fmt is not None)


def day(d: date, lang: Language) -> str:
    """A date the way ``lang`` writes it, unambiguously (``1 Jan 1900`` / ``1 jan 1900``)."""
    return format_date(d, format="medium", locale=lang.value)
