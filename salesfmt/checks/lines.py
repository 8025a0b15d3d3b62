"""Checks over several fields of one line (declared with a ``fields:`` parameter naming other
target fields), ISO 4217 currencies, signs of returns: what the API targets need beyond the
built-ins. Registered on import, like :mod:`salesfmt.checks.builtin`."""

from __future__ import annotations

import polars as pl

from salesfmt.checks import Context, register

__all__ = ["ISO_CURRENCIES"]


#: ``fields:``: the other target field(s) of the line the check reads
_FIELDS = {"fields": {"anyOf": [{"type": "string"},
                                {"type": "array", "items": {"type": "string"}, "minItems": 1}]}}


def _present(exprs: list[pl.Expr]) -> list[pl.Expr]:
    return [e.is_not_null() for e in exprs]


@register("one_of_required", "{column}: one of {column}, {fields} is required",
          params=_FIELDS)
def one_of_required(value: pl.Expr, raw: pl.Expr, fields: list[pl.Expr]) -> pl.Expr:
    """At least one of several fields must be given (e.g. the SKU, the standard way or the
    legacy way). Fill one of them.

    Operator: Map one of them in the rule file."""
    return pl.any_horizontal(_present([value, *fields]))


@register("not_with", "{column} cannot be sent together with {fields}",
          params=_FIELDS)
def not_with(value: pl.Expr, raw: pl.Expr, fields: list[pl.Expr]) -> pl.Expr:
    """The field excludes the others: send one way of identifying the product, not both.
    Leave the other columns empty.

    Operator: The rule file may drop the other columns instead."""
    return value.is_null() | ~pl.any_horizontal(_present(fields))


@register("required_together", "{column} and {fields} are required together",
          params=_FIELDS)
def required_together(value: pl.Expr, raw: pl.Expr, fields: list[pl.Expr]) -> pl.Expr:
    """These fields only mean something together: give all of them or none."""
    present = _present([value, *fields])
    return pl.all_horizontal(present) | ~pl.any_horizontal(present)


@register("exactly_one", "exactly one of {column}, {fields} is required",
          params=_FIELDS)
def exactly_one(value: pl.Expr, raw: pl.Expr, fields: list[pl.Expr]) -> pl.Expr:
    """Exactly one of these alternatives must be given: not none, not several."""
    return pl.sum_horizontal([p.cast(pl.Int32) for p in _present([value, *fields])]) == 1


@register("sign_mismatch", "{column} must have the same sign as {fields}",
          params=_FIELDS)
def sign_mismatch(value: pl.Expr, raw: pl.Expr, fields: list[pl.Expr]) -> pl.Expr:
    """Returns are negative in quantity and in amount; a sale is positive in both. Zero
    amounts (free items) are fine either way."""
    other = fields[0]
    return (value == 0) | (other == 0) | ((value < 0) == (other < 0))


@register("mixed_return",
          "{column} '{value}' mixes sold and returned lines (its first line, row {first_row}, "
          "is {first_value}); "
          "send the return as a separate sale with its own {column}",
          context=Context.LINES)
def mixed_return(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """A sale's lines are all sold (positive) or all returned (negative): the API wants each
    return as its own sale with a new id. Give the return lines their own receipt id."""
    return pl.lit(True)


# ISO 4217 active alphabetic codes (2024 list, plus the funds/precious-metal codes it holds).
ISO_CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD
JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA
XBB XBC XBD XCD XDR XOF XPD XPF XPT XSU XTS XUA XXX YER YUM ZAR ZMW ZWG ZWL""".split())


@register("invalid_currency", "{column} is not an ISO 4217 currency code")
def invalid_currency(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The currency must be an ISO 4217 three-letter code in capitals (EUR, GBP, USD).
    Write the three-letter code.

    Operator: Use a `map:` in the rule file for symbols or names (€ → EUR)."""
    return value.cast(pl.String).is_in(sorted(ISO_CURRENCIES))
