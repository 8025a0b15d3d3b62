"""Warnings about rule files that load fine but probably do not say what their author
meant (``rules validate`` prints them; they do not make a file invalid)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from salesfmt.errors import RuleError
from salesfmt.rules.loader import resolve_rule_path
from salesfmt.rules.yamlpos import read_yaml

__all__ = ["comment_warnings"]


def _is_alias(location: tuple[Any, ...]) -> bool:
    """Whether a place in a rule file holds a header alias (a field's, a skip's or the
    control total's column)."""
    if location[:1] == ("fields",):
        rest = location[2:]
        return rest in ((), ("column",)) or len(rest) == 1 and isinstance(rest[0], int) \
            or len(rest) == 2 and rest[0] == "column"
    if location[:1] == ("control_total",):
        return location[1:] in (("row", "column"), ("amount",), ("count",))
    return location[:1] == ("skip",) and location[2:] == ("column",)


def comment_warnings(path: str | Path) -> list[str]:
    """A warning per unquoted header alias followed by `` #`` on its line: YAML reads the
    rest as a comment, so ``sale_id: Store #`` maps the header ``Store``."""
    try:
        doc = read_yaml(resolve_rule_path(path))
    except RuleError:
        return []
    out = []
    for location, line in doc.commented.items():
        if _is_alias(location):
            value = doc.data
            for key in location:
                value = value[key]
            out.append(f"{doc.where(list(location))}: warning: alias {value!r} is followed by "
                       f"' #', which YAML reads as a comment; if the header contains '#', "
                       f"quote it: {line!r}")
    return out
