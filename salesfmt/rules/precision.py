"""Numbers with more digits than the kept places (``DECIMAL_SCALE``): flagged, so that
parsing never rounds a partner's value away silently (``1e-400`` is not 0)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import polars as pl

from salesfmt._series import constant, where
from salesfmt.canonical import DECIMAL_SCALE
from salesfmt.rules.parsers import ParseOptions, _decimal_text

__all__ = ["lost_digits"]


def lost_digits(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    """True where a number has digits beyond the DECIMAL_SCALE places kept (``1e-400``,
    ``0.12345678``): parsing would round them away, so the cell is reported instead."""
    return raw.map_batches(lambda s: _lost(s, opts), return_dtype=pl.Boolean,
                           is_elementwise=False)


# an exponent as the full parse reads one: e or E, an optional sign, a digit
_EXPONENT = "[eE][+\\-\u2212]?\\d"


def _candidates(s: pl.Series, dec: str) -> pl.Series:
    """Cells that may have more than DECIMAL_SCALE places: more bytes than that after the
    first decimal separator, or an exponent. Two byte scans, no parse (``€ 12,50``,
    ``EUR 12,50`` and whole numbers are ruled out here)."""
    after = s.str.len_bytes() - s.str.find(dec, literal=True)  # null: no separator
    return (after > DECIMAL_SCALE + 1) | s.str.contains(_EXPONENT)  # null: false below


def _lost(s: pl.Series, opts: ParseOptions) -> pl.Series:
    """Only the candidate cells (``_candidates``) are parsed; only exponent forms (rare)
    are checked number by number."""
    hit = constant(False, len(s), pl.Boolean)
    gate = _candidates(s, opts.decimal_separator)
    if not gate.any():
        return hit
    idx = where(gate)
    text = _decimal_text(s.gather(idx), opts)
    exp = text.str.contains("[eE]").fill_null(False)
    lost = (~exp & text.str.contains(rf"\.\d{{{DECIMAL_SCALE}}}\d*[1-9]")).fill_null(False)
    if exp.any():
        at = where(exp)
        lost = lost.scatter(at, pl.Series([_inexact(t) for t in text.gather(at)],
                                          dtype=pl.Boolean))
    return hit.scatter(idx, lost)


def _inexact(text: str) -> bool:
    """``1e-400`` → True: the number changes when kept to DECIMAL_SCALE places."""
    d = Decimal(text)
    try:
        return d != d.quantize(Decimal(1).scaleb(-DECIMAL_SCALE))
    except InvalidOperation:  # too large to keep at all: the parse refuses it
        return False
