"""One renderer per report format, chosen by an enum (no if/elif chain in the CLI)."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from salesfmt.report.envelope import envelope
from salesfmt.report.terminal import summary

__all__ = ["ReportFormat", "RENDERERS", "render"]


class ReportFormat(StrEnum):
    """Formats ``check --format`` can print on stdout."""

    TEXT = "text"
    JSON = "json"


def _json(result: Any, **opts: Any) -> str:
    return json.dumps(envelope(result, cap=opts.get("cap", 100),
                               with_source=opts.get("with_source", False)),
                      ensure_ascii=False, indent=2, default=str) + "\n"


def _text(result: Any, **opts: Any) -> str:
    return summary(result, color=opts.get("color", False)) + "\n"


RENDERERS: dict[ReportFormat, Callable[..., str]] = {
    ReportFormat.TEXT: _text,
    ReportFormat.JSON: _json,
}


def render(fmt: ReportFormat, result: Any, **opts: Any) -> str:
    """Render ``result`` in ``fmt``."""
    return RENDERERS[fmt](result, **opts)
