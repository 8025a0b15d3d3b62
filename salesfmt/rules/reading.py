"""How a rule file opens a partner file: the reader's options and the header-row scorer."""

from __future__ import annotations

from salesfmt.readers import HeaderScorer, ReadOptions
from salesfmt.rules.headers import normalize_header
from salesfmt.rules.model import RuleSet

__all__ = ["header_scorer", "read_options"]


def header_scorer(rules: RuleSet) -> HeaderScorer:
    """Scores a candidate header row by how many of the rule's aliases it contains."""
    aliases = {normalize_header(a) for f in rules.fields.values() for a in f.columns}
    aliases |= {normalize_header(s.column) for s in rules.skip if s.column}
    aliases.discard("")

    def score(cells: list[str]) -> float:
        return float(len({normalize_header(c) for c in cells} & aliases))

    return score


def read_options(rules: RuleSet, **overrides: object) -> ReadOptions:
    """Reader options: command-line overrides first, then the rule file, else detection."""
    opts = ReadOptions(encoding=rules.encoding, delimiter=rules.delimiter,
                       quote_char=rules.quote_char, escape_char=rules.escape_char,
                       sheet=rules.sheet,
                       header_row=rules.header_row,
                       decimal_separator=rules.parse.decimal_separator)
    for key, val in overrides.items():
        if val is not None:
            setattr(opts, key, val)
    return opts
