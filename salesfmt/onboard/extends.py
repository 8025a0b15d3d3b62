"""``salesfmt init --extends auto``: the bundled (or local) rule file a partner file matches
closely, so the draft extends it instead of repeating it."""

from __future__ import annotations

from pathlib import Path

from salesfmt.errors import SalesfmtError
from salesfmt.onboard.draft import Draft
from salesfmt.rules import load_rules
from salesfmt.rules.headers import normalize_header
from salesfmt.rules.loader import list_rules

__all__ = ["closest_rule", "COVERAGE"]

#: Share of the file's headers a rule must read to count as a close match.
COVERAGE = 0.8


def _candidates(local: Path | None) -> list[Path]:
    found = list_rules()
    if local is not None and local.is_dir():
        found += sorted(p for p in local.glob("*.yaml") if p.is_file())
    return found


def closest_rule(draft: Draft, local: Path | None = None, output: Path | None = None
                 ) -> tuple[str, str, frozenset[str]] | None:
    """(reference for ``extends:``, why, the rule's fields) of the rule whose aliases find
    every one of its columns in the file and read at least :data:`COVERAGE` of its
    headers; the best coverage wins, then the name. None when no rule is that close.
    ``local``: a folder of the operator's own rule files; ``output``: the file `init`
    writes (never its own parent)."""
    headers = {normalize_header(c.original) for c in draft.profile.columns}
    best: tuple[tuple[float, bool, str], tuple[str, str, frozenset[str]]] | None = None
    for path in _candidates(local):
        try:
            rs = load_rules(path)
        except SalesfmtError:
            continue  # not a rule file, or a broken one: not a parent
        if output is not None and path.resolve() == output.resolve():
            continue  # the file being written over
        columns = [f for f in rs.fields.values() if f.columns and f.default is None]
        hit = [f for f in columns if any(normalize_header(a) in headers for a in f.columns)]
        if not columns or len(hit) < len(columns):
            continue
        read = {normalize_header(a) for f in hit for a in f.columns} & headers
        coverage = len(read) / max(len(headers), 1)
        if coverage < COVERAGE:
            continue
        bundled = path.parent == list_rules()[0].parent
        ref = path.stem if bundled else path.name
        if bundled and output is not None and output.stem == ref:
            continue  # from output's folder the name would find output itself, not this
        why = (f"the file matches {rs.name}: all {len(hit)} of its column fields found, "
               f"{len(read)} of {len(headers)} headers read")
        key = (-coverage, bundled, rs.name)  # the operator's own rule wins a tie
        if best is None or key < best[0]:
            best = (key, (ref, why, frozenset(rs.fields)))
    return best[1] if best else None
