"""Decide a partner's rule file from its file and a target: what `salesfmt init` writes.

The decisions (:class:`Draft`) are plain data; :mod:`salesfmt.onboard.render` writes them
as a commented YAML rule file, byte for byte the same for the same file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from salesfmt.canonical import FIELDS
from salesfmt.onboard._data import lexicon
from salesfmt.onboard.place import Placement, place_fields
from salesfmt.onboard.profile import ColumnProfile, FileProfile, profile_file
from salesfmt.onboard.values import (
    DateStyle,
    NumberStyle,
    ValueMap,
    bool_words,
    date_style,
    footer_skip,
    number_style,
    value_map,
    zero_lines,
)
from salesfmt.readers import HeaderScorer
from salesfmt.rules.headers import closest_headers, normalize_header
from salesfmt.rules.parsers import FALSE_VALUES, TRUE_VALUES
from salesfmt.targets import Target, load_target

__all__ = ["FieldDraft", "Draft", "draft_rules", "needed_fields"]

_NUMBERS = ("quantity", "amount", "unit_price", "original_amount", "cost_price",
            "vat_percentage")
_DATES = ("sold_at", "date_of_birth")
#: enumerated canonical fields and the synonyms table their values are mapped with
_DOMAINS = {"payment_method": "payment_method", "channel": "channel",
            "ticket_type": "ticket_type", "online": "online", "is_return": "is_return"}
_SIGNS = {"€": "EUR", "£": "GBP", "$": "USD"}


@dataclass
class FieldDraft:
    """One field of the draft: its source and the evidence for it."""

    name: str
    target: str  # the target field(s) it feeds, for comments
    column: str | None = None
    constant: object = None
    template: str | None = None
    expr: str | None = None
    when: str | None = None
    value_map: dict[str, object] = field(default_factory=dict)
    unmapped: str | None = None
    note: str = ""  # evidence, with the score
    check: str = ""  # why a human should look at the placement (a "# CHECK:" mark)
    value_check: str = ""  # values the map could not place (a "# CHECK:" line)
    todo: str = ""  # why it could not be placed (a "# TODO:" line)


@dataclass
class Draft:
    """Everything `init` decided about one file, for one target."""

    name: str
    target: Target
    profile: FileProfile
    numbers: NumberStyle
    dates: DateStyle
    fields: list[FieldDraft]
    true_words: list[str] = field(default_factory=list)
    false_words: list[str] = field(default_factory=list)
    skips: list[tuple[dict[str, str], str]] = field(default_factory=list)
    optional_missing: list[str] = field(default_factory=list)
    #: with --extends auto: (rule reference, why, the parent's fields)
    extends: tuple[str, str, frozenset[str]] | None = None


def needed_fields(target: Target) -> tuple[list[str], dict[str, list[str]], set[str]]:
    """Canonical fields the target reads (in its order), target names per field, and the
    fields a line cannot go out without (required, no constant or default)."""
    order: list[str] = []
    names: dict[str, list[str]] = {}
    required: set[str] = set()
    for f in target.fields:
        if f.source not in FIELDS or f.constant is not None:
            continue
        if f.source not in names:
            order.append(f.source)
        names.setdefault(f.source, []).append(f.name)
        if f.required and f.default is None:
            required.add(f.source)
    return order, names, required


def _scorer(fields: list[str]) -> HeaderScorer:
    aliases = {normalize_header(a) for f in fields for _, a in lexicon().aliases.get(f, [])}
    aliases.discard("")

    def score(cells: list[str]) -> float:
        return float(len({normalize_header(c) for c in cells} & aliases))

    return score


def _allowed(target: Target, source: str) -> list[str]:
    return [str(v) for f in target.fields if f.source == source for use in f.checks
            if use.code == "not_allowed" for v in use.params.get("allowed", ())]


def _no_zero(target: Target) -> bool:
    """True when the target refuses a quantity of 0 (min 1, or 0 forbidden)."""
    return any((use.code == "too_small" and use.params.get("min", 0) >= 1)
               or (use.code == "not_equal" and use.params.get("forbidden") == 0)
               for f in target.fields if f.source == "quantity" for use in f.checks)


def _marks_returns(col: ColumnProfile) -> bool:
    """True when most of the column's values are sale/return words, a return among them."""
    vm = value_map(col, "is_return", [])
    return True in vm.entries.values() and len(vm.entries) >= len(col.distinct) / 2


def _from_placement(p: Placement, target: str) -> FieldDraft:
    out = FieldDraft(p.field, target, column=p.column.original,
                     note=f"{p.evidence}: score {p.score:.0f}")
    if not p.confident:
        out.check = f"{p.evidence}: score {p.score:.0f}, below 90"
        out.note = ""
    return out


def _apply_map(fd: FieldDraft, col: ColumnProfile, domain: str, allowed: list[str]) -> None:
    vm: ValueMap = value_map(col, domain, allowed)
    fd.value_map = vm.entries
    if domain in ("online", "is_return") and vm.entries:  # never a word read as a boolean
        fd.unmapped = "error"
    if vm.unmapped:
        listed = ", ".join(f"{v!r} ({n} line{'s' if n > 1 else ''})" for v, n in vm.unmapped)
        what = "one of " + ", ".join(allowed) if allowed else "true or false"
        fd.value_check = (
            f"values with no synonym: {listed}; map them to {what}, or they are reported")


def _returns(draft: Draft, placed: dict[str, Placement]) -> None:
    """Return lines marked in a column of their own: quantities and amounts signed."""
    ret = next((f for f in draft.fields if f.name == "is_return"), None)
    if ret is None:
        return
    positive = _no_zero(draft.target)
    for fd in draft.fields:
        if fd.name == "quantity" and fd.column:
            fd.expr, fd.when = ("abs(quantity)", None) if positive else \
                ("-abs(quantity)", "is_return")
            _say(fd, "returns: positive quantities, as the target wants" if positive
                 else "returns: negative quantities")
        if fd.name == "amount" and fd.column:
            fd.expr, fd.when = "-abs(amount)", "is_return"
            _say(fd, "returns: negative amounts")


def _say(fd: FieldDraft, what: str) -> None:
    """Add to the field's comment (its CHECK line when it has one: that one is shown)."""
    if fd.check:
        fd.check += f"; {what}"
    else:
        fd.note += f"; {what}"


def draft_rules(path: str | Path, target_name: str, *, name: str | None = None) -> Draft:
    """Read ``path`` and decide a rule file for ``target_name`` (see module docstring)."""
    target = load_target(target_name)
    order, names, required = needed_fields(target)
    helpers = [f for f in ("sale_id", "line_number") if "line_id" in order and f not in order]
    helpers += [f for f in ("quantity", "unit_price")
                if "original_amount" in order and f not in order + helpers]
    wanted = [*order, *helpers, "is_return"]
    profile = profile_file(path, _scorer(wanted))
    vocab = {f: (_DOMAINS[f], _allowed(target, f)) for f in order
             if f in _DOMAINS and _allowed(target, f)}
    placed = place_fields(wanted, profile.columns, vocab)
    ret = placed.get("is_return")
    if ret is not None and not _marks_returns(ret.column):  # a "Type" of something else:
        placed = place_fields(wanted[:-1], profile.columns, vocab)  # its column is free
    draft = Draft(name or _slug(profile.path.stem), target, profile,
                  number_style([p.column for f, p in placed.items() if f in _NUMBERS]
                               or profile.columns),
                  date_style([p.column for f, p in placed.items() if f in _DATES]), [])
    for fname in [*order, *helpers, "is_return"]:
        tnames = ", ".join(names.get(fname, [])) or "(read by other fields)"
        fd = _field(draft, fname, tnames, placed, required)
        if fd is None:
            if fname in order and lexicon().aliases.get(fname):
                draft.optional_missing.append(f"{tnames} ({fname})")
            continue
        draft.fields.append(fd)
    _returns(draft, placed)
    _skips(draft, placed)
    return draft


def _field(draft: Draft, fname: str, tnames: str, placed: dict[str, Placement],
           required: set[str]) -> FieldDraft | None:
    p = placed.get(fname)
    if p is not None:
        fd = _from_placement(p, tnames)
        domain = _DOMAINS.get(fname)
        words = bool_words(p.column) if fname == "online" else None
        if words is not None:
            _words(draft, *words)
        elif domain is not None:
            _apply_map(fd, p.column, domain, _allowed(draft.target, fname))
        return fd
    if fname == "line_id" and "sale_id" in placed and "line_number" in placed:
        return FieldDraft(fname, tnames, template="{sale_id}-{line_number}",
                          note="no line id in the file: built from the sale id and the "
                               "line number, as the target's seed asks")
    if fname == "original_amount" and "quantity" in placed and "unit_price" in placed:
        return FieldDraft(fname, tnames, expr="quantity * unit_price",
                          check="no column of amounts before discount: taken as quantity × "
                                "unit price")
    if fname == "online" and fname in required:
        return FieldDraft(fname, tnames, constant=False,
                          check="no column says whether a sale was online: all lines "
                                "are taken as in-store sales")
    if fname == "currency":
        amounts = placed["amount"].column if "amount" in placed else None
        sign = next((code for s, code in _SIGNS.items() for v in
                     (amounts.samples if amounts else []) if s in v), None)
        if sign:
            return FieldDraft(fname, tnames, constant=sign,
                              check=f"no currency column: the amounts are written in {sign}")
    if fname in required:
        return FieldDraft(fname, tnames, column="TODO", todo=_todo(draft, fname))
    return None


def _todo(draft: Draft, fname: str) -> str:
    aliases = tuple(a for _, a in lexicon().aliases.get(fname, [])) or (fname,)
    headers = [c.original for c in draft.profile.columns]
    near = ", ".join(f"{h!r} ({s:.0f})" for h, s in closest_headers(aliases, headers))
    return (f"no column found for {FIELDS[fname].description.rstrip('.').lower()}"
            + (f"; closest headers: {near}" if near else ""))


def _words(draft: Draft, yes: list[str], no: list[str]) -> None:
    known = {w.lower() for w in (*TRUE_VALUES, *FALSE_VALUES)}
    if any(w.lower() not in known for w in yes + no):
        draft.true_words, draft.false_words = yes, no


def _skips(draft: Draft, placed: dict[str, Placement]) -> None:
    votes: dict[str, int] = {}
    for p in placed.values():
        for lang in p.langs:
            votes[lang] = votes.get(lang, 0) + 1
    langs = sorted(votes, key=lambda g: (-votes[g], g))
    footer = footer_skip(draft.profile, langs)
    if footer is not None:
        column, pattern, rows = footer
        where = ", ".join(str(r) for r in rows[:5]) + (" …" if len(rows) > 5 else "")
        draft.skips.append(({"column": column, "matches": pattern},
                            f"footer/total row{'s' if len(rows) > 1 else ''} {where}"))
    q, a = placed.get("quantity"), placed.get("amount")
    if _no_zero(draft.target) and q is not None and a is not None:
        n = zero_lines(draft.profile, q.column, a.column)
        if n:
            draft.skips.append(({"when": "quantity == 0 and amount == 0"},
                                f"CHECK: {n} line{'s' if n > 1 else ''} with quantity 0 and "
                                f"amount 0 (voided?) skipped: {draft.target.name} refuses a "
                                "quantity of 0"))


def _slug(stem: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in stem.lower()).strip("-")
    return "-".join(p for p in out.split("-") if p) or "partner"
