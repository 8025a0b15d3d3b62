"""Header matching: exact by alias (case, space, punctuation and accents ignored), then —
only when the rule says ``headers: {fuzzy: true}`` — the closest header above a threshold.
Fuzzy matches and near misses are always reported with their score; never silent."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["HeaderMatch", "normalize_header", "match_headers", "closest_headers"]


def normalize_header(text: str | None) -> str:
    """Header text for matching: accents, case, spaces and punctuation removed."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum())


@dataclass(frozen=True)
class HeaderMatch:
    """The header taken for a field; ``score`` < 100 means a fuzzy match."""

    header: str
    alias: str
    score: float


def _scores(aliases: tuple[str, ...], headers: list[str]) -> dict[str, tuple[float, str]]:
    """Best similarity (0-100) of every header to any alias, with the alias that gave it."""
    from rapidfuzz import fuzz, process  # here: exact headers, the usual case, need none

    normalized = [normalize_header(h) for h in headers]
    best: dict[str, tuple[float, str]] = {}
    for alias in aliases:
        hits = process.extract(normalize_header(alias), normalized, scorer=fuzz.ratio,
                               limit=None)
        for _, score, index in hits:
            header = headers[index]
            if score > best.get(header, (-1.0, ""))[0]:
                best[header] = (round(float(score), 1), alias)
    return best


def closest_headers(aliases: tuple[str, ...], headers: list[str], limit: int = 3
                    ) -> list[tuple[str, float]]:
    """The ``limit`` headers most like any alias, best first, with their score."""
    scores = _scores(aliases, headers)
    position: dict[str, int] = {}
    for i, h in enumerate(headers):
        position.setdefault(h, i)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1][0], position[kv[0]]))
    return [(h, s) for h, (s, _) in ranked[:limit] if s > 0]


def match_headers(wanted: dict[str, tuple[str, ...]], headers: list[str], *, fuzzy: bool,
                  threshold: float) -> dict[str, HeaderMatch]:
    """Field → header for every field whose aliases match; exact matches first, then fuzzy
    ones (a header already taken exactly is never taken again by a fuzzy match)."""
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(normalize_header(h), h)
    found: dict[str, HeaderMatch] = {}
    for name, aliases in wanted.items():
        for alias in aliases:
            hit = by_norm.get(normalize_header(alias))
            if hit is not None:
                found[name] = HeaderMatch(hit, alias, 100.0)
                break
    if not fuzzy:
        return found
    taken = {m.header for m in found.values()}
    free = [h for h in headers if h not in taken]
    for name, aliases in wanted.items():
        if name in found or not free:
            continue
        scores = _scores(aliases, free)
        header, (score, alias) = max(scores.items(), key=lambda kv: kv[1][0])
        if score >= threshold:
            found[name] = HeaderMatch(header, alias, score)
            free.remove(header)
    return found
