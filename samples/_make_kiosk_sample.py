"""Regenerate samples/kiosk-kassa-nl.csv (deterministic): python samples/_make_kiosk_sample.py

A second Dutch till ("KioskKassa"): the kassa-nl layout with renamed columns, date-times,
a till number, returns as lines with negative quantities and trailing-minus amounts, a
voided line, a subtotal and a total footer. Converted with rules/partners/kiosk-kassa-nl.yaml,
which extends kassa-nl.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent

NAMES = [("Jan", "de Vries"), ("Sanne", "Jansen"), ("Pieter", "Bakker"), ("Fatima", "El Amrani"),
         ("Daan", "Visser"), ("Emma", "Smit"), ("Lucas", "Meijer"), ("Noor", "de Boer")]
PLACES = [("Kerkstraat 12", "1012 AB", "Amsterdam"), ("Dorpsweg 3a", "3511 CD", "Utrecht"),
          ("Molenlaan 88", "2511 EF", "Den Haag"), ("Stationsplein 1", "9711 GH", "Groningen")]
HEADER = ["Bon", "Kassa", "Trekking", "Datum/tijd", "Art.nr", "Omschrijving", "Aantal",
          "Bedrag", "Soort", "Betaling", "Klantnr", "Voornaam", "Achternaam", "E-mailadres",
          "Straat", "Postcode", "Woonplaats"]


def main() -> None:
    rows = []
    for i in range(16):
        first, last = NAMES[i % 8]
        street, pc, town = PLACES[i % 4]
        qty = i % 3 + 1
        rows.append([str(820100 + i), f"K{i % 2 + 1}", "2025", f"{i + 1:02d}-10-2026 1{i % 8}:05",
                     f"LOT-{200 + i % 3}", "Kraslot" if i % 2 else "Staatsloterij ⅕ lot",
                     str(qty), f"{qty * 5},00", "Verkoop", ["PIN", "Contant", "Pinbetaling"][i % 3],
                     f"KK{700 + i}", first, last, f"{first.lower()}.{i}@voorbeeld.nl", street, pc,
                     town])
    rows[3][6:9] = ["-1", "5,00-", "Retour"]     # return: negative quantity, trailing minus
    rows[8][6:9] = ["-2", "10,00-", "Retour"]
    rows[11][6:9] = ["-1", "5,00", "Retour"]     # return whose amount lacks its sign
    rows[6][6:8] = ["0", "0,00"]                 # voided line: skipped by the rule
    rows[13][8] = "Ruil"                         # kind the rule does not know
    rows[14][3] = "31-09-2026 10:05"             # no 31 September
    sub = ["Subtotaal", "", "", "", "", "", "", "60,00", "", "", "", "", "", "", "", "", ""]
    total = ["Totaal", "", "", "", "", "", "", "1.120,00", "", "", "", "", "", "", "", "", ""]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows(rows[:8])
    w.writerow(sub)
    w.writerows(rows[8:])
    w.writerow(total)
    (HERE / "kiosk-kassa-nl.csv").write_bytes(buf.getvalue().encode("cp1252", errors="replace"))


if __name__ == "__main__":
    main()
