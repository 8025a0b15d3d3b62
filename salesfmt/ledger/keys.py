"""Keys a target says must be unique across uploads, read back from a converted output.

Which ids count is declared per target in :data:`SENT_KEYS` (seed 001: ORDER_ID per
channel; seed 002: salesId again is an update, a salesLineId under another salesId is an
error; seed 003/004: transactionId). They are read from the converted file itself, so the
``line`` is the line the server would name (header = 1; JSON: the record's position).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from salesfmt.problems import Severity

__all__ = ["KeySpec", "TargetKeys", "SENT_KEYS", "read_keys", "align_lines", "KEY_SCHEMA"]


@dataclass(frozen=True)
class KeySpec:
    """One id kind: where it sits in a record, and how a repeat is judged."""

    name: str
    severity: Severity = Severity.ERROR
    #: a line id: only an error when seen before under another id of this kind (Wallie)
    parent: str | None = None
    #: an id sent again means an update (warning ``sent_again``), not a duplicate
    update: bool = False


@dataclass(frozen=True)
class TargetKeys:
    """The keys of one target's outputs: their kinds, scope and the amount to total."""

    shape: str  # csv | jsonl | json
    keys: tuple[KeySpec, ...]
    amount: str
    per_channel: bool = False
    items: str | None = None  # JSON: the list holding line ids and amounts
    wrapper: str | None = None


SENT_KEYS: dict[str, TargetKeys] = {
    "bulk-csv": TargetKeys("csv", (KeySpec("ORDER_ID"),), "AMOUNT", per_channel=True),
    "wallie": TargetKeys("json", (KeySpec("salesId", Severity.WARNING, update=True),
                                  KeySpec("salesLineId", parent="salesId")),
                         "salesAmountInclVat", items="salesLines", wrapper="sales"),
    "thalamus-partner-sale": TargetKeys("jsonl", (KeySpec("transactionId"),), "amount"),
    "thalamus-party-sale": TargetKeys("jsonl", (KeySpec("transactionId"),), "amount"),
}

#: Columns of a key frame: the line in the converted file as sent, key text, parent key
#: text (line ids only), and the line the file's report names (rejected lines counted).
KEY_SCHEMA = {"line": pl.Int64, "key": pl.String, "parent": pl.String,
              "report_line": pl.Int64}


def _amounts(text: pl.Expr, name: str) -> pl.Expr:
    """Every ``"name":number`` of a JSON text, summed as exact decimals (never floats)."""
    pattern = rf'"{name}":(-?[0-9]+(?:\.[0-9]+)?)'
    return text.str.extract_all(pattern).list.eval(
        pl.element().str.extract(pattern).str.to_decimal(scale=6)).list.sum()


def _from_csv(paths: list[Path], spec: TargetKeys
              ) -> tuple[dict[str, pl.DataFrame], str | None] | None:
    key = spec.keys[0].name
    header = pl.read_csv(paths[0], infer_schema=False, n_rows=0).columns
    if key not in header:  # an operator's column list without the id: nothing to keep
        return None
    amount = spec.amount if spec.amount in header else None
    df = (pl.read_csv(paths[0], infer_schema=False, columns=[key, amount or key])
          .select(pl.col(key).alias("key"),
                  pl.col(amount).alias("a") if amount else pl.lit(None, pl.String).alias("a"))
          .with_row_index("line", offset=2))
    total = df["a"].str.to_decimal(scale=6).sum() if amount else None
    frame = df.select(pl.col("line").cast(pl.Int64), "key", pl.lit(None, pl.String)
                      .alias("parent"))
    return {key: frame}, None if total is None else str(total)


def _records(paths: list[Path]) -> pl.DataFrame:
    """JSON Lines: one row per record, its JSON text (``j``) and line (position + 1)."""
    texts = [pl.scan_csv(p, has_header=False, separator="\x1f", quote_char=None,
                         schema={"j": pl.String}) for p in paths]
    return (pl.concat(texts).collect().with_row_index("line", offset=2)
            .with_columns(pl.col("line").cast(pl.Int64)))


def _raw_records(spec: TargetKeys) -> pl.DataType:
    inner: dict[str, pl.DataType] = {k.name: pl.String for k in spec.keys if k.parent is None}
    if spec.items:
        inner[spec.items] = pl.List(pl.Struct({k.name: pl.String for k in spec.keys
                                               if k.parent is not None}))
    return pl.Struct({spec.wrapper or "records": pl.List(pl.Struct(inner))})


def _from_json(paths: list[Path], spec: TargetKeys) -> tuple[dict[str, pl.DataFrame], str]:
    if spec.shape == "json":
        return _from_payloads(paths, spec)
    df = _records(paths)
    fields = {k.name: pl.String for k in spec.keys}
    decoded = df.select("line", pl.col("j").str.json_decode(pl.Struct(fields)).alias("r"),
                        _amounts(pl.col("j"), spec.amount).alias("a"))
    out = {k.name: decoded.select("line", pl.col("r").struct.field(k.name).alias("key"),
                                  pl.lit(None, pl.String).alias("parent"))
           for k in spec.keys}
    return out, str(decoded["a"].sum() or 0)


def _from_payloads(paths: list[Path], spec: TargetKeys) -> tuple[dict[str, pl.DataFrame], str]:
    frames = []
    for p in paths:
        text = p.read_text(encoding="utf-8")
        frames.append(pl.DataFrame({"d": [text]}).select(
            pl.col("d").str.json_decode(_raw_records(spec)).struct.field(spec.wrapper)
            .alias("r"), _amounts(pl.col("d"), spec.amount).alias("a")))
    df = pl.concat(frames) if frames else pl.DataFrame(
        schema={"r": _raw_records(spec).fields[0].dtype, "a": pl.Decimal(38, 6)})
    total = df["a"].sum()
    recs = (df.select("r").explode("r").unnest("r")
            .with_row_index("line", offset=2).with_columns(pl.col("line").cast(pl.Int64)))
    out = {}
    for k in spec.keys:
        if k.parent is None:
            out[k.name] = recs.select("line", pl.col(k.name).alias("key"),
                                      pl.lit(None, pl.String).alias("parent"))
        else:
            out[k.name] = (recs.select("line", pl.col(k.parent).alias("parent"), spec.items)
                           .explode(spec.items).unnest(spec.items)
                           .select("line", pl.col(k.name).alias("key"), "parent"))
    return out, str(total or 0)


def read_keys(target: str, produced: list[Path]
              ) -> tuple[dict[str, pl.DataFrame], str | None] | None:
    """(key kind → frame of :data:`KEY_SCHEMA`, amount total as text) of a converted
    output; None for a target without keys to keep (or no output)."""
    spec = SENT_KEYS.get(target)
    if spec is None or not produced:
        return None
    got = _from_csv(produced, spec) if spec.shape == "csv" else _from_json(produced, spec)
    if got is None:
        return None
    keys, total = got
    return {k: f.filter(pl.col("key").is_not_null())
            .with_columns(pl.col("line").alias("report_line")).cast(KEY_SCHEMA)
            for k, f in keys.items()}, total


def align_lines(keys: dict[str, pl.DataFrame], rejected: pl.Series) -> dict[str, pl.DataFrame]:
    """``report_line`` of every key: the converted file leaves the ``rejected`` lines out,
    so its record k is the k-th line of the report's numbering that is not rejected."""
    if not keys or rejected.len() == 0:
        return keys
    n = max(int(f["line"].max() or 1) for f in keys.values()) - 1
    taken = rejected.unique().cast(pl.Int64).implode()
    kept = (pl.select(pl.int_range(2, 2 + n + rejected.n_unique(), dtype=pl.Int64).alias("r"))
            .filter(~pl.col("r").is_in(taken)).head(n)
            .with_row_index("line", offset=2).with_columns(pl.col("line").cast(pl.Int64)))
    return {k: f.drop("report_line").join(kept, on="line", how="left", maintain_order="left")
            .rename({"r": "report_line"}).select(list(KEY_SCHEMA))
            for k, f in keys.items()}
