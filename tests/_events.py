"""A ticketing partner's events file whose many warnings come before its few errors
(issue 18: 200 unknown ticket types listed before the 2 errors)."""

from __future__ import annotations

import csv
from pathlib import Path

HEADER = ["Order", "Event", "Show date", "Ticket", "Channel", "Tickets", "Price", "Total",
          "Cur", "Remarks"]
#: The rows with errors, at the end of the file: a future date and a currency name.
ERROR_ROWS = [
    ["T-9901", "EVT-2026-050", "02/12/2026", "Adult", "Web", "2", "24,50", "49,00", "EUR", ""],
    ["T-9902", "EVT-2026-050", "16/10/2026", "Adult", "Web", "1", "24,50", "24,50", "EURO", ""],
]


def events_file(folder: Path, warnings: int = 200, *, channel: str = "Web") -> Path:
    """``warnings`` lines with an unknown ticket type (a warning for sales-template), then
    the two ERROR_ROWS (error lines ``warnings + 2`` and ``warnings + 3``)."""
    path = folder / "events.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(warnings):
            out.writerow([f"T-{i:04d}", "EVT-2026-044", "14/10/2026", f"Early bird {i % 7}",
                          channel, "1", "20,00", "20,00", "EUR", ""])
        out.writerows(ERROR_ROWS)
    return path


#: A rule file for the same export that maps its channel words to nothing, so a channel
#: outside the target's list is a not_allowed *error*, next to the ticket-type warnings.
def muted_rules(folder: Path, levels: str = "{not_allowed: off}") -> Path:
    """A ticketline-like rule file with ``severity: <levels>``."""
    path = folder / "events-muted.yaml"
    path.write_text(f"""name: events-muted
parse:
  decimal_separator: ","
  date_formats: ["%d/%m/%Y"]
fields:
  sale_id: Order
  event_id: Event
  sold_at: Show date
  ticket_type: Ticket
  channel: Channel
  quantity: Tickets
  unit_price: Price
  amount: Total
  currency: Cur
  notes: Remarks
severity: {levels}
""", encoding="utf-8")
    return path
