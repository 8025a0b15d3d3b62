"""Place canonical fields on partner columns from three kinds of evidence: the header
lexicon, the values' signatures and fuzzy similarity of the header (rapidfuzz).

Every placement carries its score (0-100) and the evidence in words; below
:data:`CONFIDENT` the draft marks it ``# CHECK:``."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from salesfmt.onboard._data import lexicon
from salesfmt.onboard.profile import ColumnProfile
from salesfmt.rules.headers import normalize_header

__all__ = ["Placement", "place_fields", "fit", "CONFIDENT", "PLACED"]

#: A placement at or above this score is written without a ``# CHECK:`` mark.
CONFIDENT = 90.0
#: Below this score a field is not placed at all (TODO when the target requires it).
PLACED = 60.0
_FUZZY = 80.0
#: Score of an empty column whose header is in the lexicon (asked to be checked).
EMPTY = 85.0
#: Signatures strong enough to place a field on values alone (kind → signatures).
_STRONG = {"email": ("email",), "currency": ("currency",), "country": ("countryname",)}


@dataclass(frozen=True)
class Placement:
    """A canonical field placed on a partner column."""

    field: str
    column: ColumnProfile
    score: float
    evidence: str
    langs: tuple[str, ...] = ()  # languages of the lexicon alias that placed it

    @property
    def confident(self) -> bool:
        """True when no human check is asked for."""
        return self.score >= CONFIDENT


def _values_text(col: ColumnProfile, kind: str, share: float) -> str:
    words = {"integer": "whole numbers", "number": "numbers", "date": "dates",
             "email": "e-mail addresses", "currency": "ISO currency codes",
             "country": "countries"}
    if kind not in words:
        return ""
    n = round(share * col.filled)
    extra = ""
    if kind == "number" and col.counts.get("money"):
        extra = f", {col.counts['money']} with a currency sign"
    return f"; values: {n} of {col.filled} {words[kind]}{extra}"


def fit(kind: str, col: ColumnProfile) -> float:
    """Share (0-1) of the column's filled cells that fit a field of ``kind``."""
    if not col.filled:
        return 0.0
    if kind == "integer":
        return col.share("integer")
    if kind == "number":
        return col.share("number")
    if kind == "date":
        return col.share("date")
    if kind in ("email", "currency", "country"):
        return col.share(kind)
    if kind == "boolean":
        return 1.0 if 0 < col.n_distinct <= 6 else 0.0
    if kind == "text":  # free text or words: not a column of numbers or dates
        return 0.3 if max(col.share("number"), col.share("date")) >= 0.9 else 1.0
    return 1.0


def _vocabulary(col: ColumnProfile, domain: str, allowed: list[str]) -> int:
    """Cells of the column whose value is an allowed value or a synonym of one."""
    from salesfmt.onboard.values import value_map

    vm = value_map(col, domain, allowed)
    known = set(vm.allowed_as_is) | set(vm.entries)
    return sum(n for v, n in col.distinct if v in known)


def _candidate(name: str, col: ColumnProfile,
               vocab: tuple[str, list[str]] | None = None) -> Placement | None:
    lex = lexicon()
    kind = lex.kinds.get(name, "any")
    share = fit(kind, col)
    hit = lex.exact(name, col.original)
    if hit is not None and not col.filled:  # the header says it; no value says otherwise
        return Placement(name, col, EMPTY, f"lexicon ({hit[0]}) {hit[1]!r}; the column is "
                         "empty in this file", tuple(hit[0].split(", ")))
    if hit is not None:
        lang, alias, rank = hit
        score = 100.0 - min(rank, 50) / 100 if share >= 0.8 else (70.0 if share >= 0.5
                                                                    else 40.0)
        why = f"lexicon ({lang}) {alias!r}{_values_text(col, kind, share)}"
        if share < 0.8:
            why += " — the values do not look like it"
        return Placement(name, col, score, why, tuple(lang.split(", ")))
    key = normalize_header(col.original)
    best, best_alias = 0.0, ""
    for _, alias in lex.aliases.get(name, []):
        akey = normalize_header(alias)
        score = fuzz.ratio(key, akey)
        if len(akey) >= 4 and key.startswith(akey):  # "Bedrag EUR", "Menge Stk."
            score = max(score, 85.0)
        if score > best:
            best, best_alias = score, alias
    if best >= _FUZZY and share >= 0.8:
        return Placement(name, col, round(best * 0.95, 1),
                         f"header like {best_alias!r} ({best:.0f}%)"
                         f"{_values_text(col, kind, share)}")
    strong = _STRONG.get(kind)
    alone = " (header not in the lexicon)"
    if (strong and col.share(*strong) >= 0.9) or (name == "sold_at" and share >= 0.9):
        return Placement(name, col, 65.0, _values_text(col, kind, share)[2:] + alone)
    if vocab is not None and col.distinct and col.n_distinct <= len(col.distinct):
        n = _vocabulary(col, *vocab)
        if n >= 0.8 * col.filled:
            what = vocab[0].replace("_", " ")
            return Placement(name, col, 75.0, f"values: {n} of {col.filled} are {what} "
                                              f"words{alone}")
    if name == "transaction_id" and col.share("uuid") >= 0.9:
        return Placement(name, col, 65.0, f"values: {col.counts['uuid']} of {col.filled} "
                                          f"UUIDs{alone}")
    if name == "sku" and col.share("gtin") >= 0.9:
        return Placement(name, col, 65.0, f"values: {col.counts['gtin']} of {col.filled} "
                                          f"EAN/GTIN codes with a valid check digit{alone}")
    return None


def place_fields(fields: list[str], columns: list[ColumnProfile],
                 vocab: dict[str, tuple[str, list[str]]] | None = None
                 ) -> dict[str, Placement]:
    """Field → placement, best evidence first: each column feeds at most one field.
    ``vocab``: enumerated fields → (synonyms table, allowed values), so a column of such
    values is placed by them."""
    order = {f: i for i, f in enumerate(fields)}
    vocab = vocab or {}
    cands = [p for f in fields for c in columns
             for p in [_candidate(f, c, vocab.get(f))] if p is not None and p.score >= PLACED]
    cands.sort(key=lambda p: (-p.score, order[p.field],
                              columns.index(p.column)))
    placed: dict[str, Placement] = {}
    used: set[str] = set()
    for p in cands:
        if p.field in placed or p.column.header in used:
            continue
        placed[p.field] = p
        used.add(p.column.header)
    return placed
