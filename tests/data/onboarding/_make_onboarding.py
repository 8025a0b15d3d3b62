"""Write the partner files the onboarding tests run `salesfmt init` on (deterministic).

Five partners a new customer might send, each in its own language and habits:
  kasse-de.csv        German lottery kiosk: cp1252, ';', decimal comma, dd.mm.yyyy, "Summe" footer
  ventes-fr.csv       French shop: UTF-8 with BOM, ';', "12,50 €", CB/Espèces/Chèque, "Total" footer
  till-lines-uk.csv   UK till lines to Wallie: dd/mm/yyyy hh:mm, barcodes under a header
                      no lexicon knows ("Scan code"), Sale/Refund lines, payment UUIDs
  box-office-us.csv   US box office to the sales template: mm/dd/yyyy, "$1,234.50", Sold via
  filiale-de.csv      German store lines to Wallie: dd.mm.yyyy hh:mm:ss, Ja/Nein online flag
  ventas-es.csv       Spanish web shop: ';', "1.234,50 €", Efectivo/Tarjeta/Domiciliación, España,
                      e-mail addresses under "Contacto"
Run: python tests/data/onboarding/_make_onboarding.py
"""

from __future__ import annotations

import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _write(name: str, lines: list[str], encoding: str = "utf-8", bom: bool = False) -> None:
    data = "\r\n".join(lines) + "\r\n"
    raw = data.encode(encoding)
    (HERE / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + raw)


def kasse_de() -> None:
    pays = ["Bar", "EC-Karte", "Bar", "Lastschrift", "Kreditkarte", "Bar", "Gutschein"]
    names = [("Herr", "Lukas", "Müller"), ("Frau", "Anna", "Schmidt"), ("Herr", "Jonas", "Weiß"),
             ("Frau", "Marie", "Schäfer"), ("Herr", "Felix", "Becker")]
    rows = ["Belegnummer;Ziehung;Verkaufsdatum;Artikelnummer;Bezeichnung;Menge;Betrag;"
            "Zahlungsart;Kundennummer;Anrede;Vorname;Nachname;E-Mail;Straße;PLZ;Ort;Land"]
    for i in range(14):
        t, first, last = names[i % 5]
        qty = 1 + i % 3
        amount = f"{qty * 12.5:.2f}".replace(".", ",")
        if i == 9:
            amount = "1.012,50"  # a big one: thousands point
        day = 3 + i
        rows.append(f"{4500 + i};{318 if i < 7 else 319};{day:02d}.11.2026;GL-{100 + i % 4};"
                    f"Glückslos {['Woche', 'Monat', 'Jahr', 'Rubbel'][i % 4]};{qty};{amount};"
                    f"{pays[i % 7]};KD-{7700 + i};{t};{first};{last};"
                    f"{first.lower()}.{i}@beispiel.de;Hauptstraße {i + 1};{50667 + i};Köln;"
                    f"{'Deutschland' if i % 4 else 'DE'}")
    rows.append(";;;;;;;;;;;;;;;;")
    rows.append("Summe;;;;;25;437,50;;;;;;;;;;")
    _write("kasse-de.csv", rows, "cp1252")


def ventes_fr() -> None:
    pays = ["CB", "Espèces", "Chèque", "CB", "Prélèvement", "Carte bancaire", "Ticket resto"]
    rows = ["N° commande;Tirage;Date de vente;Code article;Qté;Montant TTC;Mode de paiement;"
            "N° client;Civilité;Prénom;Nom;Courriel;Adresse;Code postal;Ville;Pays"]
    people = [("M.", "Hugo", "Martin"), ("Mme", "Léa", "Bernard"), ("M.", "Louis", "Dubois"),
              ("Mme", "Chloé", "Lefèvre")]
    for i in range(12):
        civ, first, last = people[i % 4]
        qty = 1 + i % 2
        amount = f"{qty * 5:.2f}".replace(".", ",")
        rows.append(f"CMD-{2600 + i};{41 + i // 6};{10 + i:02d}/10/2026;LOTO-{i % 3 + 1};{qty};"
                    f"{amount} €;{pays[i % 7]};C{880 + i};{civ};{first};{last};"
                    f"{first.lower()}{i}@exemple.fr;{i + 2} rue de la Paix;{75001 + i};Paris;"
                    f"{'France' if i % 3 else 'Belgique'}")
    rows.append("Total;;;;18;90,00 €;;;;;;;;;;")
    _write("ventes-fr.csv", rows, "utf-8", bom=True)


def _ean(stem: str) -> str:
    digits = [int(c) for c in stem]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return stem + str((10 - total % 10) % 10)


def till_lines_uk() -> None:
    rows = ["Receipt No,Line No,Date/time,Store,Scan code,Description,Qty,Unit Price,Total,"
            "VAT rate,Cost price,Type,Channel,Txn ref"]
    items = [("501234500001", "Tea towel", "4.50", "1.20", "20"),
             ("501234500002", "Mug, blue", "7.99", "2.10", "20"),
             ("501234500003", "Children's book", "5.99", "2.40", "0")]
    n = 0
    for r in range(6):
        receipt = f"LDN-{8800 + r}"
        refund = r == 4
        for line in range(1, 3 if r % 2 == 0 else 2):
            code, desc, price, cost, vat = items[(r + line) % 3]
            qty = 1 + (r + line) % 2
            total = f"{qty * float(price):.2f}"
            if refund:
                total = f"-{total}"
            minute = 5 * n
            n += 1
            rows.append(f"{receipt},{line},{13 + r:02d}/11/2026 {9 + minute // 60:02d}:"
                        f"{minute % 60:02d},{'LDN01' if r < 3 else 'WEB'},{_ean(code)},"
                        f"\"{desc}\",{qty},{price},{total},{vat},{cost},"
                        f"{'Refund' if refund else 'Sale'},{'In store' if r < 3 else 'Online'},"
                        f"{uuid.uuid5(uuid.NAMESPACE_URL, receipt)}")
    _write("till-lines-uk.csv", rows)


def box_office_us() -> None:
    rows = ["Order #,Event Code,Performance Date,Ticket Category,Sold via,Qty,Price,Gross,"
            "Currency,Comments"]
    cats = ["Adult", "Child", "Senior", "Student", "Adult", "VIP", "Comp"]
    via = ["Box Office", "Web", "Phone", "Web", "Door", "Reseller", "Web"]
    for i in range(14):
        qty = 1 + i % 4
        price = 0.0 if cats[i % 7] == "Comp" else [45.0, 25.0, 35.0, 30.0, 45.0, 350.0][i % 6]
        gross = qty * price
        rows.append(f"{70010 + i},BWAY-{11 + i // 5},{9 + i // 5:02d}/{(i * 3) % 28 + 1:02d}/"
                    f"2026,{cats[i % 7]},{via[i % 7]},{qty},\"${price:,.2f}\",\"${gross:,.2f}\","
                    f"USD,{'group sale' if qty == 4 else ''}")
    _write("box-office-us.csv", rows)


def ventas_es() -> None:
    pagos = ["Tarjeta", "Efectivo", "Domiciliación", "Tarjeta", "Bizum", "Transferencia"]
    rows = ["Nº pedido;Sorteo;Fecha;Producto;Cantidad;Importe;Forma de pago;Nombre;Apellidos;"
            "Contacto;Dirección;Código postal;Localidad;Provincia;País"]
    gente = [("Lucía", "García López"), ("Hugo", "Fernández Ruiz"), ("Martina", "Sánchez Gil")]
    for i in range(12):
        first, last = gente[i % 3]
        qty = 1 + i % 5
        amount = f"{qty * 20:.2f}".replace(".", ",")
        rows.append(f"{31000 + i};{2026 - i % 2};{i + 14:02d}/10/2026;NAV-{i % 2 + 1};{qty};"
                    f"{amount} €;{pagos[i % 6]};{first};{last};{first.lower()}.{i}@ejemplo.es;"
                    f"Calle Mayor {i + 1};{28001 + i:05d};Madrid;Madrid;"
                    f"{'España' if i % 2 else 'ES'}")
    rows.append("Total general;;;;30;600,00 €;;;;;;;;;")
    _write("ventas-es.csv", rows)


def filiale_de() -> None:
    rows = ["Filiale;Bon-Nr;Pos;Zeitpunkt;EAN;Menge;Betrag;MwSt %;Online"]
    for b in range(5):
        for pos in range(1, 3):
            ean = _ean(f"400638133{b}{pos}3")
            qty = pos
            betrag = f"{qty * 3.49:.2f}".replace(".", ",")
            rows.append(f"F{12 + b % 2};B-{7700 + b};{pos};{20 + b}.10.2026 1{b}:0{pos}:00;{ean};"
                        f"{qty};{betrag};{7 if pos == 1 else 19};{'Ja' if b == 3 else 'Nein'}")
    _write("filiale-de.csv", rows, "utf-8")


if __name__ == "__main__":
    kasse_de()
    ventes_fr()
    till_lines_uk()
    box_office_us()
    ventas_es()
    filiale_de()
