"""Reports: views of the one problem table."""

from salesfmt.report.envelope import DEFAULT_CAP, envelope
from salesfmt.report.render import RENDERERS, ReportFormat, render, write_report
from salesfmt.report.terminal import Progress, summary

__all__ = ["DEFAULT_CAP", "RENDERERS", "Progress", "ReportFormat", "envelope", "render", "summary",
           "write_report"]
