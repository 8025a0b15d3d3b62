"""Column variants of a target, declared beside it: renamed, reordered and extra columns.

A variant is applied to the declaration's data before it is parsed, so a variant is just
another declaration: the same checks, the same serializer.

```yaml
variants:
  box-office:
    description: Box-office partners call the amount "Total" and add their order number
    rename: {Gross Amount: Total}
    extra: [{name: Order Ref, from: sale_id, type: text, max_length: 40}]
    columns: [Event ID, Order Ref, Sale Date, Ticket Type, Quantity, Unit Price, Total]
```
``columns`` (optional) is the new order, in the new names; fields it leaves out are dropped.
"""

from __future__ import annotations

import copy
from typing import Any

from salesfmt.errors import TargetError

__all__ = ["apply_variant"]

_VARIANT_KEYS = {"description", "rename", "extra", "columns"}


def _renamed(value: Any, rename: dict[str, str]) -> Any:
    if isinstance(value, str):
        return rename.get(value, value)
    if isinstance(value, list):
        return [_renamed(v, rename) for v in value]
    return value


def apply_variant(data: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    """The declaration ``data`` with variant ``name`` applied (a new dict)."""
    spec = _variant(data, name, where)
    where = f"{where}: variants.{name}"
    data = copy.deepcopy(data)
    rename: dict[str, str] = dict(spec.get("rename") or {})
    fields = _renamed_fields(data.get("fields") or [], rename, where)
    fields.extend(copy.deepcopy(spec.get("extra") or []))
    _rename_references(data, rename)
    data["fields"] = _ordered(fields, spec.get("columns"), where)
    if spec.get("description"):
        data["description"] = f"{data.get('description', '')} — variant {name}: " \
                              f"{spec['description']}"
    return data


def _variant(data: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    """Variant ``name``'s declaration; TargetError for an unknown variant or key."""
    variants = data.get("variants") or {}
    if name not in variants:
        known = ", ".join(sorted(variants)) or "none"
        raise TargetError(f"unknown variant {name!r}; variants: {known}", where=where)
    spec = variants[name] or {}
    unknown = set(spec) - _VARIANT_KEYS
    if unknown:
        raise TargetError(f"unknown key {sorted(unknown)[0]!r}",
                          where=f"{where}: variants.{name}")
    return spec


def _renamed_fields(fields: list[dict[str, Any]], rename: dict[str, str], where: str
                    ) -> list[dict[str, Any]]:
    """``fields`` with the renamed ones named anew (their old name becomes their column)."""
    names = {f["name"] for f in fields}
    for old in rename:
        if old not in names:
            raise TargetError(f"rename names unknown field {old!r}", where=where)
    for f in fields:
        if f["name"] in rename:
            f["column"] = f["name"]
            f["name"] = rename[f["name"]]
    return fields


def _rename_references(data: dict[str, Any], rename: dict[str, str]) -> None:
    """Field names in ``unique``, ``consistent`` and ``group``, renamed in place."""
    for key in ("unique", "consistent"):
        if key in data:
            data[key] = [_renamed(v, rename) if not isinstance(v, dict) else
                         {k: _renamed(x, rename) for k, x in v.items()} for v in data[key]]
    if isinstance(data.get("group"), dict):
        data["group"] = {k: _renamed(v, rename) for k, v in data["group"].items()}


def _ordered(fields: list[dict[str, Any]], columns: list[str] | None, where: str
             ) -> list[dict[str, Any]]:
    """The fields in the variant's ``columns`` order (those it leaves out dropped)."""
    if not columns:
        return fields
    by_name = {f["name"]: f for f in fields}
    missing = [c for c in columns if c not in by_name]
    if missing:
        raise TargetError(f"columns names unknown field {missing[0]!r}", where=where)
    return [by_name[c] for c in columns]
