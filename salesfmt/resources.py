"""Locate bundled rule files, target declarations and templates, in a wheel or a checkout."""

from __future__ import annotations

from pathlib import Path

__all__ = ["data_dir", "rules_dir", "targets_dir", "templates_dir"]

_PKG = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The bundled folder ``name`` (rules, templates): from the wheel, else from the checkout."""
    for candidate in (_PKG / "_data" / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} not found next to {_PKG}")


def rules_dir() -> Path:
    """Folder of bundled partner rule files."""
    return data_dir("rules") / "partners"


def targets_dir() -> Path:
    """Folder of bundled target declarations."""
    return data_dir("rules") / "targets"


def templates_dir() -> Path:
    """Folder of bundled templates (sales_template.xlsx, report.html.j2)."""
    return data_dir("templates")
