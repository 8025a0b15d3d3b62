"""Seeded generator of an N-row messy partner CSV (Dutch till style, ~1% bad rows).

Built with polars expressions (hash-based pseudo-randomness), so 1M rows take a second.
Usage: python benchmarks/generate.py ROWS [OUT.csv] [--seed N]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"

PAY = ["PIN", "Contant", "iDEAL", "Incasso", "Creditcard"]
FIRST = ["Jan", "Sanne", "Pieter", "Fatima", "Daan", "Emma", "Lucas", "Noor", "Ahmed", "Julia"]
LAST = ["de Vries", "Jansen", "Bakker", "El Amrani", "Visser", "Smit", "Meijer", "de Boer"]
TOWNS = ["Amsterdam", "Utrecht", "Den Haag", "Groningen", "Eindhoven", "Maastricht"]


def _pick(options: list[str], h: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(options)).gather(h % len(options))


def frame(rows: int, seed: int = 7, start: int = 0) -> pl.DataFrame:
    """The generated partner rows (all text, as a partner would send them); ``start``: the
    number of rows before these (the file is generated in pieces)."""
    i = pl.int_range(start, start + rows, dtype=pl.UInt64)
    h = (i + seed).hash(seed)
    bad = (h % 100) == 0  # ~1% of rows carry one defect
    kind = (h // 100) % 6
    amount_cents = 100 + (h // 7) % 20000
    amount = pl.format("€ {},{}", (amount_cents // 100).cast(pl.String),
                       (amount_cents % 100).cast(pl.String).str.zfill(2))
    day = (1 + (h // 11) % 28).cast(pl.String).str.zfill(2)
    month = (1 + (h // 13) % 9).cast(pl.String).str.zfill(2)
    df = pl.select(
        Bonnummer=(i + 1_000_000).cast(pl.String),
        Trekking=pl.lit("2026"),
        Datum=pl.format("{}-{}-2026", day, month),
        Artikelcode=pl.format("LOT-{}", (100 + (h // 17) % 40).cast(pl.String)),
        Omschrijving=_pick(["Staatsloterij lot", "Maandlot", "Kraslot café"], h // 19),
        Aantal=(1 + (h // 23) % 5).cast(pl.String),
        Bedrag=amount,
        Betaalwijze=_pick(PAY, h // 29),
        Klantnummer=pl.format("K{}", ((h // 31) % 900_000).cast(pl.String)),
        Voornaam=_pick(FIRST, h // 37),
        Achternaam=_pick(LAST, h // 41),
        **{"E-mail": pl.format("klant{}@voorbeeld.nl", ((h // 43) % 900_000).cast(pl.String))},
        Adres=pl.format("Kerkstraat {}", (1 + (h // 47) % 200).cast(pl.String)),
        Postcode=pl.format("{} AB", (1000 + (h // 53) % 8999).cast(pl.String)),
        Plaats=_pick(TOWNS, h // 59),
        Land=pl.lit("NL"),
    ).with_columns(_h=h, _bad=bad, _kind=kind)
    return df.with_columns(
        Bedrag=pl.when(pl.col("_bad") & (pl.col("_kind") == 0)).then(pl.lit("€ 12,5O"))
        .otherwise(pl.col("Bedrag")),
        Datum=pl.when(pl.col("_bad") & (pl.col("_kind") == 1)).then(pl.lit("31-02-2026"))
        .otherwise(pl.col("Datum")),
        Achternaam=pl.when(pl.col("_bad") & (pl.col("_kind") == 2)).then(pl.lit(None))
        .otherwise(pl.col("Achternaam")),
        **{"E-mail": pl.when(pl.col("_bad") & (pl.col("_kind") == 3)).then(pl.lit("x@@y"))
           .otherwise(pl.col("E-mail"))},
        Betaalwijze=pl.when(pl.col("_bad") & (pl.col("_kind") == 4)).then(pl.lit("Bitcoin"))
        .otherwise(pl.col("Betaalwijze")),
        Aantal=pl.when(pl.col("_bad") & (pl.col("_kind") == 5)).then(pl.lit("twee"))
        .otherwise(pl.col("Aantal")),
    ).drop("_h", "_bad", "_kind")


_PIECE = 2_000_000


def generate(rows: int, out: Path | None = None, seed: int = 7) -> Path:
    """Write the CSV (';', decimal comma, UTF-8) unless it already exists; return its path."""
    out = out or DATA / f"partner_{rows}.csv"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with tmp.open("wb") as fh:  # in pieces: 30M rows at once would take ~15 GB
        for start in range(0, max(rows, 1), _PIECE):
            frame(min(_PIECE, rows - start), seed, start).write_csv(
                fh, separator=";", include_header=start == 0)
    tmp.replace(out)
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("rows", type=int)
    ap.add_argument("out", nargs="?", type=Path)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    print(generate(a.rows, a.out, a.seed))
