"""Failure causes known from issue 12 and being fixed on other branches.

The fuzz campaign reports a finding whose cause is listed here as *known* (the test then
xfails instead of failing). The integrator deletes an entry once its fix is merged; the
matching regression case in ``tests/data/fuzz_repros/cases.yaml`` loses its xfail too.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.fuzz.harness import Finding

__all__ = ["KNOWN", "OTHER_BRANCH", "known_cause"]

OTHER_BRANCH = "fixed on branch readers/rulescfg"


def _err(*words: str) -> Callable[[Finding], bool]:
    return lambda f: any(w in f.err for w in words)


def _wide_timeout(f: Finding) -> bool:
    return f.reasons == ["exit timeout"] and "wide" in f.case.mutations


KNOWN: dict[str, Callable[[Finding], bool]] = {
    "bare CR in an unquoted CSV field": _err("new-line character seen in unquoted field"),
    "cell over 128 KiB near the top of a CSV": _err("field larger than field limit"),
    "file ending mid-character": _err("IndexError", "UnicodeDecodeError"),
    "legal headers refused (__row, Ref,Ref,Ref (2))": lambda f: b"__row" in f.case.data[:4096]
    or _err("__row", "duplicate", "Duplicate")(f),
    "damaged .xls panics in calamine": lambda f: "Rust panic" in f.err
    and f.case.data.startswith(b"\xd0\xcf\x11\xe0"),  # an OLE2 (BIFF) file, any name
    "XLSX cell at XFD1048576 aborts": lambda f: f.reasons[0].startswith("exit -6"),
    "zip bombs / BadZipFile": _err("BadZipFile"),
    "quadratic header matching (100k columns)": _wide_timeout,
}


def known_cause(f: Finding) -> str | None:
    """The name of the known cause of a finding, or None for a new one."""
    return next((name for name, test in KNOWN.items() if test(f)), None)
