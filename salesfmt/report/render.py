"""One renderer per report format, chosen by an enum (no if/elif chain in the CLI)."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salesfmt.errors import OutputError
from salesfmt.i18n import Language, language
from salesfmt.report._escape import json_safe
from salesfmt.report.envelope import envelope
from salesfmt.report.terminal import summary

if TYPE_CHECKING:
    from salesfmt.result import Result

__all__ = ["ReportFormat", "RENDERERS", "render", "write_report", "report_language"]


class ReportFormat(StrEnum):
    """Report formats: on stdout (``check --format``) or in a file (``salesfmt report``)."""

    TEXT = "text"
    JSON = "json"
    HTML = "html"

    @classmethod
    def for_path(cls, path: str, default: ReportFormat | None = None) -> ReportFormat:
        """The format a report file's extension asks for (.html, .json, .txt)."""
        suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        return {"htm": cls.HTML, "html": cls.HTML, "json": cls.JSON,
                "txt": cls.TEXT}.get(suffix, default or cls.HTML)


def report_language(result: Result, lang: str | Language | None = None) -> Language:
    """The language of ``result``'s partner-facing text: ``lang`` (``--lang``), else the
    rule file's ``language:``, else English."""
    return language(lang or getattr(getattr(result, "rules", None), "language", None))


def _json(result: Result, **opts: Any) -> str:
    return json_safe(json.dumps(envelope(result, cap=opts.get("cap", 100),
                                         with_source=opts.get("with_source", False)),
                                ensure_ascii=False, indent=2, default=str)) + "\n"


def _text(result: Result, **opts: Any) -> str:
    return summary(result, color=opts.get("color", False), report=opts.get("report"),
                   lang=report_language(result, opts.get("lang"))) + "\n"


def _html(result: Result, **opts: Any) -> str:
    from salesfmt.report.html import MAX_LINES, Audience, html_report  # jinja2: HTML only

    return html_report(result, max_lines=opts.get("max_lines", MAX_LINES),
                       audience=Audience(opts.get("audience", Audience.PARTNER)),
                       lang=report_language(result, opts.get("lang")))


RENDERERS: dict[ReportFormat, Callable[..., str]] = {
    ReportFormat.TEXT: _text,
    ReportFormat.JSON: _json,
    ReportFormat.HTML: _html,
}


def render(fmt: ReportFormat, result: Result, **opts: Any) -> str:
    """Render ``result`` in ``fmt``."""
    return RENDERERS[fmt](result, **opts)


def write_report(fmt: ReportFormat, result: Result, path: str | Path, *, force: bool = False,
                 **opts: Any) -> Path:
    """Render ``result`` in ``fmt`` and write it to ``path`` atomically: never over the input
    file, nor over an existing file unless ``force``."""
    from salesfmt.outputs import write_file

    path = Path(path)
    if not path.parent.is_dir():
        raise OutputError("report folder does not exist", where=str(path.parent))
    write_file(path, render(fmt, result, **opts).encode("utf-8"), force=force,
               protect=Path(result.path))
    return path
