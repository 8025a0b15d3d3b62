"""Write a :class:`~salesfmt.onboard.draft.Draft` as a commented YAML rule file.

Hand-written text, not a YAML dump: every choice keeps its comment, and the same draft
gives the same bytes."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

from salesfmt.onboard.draft import Draft, FieldDraft

__all__ = ["render", "yaml_scalar", "flow_map", "todo_lines"]

_PLAIN = re.compile(r"[A-Za-z_][\w .\-/()%£€$]*")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def yaml_scalar(value: object) -> str:
    """A YAML scalar for ``value``: plain when safe, else double-quoted (JSON escapes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if not text.isprintable():  # controls, bidi overrides: escaped, never written raw
        return json.dumps(text, ensure_ascii=True)
    if (_PLAIN.fullmatch(text) and text.lower() not in _RESERVED and text == text.strip()
            and "  " not in text):
        return text
    return json.dumps(text, ensure_ascii=False)


def flow_map(entries: dict[str, object]) -> str:
    """``{key: value, …}`` in the given order."""
    return "{" + ", ".join(f"{yaml_scalar(k)}: {yaml_scalar(v)}" for k, v in entries.items()) \
        + "}"


def _comment(text: str) -> str:
    """One line of comment text: blanks collapsed, unprintable characters escaped (a file's
    header may hold any; YAML refuses control characters even in comments)."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in " ".join(text.split()))


def _field_lines(fd: FieldDraft) -> list[str]:
    tail = (f"  # TODO: {_comment(fd.todo)}" if fd.todo else
            f"  # CHECK: {_comment(fd.check)}" if fd.check else
            f"  # {_comment(fd.note)}" if fd.note else "")
    if fd.constant is not None:
        return [f"  {fd.name}: {{constant: {yaml_scalar(fd.constant)}}}{tail}"]
    if fd.template is not None:
        return [f"  {fd.name}: {{template: {yaml_scalar(fd.template)}}}{tail}"]
    if fd.column is None and fd.expr is not None:
        return [f"  {fd.name}: {{expr: {yaml_scalar(fd.expr)}}}{tail}"]
    if not fd.value_map and fd.expr is None and fd.unmapped is None:
        return [f"  {fd.name}: {yaml_scalar(fd.column)}{tail}", *_wrap(fd.value_check)]
    head = tail
    lines = [f"  {fd.name}:{head}", f"    column: {yaml_scalar(fd.column)}"]
    if fd.value_map:
        lines.append(f"    map: {flow_map(fd.value_map)}  # value synonyms")
    if fd.unmapped:
        lines.append(f"    unmapped: {fd.unmapped}")
    if fd.expr is not None:
        lines.append(f"    expr: {yaml_scalar(fd.expr)}")
    if fd.when is not None:
        lines.append(f"    when: {yaml_scalar(fd.when)}")
    return [*lines, *_wrap(fd.value_check)]


def _wrap(check: str) -> list[str]:
    """A ``# CHECK:`` comment under a field, wrapped to the line length."""
    if not check:
        return []
    return textwrap.wrap(f"CHECK: {_comment(check)}", 94, initial_indent="    # ",
                         subsequent_indent="    #   ", break_on_hyphens=False)


def _input(draft: Draft) -> list[str]:
    p = draft.profile
    lines = []
    if p.encoding and p.encoding.lower().replace("_", "-") not in ("utf-8", "utf-8-sig", "ascii"):
        lines.append(f"  encoding: {yaml_scalar(p.encoding)}  # detected")
    if p.delimiter and p.delimiter != ",":
        lines.append(f"  delimiter: {yaml_scalar(p.delimiter)}  # detected")
    if p.sheet is not None and len(p.sheets) > 1:
        others = ", ".join(s for s in p.sheets if s != p.sheet)
        lines.append(f"  sheet: {yaml_scalar(p.sheet)}  # its header fits "
                     f"{draft.target.name} best (other sheets: {_comment(others)})")
    if p.header_row > 1:
        lines.append(f"  header_row: auto  # the header is on row {p.header_row} "
                     "(title rows above it)")
    return ["input:", *lines] if lines else []


def _parse(draft: Draft) -> list[str]:
    lines = []
    n = draft.numbers
    if n.decimal != ".":
        lines.append(f"  decimal_separator: {yaml_scalar(n.decimal)}  # {_comment(n.evidence)}")
        lines.append(f"  thousands_separator: {yaml_scalar(n.thousands)}")
    d = draft.dates
    if d.formats:
        fmts = ", ".join(json.dumps(f) for f in d.formats)
        mark = "CHECK: " if not d.settled else ""
        lines.append(f"  date_formats: [{fmts}]  # {mark}{_comment('; '.join(d.evidence))}")
    if draft.true_words or draft.false_words:
        lines.append(f"  true_values: [{', '.join(yaml_scalar(w) for w in draft.true_words)}]"
                     "  # the file's yes/no words")
        lines.append(f"  false_values: [{', '.join(yaml_scalar(w) for w in draft.false_words)}]")
    return ["parse:", *lines] if lines else []


def render(draft: Draft) -> str:
    """The rule file's text."""
    p = draft.profile
    target = draft.target.name
    out = [f"# Drafted by `salesfmt init` from {p.path.name} for the {target} target. Each "
           "choice says",
           "# why, with a score (0-100). Review the lines marked \"# CHECK:\", fill in "
           "every TODO, then:",
           f"#   salesfmt check {p.path.name} --rules {draft.name}.yaml --to {target}",
           f"name: {yaml_scalar(draft.name)}"]
    if draft.extends is not None:
        out.append(f"extends: {yaml_scalar(draft.extends[0])}  # {_comment(draft.extends[1])}")
    what = f"{p.format}" + (f", sheet {p.sheet}" if p.sheet else "")
    out.append("description: " + yaml_scalar(f"Drafted from {p.path.name} ({what}, "
                                             f"{p.rows} data rows) for {target}"))
    if draft.extends is not None:  # the parent reads the file: only what it lacks
        fields = [f for f in draft.fields if f.name not in draft.extends[2]]
        out.append("fields:" if fields else "fields: {}  # the parent maps every field")
        for fd in fields:
            out += _field_lines(fd)
        return "\n".join(out) + "\n"
    out += _input(draft)
    out += _parse(draft)
    if draft.skips:
        out.append("skip:")
        for rule, why in draft.skips:
            out.append(f"  - {flow_map(rule)}  # {_comment(why)}")
    out.append("fields:")
    for fd in draft.fields:
        out += _field_lines(fd)
    if draft.optional_missing:
        out += textwrap.wrap(f"Not in the file (optional for {target}): "
                             + _comment(", ".join(draft.optional_missing)), 98,
                             initial_indent="# ", subsequent_indent="#   ",
                             break_on_hyphens=False)
    return "\n".join(out) + "\n"


def todo_lines(path: str | Path) -> list[str]:
    """``todo:`` lines for the ``# TODO:`` marks a rule file still holds (what `init` could
    not place), each with its line number and field."""
    out = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return out
    for number, line in enumerate(text.splitlines(), 1):
        head, sep, rest = line.partition("# TODO:")
        if sep:
            what = head.strip().rstrip(":").split(":")[0].strip() or "(comment)"
            out.append(f"todo: line {number}: {what}: {rest.strip()}")
    return out
