"""Babel extractors for the text babel's own Python and Jinja extractors cannot see: the
checks' message templates and partner explanations (``@register(code, message)`` and the
docstring before ``Operator:``), and the server wording in target declarations
(``messages:``). Named in ``babel.cfg``; ``pybabel extract -F babel.cfg`` runs them."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import IO, Any

import yaml

__all__ = ["extract_checks", "extract_target_messages", "partner_text"]

#: Starts the operator part of a check docstring (as in ``salesfmt.checks``).
_OPERATOR = "Operator:"

Extracted = Iterator[tuple[int, str | None, str, list[str]]]


def partner_text(doc: str | None) -> str:
    """The partner part of a check docstring, whitespace collapsed (as the registry keeps it)."""
    return " ".join((doc or "").partition(_OPERATOR)[0].split())


def extract_checks(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                   options: dict[str, Any]) -> Extracted:
    """``@register("code", "message template", …)`` checks: the template and the partner
    explanation (the "how to fix" text) of each."""
    tree = ast.parse(fileobj.read())
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            if (isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "register"
                    and len(deco.args) >= 2 and isinstance(deco.args[1], ast.Constant)):
                code = deco.args[0].value if isinstance(deco.args[0], ast.Constant) else ""
                yield deco.lineno, None, deco.args[1].value, [f"check {code}: message"]
                partner = partner_text(ast.get_docstring(node, clean=False))
                if partner:
                    yield node.lineno, None, partner, [f"check {code}: how to fix"]


def extract_target_messages(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                            options: dict[str, Any]) -> Extracted:
    """A target declaration's ``messages:`` (top level and per field): the server's wording."""
    data = yaml.safe_load(fileobj.read()) or {}
    found: list[tuple[str, str]] = list((data.get("messages") or {}).items())
    for f in data.get("fields") or []:
        if isinstance(f, dict):
            found.extend((f.get("messages") or {}).items())
    for code, text in found:
        yield 1, None, str(text), [f"target {data.get('name')}: {code}"]
