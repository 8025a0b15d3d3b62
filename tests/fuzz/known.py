"""Failure causes known from issue 12 and being fixed on other branches.

The fuzz campaign reports a finding whose cause is listed here as *known* (the test then
xfails instead of failing). The integrator deletes an entry once its fix is merged; the
matching regression case in ``tests/data/fuzz_repros/cases.yaml`` loses its xfail too.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.fuzz.harness import Finding

__all__ = ["KNOWN", "OTHER_BRANCH", "known_cause"]

OTHER_BRANCH = "known cause, fixed on another branch"


def _err(*words: str) -> Callable[[Finding], bool]:
    return lambda f: any(w in f.err for w in words)


# Empty: every issue-12 cause (bare CR, cells over 128 KiB, files ending mid-character,
# '__row' / 'Ref (2)' headers, damaged .xls panics, XFD1048576 aborts, zip bombs, 1e400,
# quadratic header matching) is fixed on main. Add ``"cause": predicate`` entries (see
# :func:`_err`) for causes being fixed elsewhere, so the campaign xfails on them meanwhile.
KNOWN: dict[str, Callable[[Finding], bool]] = {}


def known_cause(f: Finding) -> str | None:
    """The name of the known cause of a finding, or None for a new one."""
    return next((name for name, test in KNOWN.items() if test(f)), None)
