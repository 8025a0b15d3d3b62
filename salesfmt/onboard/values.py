"""What `salesfmt init` reads from the values: number and date styles, value maps for
enumerated fields, footer rows and voided lines."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from salesfmt.onboard._data import lexicon, synonyms, value_key
from salesfmt.onboard.profile import DATE_FORMATS, ColumnProfile, FileProfile
from salesfmt.readers._source import ROW

__all__ = ["NumberStyle", "number_style", "DateStyle", "date_style", "ValueMap", "value_map",
           "footer_skip", "zero_lines", "bool_words"]

#: A date format is kept when it reads at least this share of a column's dates.
_FORMAT_SHARE = 0.10


@dataclass(frozen=True)
class NumberStyle:
    """Decimal and thousands separators, with the evidence."""

    decimal: str
    thousands: str | None
    evidence: str


def number_style(columns: list[ColumnProfile]) -> NumberStyle:
    """Separators voted by the number columns' text cells (a decimal comma: ``1,50``)."""
    comma = sum(c.comma_decimals for c in columns)
    point = sum(c.point_decimals for c in columns)
    space = sum(c.space_thousands for c in columns)
    if comma > point:
        thousands = " " if space > 0 else "."
        return NumberStyle(",", thousands, f"{comma} amounts with a decimal comma"
                           + (f", {point} with a point" if point else ""))
    if point:
        return NumberStyle(".", None, f"{point} amounts with a decimal point"
                           + (f", {comma} with a comma" if comma else ""))
    return NumberStyle(".", None, "no decimals in the text cells: the default")


@dataclass
class DateStyle:
    """Date formats read from the date columns, with evidence; ``settled`` False when no
    date decides the day/month order (the draft then asks for a check)."""

    formats: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    settled: bool = True


def _swap(fmt: str) -> str:
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def date_style(columns: list[ColumnProfile]) -> DateStyle:
    """Formats for the given date columns, most used first; the day/month order is
    settled by the dates that read only one way (a day over 12)."""
    style = DateStyle()
    ranked: dict[str, int] = {}
    for col in columns:
        found = dict(col.date_formats)
        for fmt in sorted(found, key=DATE_FORMATS.index):
            other = _swap(fmt)
            if fmt not in found or other not in found:
                continue
            mine, theirs = found[fmt], found[other]
            day_first = fmt.index("%d") < fmt.index("%m")
            if mine == theirs:  # no date has a day over 12: nothing settles the order
                style.settled = False
                style.evidence.append(f"{col.original}: no date has a day over 12, "
                                      "day first assumed")
                found.pop(other if day_first else fmt)
            else:
                found.pop(other if mine > theirs else fmt)
        total = col.filled
        for fmt, n in sorted(found.items(), key=lambda kv: (-kv[1], DATE_FORMATS.index(kv[0]))):
            if n >= _FORMAT_SHARE * total and n >= 1:
                ranked[fmt] = ranked.get(fmt, 0) + n
                style.evidence.append(f"{col.original}: {fmt!r} reads {n} of {total}")
    style.formats = sorted(ranked, key=lambda f: (-ranked[f], DATE_FORMATS.index(f)))
    return style


@dataclass
class ValueMap:
    """A value map for one column: entries, values already allowed, values not mapped."""

    entries: dict[str, object] = field(default_factory=dict)
    allowed_as_is: list[str] = field(default_factory=list)
    unmapped: list[tuple[str, int]] = field(default_factory=list)


def _canonical(domain: str, word: str, allowed: list[str]) -> object | None:
    hit = synonyms().get(domain, {}).get(value_key(word))
    if hit is None:
        return None
    if domain in ("online", "boolean", "is_return"):
        return hit == "true"
    return hit if not allowed or hit in allowed else None


def value_map(col: ColumnProfile, domain: str, allowed: list[str]) -> ValueMap:
    """Map the column's distinct values onto ``allowed`` (or booleans) via the synonyms."""
    out = ValueMap()
    by_key = {value_key(a): a for a in allowed}
    for value, count in col.distinct:
        if value in allowed:
            out.allowed_as_is.append(value)
            continue
        target = by_key.get(value_key(value))
        if target is None:
            target = _canonical(domain, value, allowed)
        if target is None:
            out.unmapped.append((value, count))
        else:
            out.entries[value] = target
    return out


def bool_words(col: ColumnProfile) -> tuple[list[str], list[str]] | None:
    """(true words, false words) when every value of the column is a yes/no word."""
    yes, no = [], []
    for value, _ in col.distinct:
        hit = synonyms()["boolean"].get(value_key(value))
        if hit is None:
            return None
        (yes if hit == "true" else no).append(value)
    return (yes, no) if yes or no else None


def footer_skip(profile: FileProfile, langs: list[str] | None = None
                ) -> tuple[str, str, list[int]] | None:
    """(column, pattern, rows) for total/footer rows: a sparsely filled row whose cell in
    one of the first columns reads like a total (Totaal, Total, Summe, Sous-total…);
    the patterns of ``langs`` (the file's languages, most used first) are tried first."""
    if not profile.footer_rows:
        return None
    sparse = profile.data.filter(pl.col(ROW).is_in(sorted(profile.footer_rows)))
    for col in profile.columns[:3]:
        cells = sparse[col.header].str.strip_chars()
        footers = lexicon().footers
        for lang in [*(langs or []), *[g for g in footers if g not in (langs or [])]]:
            pattern = footers.get(lang)
            if pattern is None:
                continue
            hit = sparse.filter(cells.str.contains(pattern).fill_null(False))
            if hit.height:
                return col.original, pattern, hit[ROW].to_list()
    return None


_ZERO = r"^[+-]?0+(?:[.,]0+)?\s*(?:[€$£]|EUR)?$|^(?:[€$£]|EUR)?\s*[+-]?0+(?:[.,]0+)?-?$"


def zero_lines(profile: FileProfile, quantity: ColumnProfile | None,
               amount: ColumnProfile | None) -> int:
    """Lines whose quantity and amount are both zero (voided lines)."""
    if quantity is None or amount is None:
        return 0
    zero = [pl.col(c.header).str.strip_chars().str.contains(_ZERO).fill_null(False)
            for c in (quantity, amount)]
    return int(profile.data.select((zero[0] & zero[1]).sum()).item())

