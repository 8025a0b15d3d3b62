"""Built-in checks. Each returns True where valid; nulls count as valid unless the check
is about presence. Message templates may use {column}, {value} and the check's params."""

from __future__ import annotations

from datetime import date

import polars as pl

from salesfmt._series import constant, where
from salesfmt.checks import Context, register
from salesfmt.checks.countries import ISO_COUNTRIES
from salesfmt.problems import Severity

EMAIL_PATTERN = r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"


#: ``min:`` / ``max:``: a number, or an ISO date (YYYY-MM-DD) on a date field
_BOUND = {"type": ["number", "string"]}


def _unparsed(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The cell holds text (not only blanks) but the value is missing. The text is only
    looked at where the value is null: most rows cost one null check."""
    text = pl.when(value.is_null()).then(raw.cast(pl.String))
    return text.str.strip_chars().str.len_bytes().fill_null(0) > 0


@register("required", "{column} is required")
def required(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """A required field is empty (or its column is missing). The server rejects the line.
    Fill the cell.

    Operator: A `default:` or `constant:` in the rule file fills the field instead."""
    return value.is_not_null() | _unparsed(value, raw)


def _type_check(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    return ~_unparsed(value, raw)


@register("invalid_number", "{column} is not a valid number")
def invalid_number(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The cell holds text that is not a number, or not a whole number where one is
    needed. Write the number with digits only, with the same decimal separator as the rest
    of the file.

    Operator: The rule's `parse:` declares the decimal and thousands separators and the
    currency sign."""
    return _type_check(value, raw)


@register("invalid_date", "{column} is not a valid date")
def invalid_date(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The cell is not a date, or the date does not exist (31 February). Write an
    existing date in the same format as the file's other dates.

    Operator: Dates are read in the rule's `date_formats` and in ISO 8601."""
    return _type_check(value, raw)


@register("invalid_datetime", "{column} is not a valid date-time")
def invalid_datetime(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The cell is not a date and time. Write it in the same format as the file's other
    dates and times.

    Operator: Date-times are read in the rule's `date_formats` and in ISO 8601."""
    return _type_check(value, raw)


@register("invalid_boolean", "{column} is not a valid boolean")
def invalid_boolean(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The cell is not a yes/no value. Write one of the words the file uses for yes and
    no (yes/no, ja/nee, 1/0, x, ...).

    Operator: The rule's `true_values` and `false_values` add words."""
    return _type_check(value, raw)


@register("too_long", "{column} must be at most {max_length} characters",
          params={"max_length": {"type": "integer", "minimum": 1}})
def too_long(value: pl.Expr, raw: pl.Expr, max_length: int) -> pl.Expr:
    """The text is longer than the target allows (counted in characters, not bytes).
    Shorten it."""
    return value.cast(pl.String).map_batches(lambda s: _fits(s, max_length),
                                             return_dtype=pl.Boolean, is_elementwise=False)


def _fits(s: pl.Series, max_length: int) -> pl.Series:
    """Characters ≤ ``max_length``: a text has no more characters than bytes, so only the
    cells with more bytes are counted character by character (a byte count is free)."""
    over = s.str.len_bytes() > max_length
    fits = constant(True, len(s), pl.Boolean)
    if over.any():
        at = where(over)
        fits = fits.scatter(at, s.gather(at).str.len_chars() <= max_length)
    return fits


@register("too_small", "{column} must be at least {min}", params={"min": _BOUND})
def too_small(value: pl.Expr, raw: pl.Expr, min: float) -> pl.Expr:
    """The number is below the smallest value the target accepts. Correct the number."""
    return value >= min


@register("too_large", "{column} must be at most {max}", params={"max": _BOUND})
def too_large(value: pl.Expr, raw: pl.Expr, max: float) -> pl.Expr:
    """The number is above the largest value the target accepts. Correct the number."""
    return value <= max


@register("too_many_decimals", "{column} must have at most {decimals} decimal places",
          params={"decimals": {"type": "integer", "minimum": 0}})
def too_many_decimals(value: pl.Expr, raw: pl.Expr, decimals: int) -> pl.Expr:
    """The amount has more decimal places than the target keeps; it is never rounded
    silently. Round it in your file.

    Operator: If the number is misread, fix the rule's decimal separator."""
    return value.round(decimals) == value


@register("not_allowed", "{column} must be one of {allowed}",
          params={"allowed": {"type": "array", "minItems": 1,
                              "items": {"type": ["string", "number"]}}})
def not_allowed(value: pl.Expr, raw: pl.Expr, allowed: list[str]) -> pl.Expr:
    """The value is not one of the values the target accepts (the message lists them).
    Use one of those values.

    Operator: Add a `map:` to the rule file to translate the partner's words
    (PIN → card)."""
    return value.cast(pl.String).is_in(list(allowed))


@register("invalid_email", "{column} is not a valid email")
def invalid_email(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The address is not of the form name@domain.tld. Correct the address."""
    return value.cast(pl.String).str.contains(EMAIL_PATTERN)


@register("future_date", "{column} must not be in the future")
def future_date(value: pl.Expr, raw: pl.Expr, today: date) -> pl.Expr:
    """A sale cannot happen after today. Correct the date: a future date is often a
    mistyped year or a day and month swapped.

    Operator: To check a file as of another day, fix "today" with
    `--today YYYY-MM-DD`."""
    return value.cast(pl.Date) <= pl.lit(today)


@register("unmapped_value", "{column} has no mapping for value '{value}'",
          context=Context.RULES)
def unmapped_value(value: pl.Expr, raw: pl.Expr, flag: pl.Expr) -> pl.Expr:
    """The cell holds a value that is not in the agreed list of values for this column.
    Use one of the agreed values.

    Operator: The rule's value map is marked `unmapped: error` and does not list this
    value: add it to the map."""
    return ~flag


@register("formula_like", "{column} starts like a spreadsheet formula (=, +, -, @), which "
          "a spreadsheet would run: remove the leading character")
def formula_like(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """Text starting with =, +, -, @ (also after blanks or invisible characters), or with a
    tab or carriage return, is run as a formula when the file is opened in a spreadsheet
    (CSV injection). Remove the leading character unless the text is meant to start with
    it. Not flagged: signed numbers and phone numbers (`-2`, `+31 20 555 0100`,
    `+44 (0)20 7946 0958`), dash bullets without formula characters (`- n/a`) and a lone
    placeholder dash (`-`).

    Operator: The line is rejected by default. `formulas: warn` in the rule file (or
    `severity: {formula_like: warning}`) lets such text through; `formulas: escape` writes
    it with a leading ' so that a spreadsheet shows it as text."""
    return ~formula_start(value)


def formula_start(value: pl.Expr) -> pl.Expr:
    """True where the text would be run as a formula by a spreadsheet (see formula_like)."""
    return value.cast(pl.String).map_batches(_formula_start, return_dtype=pl.Boolean,
                                             is_elementwise=False)


# a formula character first, after any blanks and invisible (format) characters
_FORMULA = r"^(?:[\t\r]|[\s\p{Cf}]*[=+\-@])"
# harmless look-alikes: a signed number or phone number, a dash bullet without formula
# syntax, a lone placeholder dash (a spreadsheet keeps "-" and "--" as text)
_HARMLESS = (r"^[\s\p{Cf}]*(?:[+\-][\d\s.,()]*\d[\d\s.,()]*|-\s+[^=+@()|!\"&;]*"
             r"|[+\-]+\s*)$")


def _formula_start(s: pl.Series) -> pl.Series:
    """True where the text starts like a formula. A string comparison reads only the inline
    prefix of each value (10x cheaper than a regex): the regexes run only on the few cells
    that start below "A" but not with a digit, or with a non-ASCII character."""
    hit = constant(False, len(s), pl.Boolean)
    gate = ((s < "0") | ((s >= ":") & (s < "A")) | (s >= "\u0080")).fill_null(False)
    if not gate.any():
        return hit
    idx = where(gate)
    cand = s.gather(idx)
    return hit.scatter(idx, cand.str.contains(_FORMULA) & ~cand.str.contains(_HARMLESS))


# XML 1.0 refuses C0 controls other than tab, LF and CR, and U+FFFE / U+FFFF
_XML_ILLEGAL = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r") + "\ufffe\uffff"
XML_ILLEGAL = "[" + "".join(f"\\x{{{ord(c):X}}}" for c in _XML_ILLEGAL) + "]"


def code_point(value: pl.Expr) -> pl.Expr:
    """The first XML-illegal character of the text, as U+XXXX."""
    return value.cast(pl.String).str.extract(f"({XML_ILLEGAL})").replace_strict(
        list(_XML_ILLEGAL), [f"U+{ord(c):04X}" for c in _XML_ILLEGAL], default=None)


@register("invalid_character",
          "{column} contains the character {code_point}, which a workbook cannot hold: "
          "remove it", details=lambda v: {"code_point": code_point(v)})
def invalid_character(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The text holds a character XML (and so an XLSX workbook) cannot contain: a control
    character other than tab and line break, or the non-characters U+FFFE and U+FFFF.
    Usually a fault of the exporting system: remove it in the source.

    Operator: Declared on the sales-template text fields; if lowered to a warning the
    writer still escapes the character (Excel's _xFFFE_), so the workbook stays valid."""
    return ~value.cast(pl.String).str.contains(XML_ILLEGAL)


@register("line_break", "{column} has a line break: written as a space",
          severity=Severity.WARNING)
def line_break(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The file may have one record per line only, so a line break inside a value is
    written as a space. Put the value on one line if the space is not what you mean.

    Operator: Declared by the target (`options: {line_breaks: space}`, bulk-csv)."""
    return ~value.cast(pl.String).str.contains("[\r\n]")


@register("precision_lost",
          "{column} '{value}' has more digits than can be kept exactly (at most 6 "
          "decimal places): round it in the file",
          context=Context.RULES)
def precision_lost(value: pl.Expr, raw: pl.Expr, flag: str) -> pl.Expr:
    """The number has digits beyond the six decimal places that are kept: it would be
    changed, so it is refused instead of rounded silently (1e-400 would become 0). Round
    it in the file."""
    return ~pl.col(flag)


@register("not_equal", "{column} must not be {forbidden}", params={"forbidden": {"type": "number"}})
def not_equal(value: pl.Expr, raw: pl.Expr, forbidden: float) -> pl.Expr:
    """The target refuses this value (a quantity of 0: the template's own validation wants
    a whole number other than 0). Leave the line out, or give the real quantity."""
    return value != forbidden


@register("duplicate", "{column} is duplicated (first seen on line {first_line})",
          context=Context.LINES)
def duplicate(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The field (or combination of fields) must be unique in the file and this value was
    already used on an earlier line. Give each line its own value, or remove the repeated
    line.

    Operator: Checked across the whole file, not per batch."""
    return pl.lit(True)


@register("inconsistent",
          "{column} differs from line {first_line} of the same {group} ('{first_value}')",
          context=Context.LINES)
def inconsistent(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """All lines of one group (one sale, one transaction) must agree on this field — the
    target sends it once per group. The first line of the group sets the value: give the
    other lines the same value."""
    return pl.lit(True)


@register("missing_column",
          "no column for {column} in the file (looked for: {aliases}); closest headers: "
          "{closest}; the file's headers: {headers}",
          context=Context.FILE)
def missing_column(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """A column the target needs is not in the file's header row, so every line lacks the
    field. The message lists the file's headers and the closest ones with a similarity
    score (0-100). Add the column, with the agreed header.

    Operator: Add the file's header to the field's `column:` aliases in the rule file, or
    set `headers: {fuzzy: true, threshold: 85}`."""
    return pl.lit(True)


@register("fuzzy_header", "header '{header}' taken for {column} by fuzzy match (score {score})",
          severity=Severity.WARNING,
          context=Context.FILE)
def fuzzy_header(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """A header was matched to a field because it looks like the agreed header, not
    because it is the agreed header. Use the agreed header name.

    Operator: The rule file allows fuzzy header matching (`headers: {fuzzy: true}`) and
    this header scored above the threshold. Check it is the right column, then add it to
    the field's aliases to make the match exact."""
    return pl.lit(True)


@register("ambiguous_date",
          "{column} '{value}' could be day-first or month-first; set date_order: dmy or mdy",
          context=Context.RULES)
def ambiguous_date(value: pl.Expr, raw: pl.Expr, flag: str) -> pl.Expr:
    """The date reads differently day-first and month-first (03/04/2026: 3 April or
    4 March) and no date of the column settles it (a day over 12 anywhere in the file
    settles it for the whole column): the line is rejected. Write dates as YYYY-MM-DD.

    Operator: The rule fixes no day/month order; set `date_order: dmy` (or mdy) or
    `date_formats` in the rule's `parse:`."""
    return ~pl.col(flag)


@register("invalid_country", "{column} is not an ISO 3166 country code")
def iso_country(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The country must be an ISO 3166-1 alpha-2 code (NL, BE, GB, ...). Write the
    two-letter code, or the country's name in English, Dutch, German, French or Spanish.

    Operator: Targets declaring `normalize: country` (bulk-csv) turn names in the common
    European languages (Nederland, Deutschland, Belgique, United Kingdom) and lower-case
    codes into the code; map other names to codes with a `map:` in the rule file."""
    return value.cast(pl.String).is_in(sorted(ISO_COUNTRIES))
