"""Regenerate samples/kassa-dagtotaal-nl.csv (deterministic). Run: python samples/_make_totals_sample.py

A Dutch till's day export whose last row, "Totaal", gives the day's amount and number of
receipts (one receipt per line). One receipt was deleted by hand after the export, so the
totals row no longer matches the lines: the control-total sample (rule kassa-dagtotaal-nl).
One line also has a date that does not exist.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent

HEADER = ["Bonnummer", "Trekking", "Datum", "Artikelcode", "Omschrijving", "Aantal", "Bedrag",
          "Betaalwijze", "Klantnummer", "Voornaam", "Achternaam", "E-mail", "Adres",
          "Postcode", "Plaats", "Land"]
PEOPLE = [("Jan", "de Vries"), ("Sanne", "Jansen"), ("Pieter", "Bakker"), ("Fatima", "El Amrani"),
          ("Daan", "Visser"), ("Emma", "Smit"), ("Lucas", "Meijer"), ("Noor", "de Boer")]
PAY = ["PIN", "Contant", "iDEAL", "Incasso"]


def _euro(amount: Decimal) -> str:
    whole, cents = f"{amount:.2f}".split(".")
    groups = f"{int(whole):,}".replace(",", ".")
    return f"€ {groups},{cents}"


def main() -> None:
    rows, total = [], Decimal(0)
    for i in range(25):
        first, last = PEOPLE[i % len(PEOPLE)]
        qty = i % 3 + 1
        amount = Decimal("12.25") * qty
        total += amount
        rows.append([str(820100 + i), "2026", f"{i % 28 + 1:02d}-10-2026", f"LOT-{100 + i % 3}",
                     "Staatsloterij ½ lot" if i % 2 else "Maandlot café-actie", str(qty),
                     _euro(amount), PAY[i % 4], f"K{7700 + i}", first, last,
                     f"{first.lower()}.{i}@voorbeeld.nl", f"Kerkstraat {i + 1}", "1012 AB",
                     "Amsterdam", "NL"])
    rows[6][2] = "31-02-2026"  # no such date: a line error next to the file-level one
    del rows[17]               # deleted by hand after the export: the total no longer fits
    totaal = ["Totaal", "", "", "", "", "25", _euro(total)] + [""] * 9
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows(rows)
    w.writerow(totaal)
    (HERE / "kassa-dagtotaal-nl.csv").write_bytes(buf.getvalue().encode("cp1252"))


if __name__ == "__main__":
    main()
