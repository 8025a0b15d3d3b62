"""Which route claims each inbox file: by file-name pattern, by header fingerprint, or both.

A file no route claims is reported with the rule files whose aliases best cover its header
row (the share of its columns each one knows), best first.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from salesfmt.batch.config import Deliveries, Route
from salesfmt.errors import SalesfmtError
from salesfmt.readers import ReadOptions, open_source
from salesfmt.rules import header_scorer, list_rules, load_rules
from salesfmt.rules.headers import normalize_header

__all__ = ["Routed", "inbox_files", "route_files", "SUGGESTIONS"]

#: How many best-matching rule files an unclaimed file's entry names.
SUGGESTIONS = 3


@dataclass
class Routed:
    """An inbox file and its route (None: unclaimed, with ``suggestions`` and ``reason``)."""

    path: Path
    route: Route | None
    suggestions: list[tuple[str, float]] = field(default_factory=list)
    reason: str = ""


def inbox_files(inbox: Path, ignore: tuple[str, ...] = ()) -> list[Path]:
    """The inbox's visible regular files, sorted by name, without ignored patterns."""
    files = [p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")]
    files = [p for p in files if not any(fnmatch.fnmatch(p.name.lower(), pat.lower())
                                         for pat in ignore)]
    return sorted(files, key=lambda p: p.name)


def _headers(path: Path, wanted: list[str]) -> list[str] | None:
    """The file's header row, found with the ``wanted`` header texts (None: unreadable)."""
    norm = {normalize_header(h) for h in wanted}

    def score(cells: list[str]) -> float:
        return float(len({normalize_header(c) for c in cells} & norm))

    try:
        with open_source(path, ReadOptions(batch_size=1000), score) as source:
            return list(source.original_headers)
    except SalesfmtError:
        return None


def _claims(route: Route, path: Path, cache: dict[tuple[str, ...], list[str] | None]) -> bool:
    name = path.name.lower()
    if route.files and not any(fnmatch.fnmatch(name, p.lower()) for p in route.files):
        return False
    if not route.headers:
        return True
    if route.headers not in cache:
        cache[route.headers] = _headers(path, list(route.headers))
    found = cache[route.headers]
    return found is not None and {normalize_header(h) for h in route.headers} <= {
        normalize_header(h) for h in found}


def _suggest(path: Path, deliveries: Deliveries) -> tuple[list[tuple[str, float]], str]:
    """(rule name, % of the file's columns it knows) best first, and why none fit."""
    candidates = {r.rules for r in deliveries.routes} | {str(p) for p in list_rules()}
    rulesets = []
    for cand in sorted(candidates):
        try:
            rulesets.append(load_rules(cand))
        except SalesfmtError:
            continue
    scorers = [header_scorer(r) for r in rulesets]
    aliases = [h for r in rulesets for f in r.fields.values() for h in f.columns]
    headers = _headers(path, aliases)
    if headers is None:
        return [], "the file cannot be read as a sales file"
    columns = {normalize_header(h) for h in headers} - {""}
    scored = [(r.name, round(100.0 * s(headers) / max(1, len(columns)), 1))
              for r, s in zip(rulesets, scorers, strict=True)]
    best = sorted((x for x in scored if x[1] > 0), key=lambda x: (-x[1], x[0]))
    return best[:SUGGESTIONS], "no route's file pattern or header fingerprint matches it"


def route_files(files: list[Path], deliveries: Deliveries) -> list[Routed]:
    """Each file with the first route that claims it, in file order."""
    out = []
    for path in files:
        cache: dict[tuple[str, ...], list[str] | None] = {}
        route = next((r for r in deliveries.routes if _claims(r, path, cache)), None)
        if route is not None:
            out.append(Routed(path, route))
        else:
            suggestions, reason = _suggest(path, deliveries)
            out.append(Routed(path, None, suggestions, reason))
    return out
