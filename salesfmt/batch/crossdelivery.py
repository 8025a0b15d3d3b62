"""A converted file against the partner's earlier deliveries, through the key store:
ids sent before (``already_sent`` / ``sent_again``), near-duplicates and drift. Problems
are built as polars expressions over the lookup's answer and join the file's problem table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import polars as pl

from salesfmt.batch.worker import Outcome
from salesfmt.checks import get_check, render_message
from salesfmt.ledger.drift import drift
from salesfmt.ledger.keys import SENT_KEYS, KeySpec
from salesfmt.ledger.store import KeyStore
from salesfmt.problems import PROBLEM_SCHEMA, Severity, concat_problems, file_problem

__all__ = ["CrossCheck", "cross_check", "NEAR_DUPLICATE"]

#: Share (%) of a file's records already sent from which it is called a near-duplicate.
NEAR_DUPLICATE = 90
#: Sort position of cross-delivery problems among a line's problems: after the file's own.
_ORDER = 1_000_000


@dataclass
class CrossCheck:
    """What the earlier deliveries say about one file."""

    scope: str
    frames: list[pl.DataFrame] = field(default_factory=list)
    blocking: int = 0  # lines with an already_sent error: the file is held back
    sent: int = 0  # lines with an id sent before (error or update)
    drift: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problems(self, own: pl.DataFrame) -> pl.DataFrame:
        """The file's problem table with these problems added."""
        return concat_problems([own, *self.frames]) if self.frames else own


def _problems(seen: pl.DataFrame, spec: KeySpec, code: str) -> pl.DataFrame:
    check = get_check(code)
    under = (pl.concat_str([pl.lit(f" under {spec.parent} '"), pl.col("first_parent"),
                            pl.lit("'")]) if spec.parent else pl.lit(""))
    message = render_message(check.message, {"column": spec.name},
                             {"value": pl.col("key"), "first_file": pl.col("first_file"),
                              "first_line": pl.col("first_line"), "under": under})
    return seen.select(
        pl.col("report_line").alias("line"), *(pl.lit(None, PROBLEM_SCHEMA[c]).alias(c)
                          for c in ("sheet", "row", "column", "header")),
        pl.lit(spec.name).alias("field"), pl.lit(code).alias("code"),
        pl.lit(check.severity.value).alias("severity"), message.alias("message"),
        pl.col("key").alias("value"), pl.lit(_ORDER, pl.Int64).alias("order"))


def _keys(store: KeyStore, outcome: Outcome, check: CrossCheck) -> None:
    target = outcome.result.target.name
    spec = SENT_KEYS[target]
    for k in spec.keys:
        frame = outcome.keys.get(k.name)
        if frame is None or frame.height == 0:
            continue
        seen = store.seen(target, check.scope, k.name, frame)
        if k.parent is not None:  # a line id is only wrong under another sale
            seen = seen.filter(pl.col("parent").ne_missing(pl.col("first_parent")))
        if seen.height == 0:
            continue
        code = "sent_again" if k.update else "already_sent"
        check.frames.append(_problems(seen, k, code))
        lines = seen["line"].n_unique()
        check.sent += lines
        if get_check(code).severity is Severity.ERROR:
            check.blocking += lines
        if k is spec.keys[0]:
            _near_duplicate(frame, seen, check)


def _near_duplicate(frame: pl.DataFrame, seen: pl.DataFrame, check: CrossCheck) -> None:
    records = frame["line"].n_unique()
    share = 100 * seen["line"].n_unique() / max(1, records)
    if share < NEAR_DUPLICATE:
        return
    earlier = Counter(seen["first_file"].to_list()).most_common(1)[0][0]
    text = get_check("near_duplicate").message.format(share=f"{share:.0f}",
                                                      first_file=earlier)
    check.frames.append(file_problem("near_duplicate", text, severity=Severity.WARNING))
    check.notes.append(text)


def cross_check(store: KeyStore, outcome: Outcome, channel: str, partner: str) -> CrossCheck:
    """Ids sent before, near-duplicates and drift of ``outcome`` (a converted file)."""
    target = outcome.result.target.name
    spec = SENT_KEYS.get(target)
    check = CrossCheck(scope=channel if spec is not None and spec.per_channel else "all")
    if spec is not None and outcome.keys:
        _keys(store, outcome, check)
    previous = store.previous_profile(partner)
    if previous is not None and outcome.profile is not None:
        check.drift = drift(previous, outcome.profile)
        template = get_check("drift").message
        for change in check.drift:
            text = template.format(first_file=previous.get("delivery", "?"), change=change)
            check.frames.append(file_problem("drift", text, severity=Severity.WARNING))
    return check
