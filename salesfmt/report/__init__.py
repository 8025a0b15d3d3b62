"""Reports: views of the one problem table."""

from salesfmt.report.envelope import DEFAULT_CAP, envelope
from salesfmt.report.render import RENDERERS, ReportFormat, render
from salesfmt.report.terminal import summary

__all__ = ["DEFAULT_CAP", "RENDERERS", "ReportFormat", "envelope", "render", "summary"]
