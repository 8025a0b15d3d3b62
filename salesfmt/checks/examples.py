"""Every check's bad and good example as data (``examples.yaml`` beside this module): the
partner lines and the target fields that make the check fail, and lines that pass.
``salesfmt explain`` shows them; tests/test_check_examples.py runs each through the
pipeline (the bad lines raise exactly that code, the good ones nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Example", "examples", "lines_text", "fields_text"]

_FILE = Path(__file__).with_name("examples.yaml")


@dataclass(frozen=True)
class Example:
    """One check's fixture: target fields, partner lines that fail and lines that pass."""

    code: str
    fields: list[dict[str, Any]]
    bad: list[dict[str, str]]
    good: list[dict[str, str]]
    rules: dict[str, Any] = field(default_factory=dict)
    declaration: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    #: lines of the earlier delivery (checks across deliveries only)
    earlier: list[dict[str, str]] = field(default_factory=list)


@cache
def examples() -> dict[str, Example]:
    """Check code → its example, read once."""
    data = yaml.safe_load(_FILE.read_text(encoding="utf-8"))  # dates quoted: they stay text
    return {code: Example(code=code, **spec) for code, spec in data.items()}


def _cell(value: str) -> str:
    text = str(value)
    return repr(text) if not text or text != text.strip() or not text.isprintable() else text


def lines_text(lines: list[dict[str, str]]) -> str:
    """Partner lines as one text: ``A = 1, B = x`` (one line) or ``line 2: …; line 3: …``."""
    parts = [", ".join(f"{k} = {_cell(v)}" for k, v in line.items()) for line in lines]
    if len(parts) == 1:
        return parts[0]
    return "; ".join(f"line {i}: {p}" for i, p in enumerate(parts, start=2))


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def fields_text(example: Example) -> str:
    """The example's target fields as text: ``AMOUNT: decimal, decimals: 2; …`` (and the
    declaration's other keys, such as its ``group:``)."""
    text = "; ".join(
        f"{f['name']}: {f['type']}" + "".join(f", {k}: {_flow(v)}" for k, v in f.items()
                                             if k not in ("name", "type", "from"))
        for f in example.fields)
    extra = {k: v for k, v in example.declaration.items() if k != "output"}
    return text + (f"; declaration {_flow(extra)}" if extra else "")
