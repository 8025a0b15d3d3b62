"""Problem messages in the partner's language: each message is identified by the English
template that produced it, its parameters are read back from it, and the translated
template is filled with them. One catalog entry per template, whatever the values.

Vectorised: the distinct messages of a problem table are matched against each template's
pattern (a regex per template, run by polars), and the problem table's ``message`` column
is mapped to the translation. A message no template produced (a custom target's own
wording) stays as it is.
"""

from __future__ import annotations

import re
import string
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

import polars as pl

from salesfmt.checks import all_checks, get_check
from salesfmt.i18n import N_, Language, day, number, translations

__all__ = ["FILE_MESSAGES", "WORDS", "templates", "localize", "translate_template", "hint",
           "noun"]

#: Messages of file-level problems found while reading (readers/_source.py, csv.py,
#: workbook.py), as templates. The readers write them with f-strings: tests/test_i18n.py
#: runs files that raise them and fails on one that stays English.
FILE_MESSAGES: tuple[str, ...] = (
    N_("column {letter} has no header; it is named '{name}'"),
    N_("header '{text}' is a name salesfmt uses itself; column {letter} is named '{name}'"),
    N_("header '{text}' appears more than once; column {letter} is named '{name}'"),
    N_("row has {cells} cells but the header has {n}: the extra cells would be lost"),
    N_("row has {cells} cells but the header has {n}: the missing cells read as empty"),
    N_("cell {cell} holds the formula error {error}"),
    N_("cells {first}:{last} are merged; only {first} holds the value, the other cells "
       "read as empty"),
    N_("cells {first}:{last} are merged (a title above the header); only {first} holds the "
       "value, the other cells read as empty"),
    N_("cells {first}:{last} are merged (in the header row); only {first} holds the value, "
       "the other cells read as empty"),
    N_("the quoting of this file could not be followed exactly: row numbers may be off and "
       "ragged rows unreported"),
    N_("quotes in this file are not RFC 4180 (text after a closing quote, or a quote inside "
       "an unquoted value); it was read leniently, keeping such characters as text"),
)

#: Words salesfmt itself puts into messages as parameters (a record's noun from a
#: declaration's ``noun:``, a line's sign). A partner's value is always quoted ('…') in a
#: template; an unquoted parameter holding one of these words is translated.
WORDS: tuple[str, ...] = (N_("sale"), N_("transaction"), N_("record"), N_("group"),
                          N_("sold"), N_("returned"))
#: joins the date formats a not_a_date message expects
_OR = N_("or")

#: Parameters that are numbers salesfmt formats itself: written the partner's way.
_NUMBERS = frozenset({"max_length", "min", "max", "decimals", "count", "score", "forbidden"})
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
#: a server code in front of a template (``field.invalid.format: …``)
_CODE_PREFIX = "{server_code}: "


def templates(target: Any | None = None) -> list[str]:
    """Every English template a run (against ``target``) may fill: the checks' own, the
    target's wording (top level and per field) and the readers' file-level messages."""
    from salesfmt.targets.safety import ESCAPED

    found = [c.message for c in all_checks()] + [ESCAPED, *FILE_MESSAGES]
    if target is not None:
        found += list(target.messages.values())
        found += [use.message for f in target.fields for use in f.checks if use.message]
    return list(dict.fromkeys(found))


def translate_template(template: str, lang: Language) -> str:
    """``template`` in ``lang`` (itself when the catalog has no translation)."""
    return translations(lang).gettext(template) if template else template


def hint(code: str, lang: Language) -> str:
    """The partner's "how to fix" text of check ``code``, in ``lang`` ("" if unknown)."""
    try:
        text = get_check(code).partner
    except KeyError:
        return ""
    return translate_template(text, lang)


def noun(word: str, lang: Language) -> str:
    """A record's noun (``sale``) in ``lang``; a declaration's own noun stays as it is."""
    return translate_template(word, lang) if word in WORDS else word


def _escape(literal: str) -> str:
    """A literal for the regex engine (only its metacharacters escaped)."""
    return re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", literal)


@cache
def _pattern(template: str) -> tuple[str, tuple[str, ...]]:
    """(anchored regex with one named group per placeholder, the group names)."""
    out, names = ["(?s)^"], []
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(_escape(literal))
        if name is None:
            continue
        if name.isidentifier() and name not in names:
            names.append(name)
            out.append(f"(?P<{name}>.*?)")
        else:
            out.append("(?:.*?)")
    out.append("$")
    return "".join(out), tuple(names)


def _pairs(target: Any | None, lang: Language) -> list[tuple[str, str]]:
    """(English template, translated template) for every template with a translation; the
    same with a leading server code; most literal text first (the most specific wins)."""
    pairs = []
    for english in templates(target):
        translated = translate_template(english, lang)
        if translated != english:
            pairs.append((english, translated))
            pairs.append((_CODE_PREFIX + english, _CODE_PREFIX + translated))
    return sorted(pairs, key=lambda p: -len(_pattern(p[0])[0]))


def _quoted(template: str) -> frozenset[str]:
    """Placeholders the template quotes ('{value}'): the partner's own text."""
    return frozenset(re.findall(r"'\{(\w+)\}'", template))


def _local(name: str, values: pl.Series, lang: Language, quoted: frozenset[str]) -> pl.Series:
    """Numbers (and ISO dates) salesfmt formatted itself, and its own words, the way
    ``lang`` writes them; the partner's quoted values are left as they are."""
    values = values.cast(pl.String)
    if name in quoted:
        return values
    if name == "expected":  # date formats: 'dd-mm-yyyy or dd-mm-yyyy HH:MM'
        return values.str.replace_all(" or ", f" {translate_template(_OR, lang)} ",
                                      literal=True)
    if name not in _NUMBERS:
        return values.replace(list(WORDS), [noun(w, lang) for w in WORDS])
    table = {}
    for v in values.drop_nulls().unique().to_list():
        if _ISO_DAY.match(v):
            table[v] = day(date.fromisoformat(v), lang)
        elif _NUMBER.match(v):  # as many decimals as written: 563.50 → 563,50
            places = len(v.partition(".")[2])
            table[v] = number(Decimal(v), lang, "#,##0" + ("." + "0" * places if places else ""))
    if not table:
        return values
    return values.replace(list(table), list(table.values()))


def _fill(groups: pl.DataFrame, english: str, translated: str, lang: Language) -> pl.Series:
    """``translated`` filled with ``groups`` (one column per placeholder of ``english``)."""
    quoted = _quoted(english)
    groups = groups.with_columns(_local(n, groups.get_column(n), lang, quoted)
                                 for n in groups.columns)
    parts: list[pl.Expr] = []
    for literal, name, _, _ in string.Formatter().parse(translated):
        if literal:
            parts.append(pl.lit(literal))
        if name is not None:
            parts.append(pl.col(name).fill_null("") if name in groups.columns
                         else pl.lit("{" + name + "}"))
    return groups.select(pl.concat_str(parts or [pl.lit("")]).alias("message")).to_series()


def localize(problems: pl.DataFrame, lang: Language, target: Any | None = None) -> pl.DataFrame:
    """``problems`` with each ``message`` in ``lang`` (the table is otherwise unchanged;
    values stay as the partner wrote them)."""
    if lang is Language.EN or not problems.height:
        return problems
    todo = problems.get_column("message").drop_nulls().unique().to_frame("message")
    old: list[pl.Series] = []
    new: list[pl.Series] = []
    for english, translated in _pairs(target, lang):
        if not todo.height:
            break
        regex, names = _pattern(english)
        hit = todo.get_column("message").str.contains(regex)
        if not hit.any():
            continue
        matched = todo.filter(hit)
        todo = todo.filter(~hit)
        groups = (matched.select(pl.col("message").str.extract_groups(regex)).unnest("message")
                  if names else matched.select(pl.lit(None).alias("_")))
        old.append(matched.get_column("message"))
        new.append(_fill(groups.select(names) if names else groups, english, translated, lang))
    if not old:
        return problems
    return problems.with_columns(pl.col("message").replace(pl.concat(old), pl.concat(new)))
