"""The canonical sale-line model: defined once, used by rules (into) and targets (out of).

M partner rule files map *into* these fields; N targets map *out of* them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import polars as pl

__all__ = ["Kind", "CanonicalField", "FIELDS", "DECIMAL_SCALE", "polars_type", "field"]

#: Scale of every canonical decimal (money, quantities, percentages). Parsers round to it.
DECIMAL_SCALE = 6


class Kind(StrEnum):
    """Value kinds a canonical field can have; each has one parser."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"


_POLARS = {
    Kind.TEXT: pl.String,
    Kind.INTEGER: pl.Int64,
    Kind.DECIMAL: pl.Decimal(38, DECIMAL_SCALE),
    Kind.DATE: pl.Date,
    Kind.DATETIME: pl.Datetime("us"),
    Kind.BOOLEAN: pl.Boolean,
}


def polars_type(kind: Kind) -> pl.DataType:
    """The polars dtype that holds values of ``kind``."""
    return _POLARS[kind]


@dataclass(frozen=True)
class CanonicalField:
    """One field of a canonical sale line."""

    name: str
    kind: Kind
    description: str


def _f(name: str, kind: str, description: str) -> CanonicalField:
    return CanonicalField(name, Kind(kind), description)


_DECLARED = [
    _f("sale_id", "text", "Identifier of the sale (receipt, order, transaction) the line belongs to."),
    _f("line_id", "text", "Identifier of the sale line, unique across all lines."),
    _f("line_number", "integer", "Position of the line within its sale (1, 2, ...)."),
    _f("transaction_id", "text", "Partner's external transaction identifier."),
    _f("sold_at", "datetime", "Date and time of the sale (date-only values are midnight)."),
    _f("location_id", "text", "Store, till or venue identifier."),
    _f("channel", "text", "Sales channel (store, web, phone, direct-mail, ...)."),
    _f("online", "boolean", "True when the sale came through an online channel."),
    _f("sku", "text", "Product / SKU code."),
    _f("partner_sku_code", "text", "The partner's own SKU code (Thalamus standard way)."),
    _f("sku_code_key", "text", "SKU reference code key (Thalamus legacy way)."),
    _f("reference_code_name", "text", "Reference code name of the item (Thalamus party sale)."),
    _f("product_name", "text", "Human-readable product description."),
    _f("event_id", "text", "Event identifier (per-event ticket sales)."),
    _f("ticket_type", "text", "Ticket type or price category."),
    _f("draw_number", "integer", "Lottery draw number."),
    _f("quantity", "decimal", "Units sold; negative for returns."),
    _f("unit_price", "decimal", "Price of one unit including VAT."),
    _f("amount", "decimal", "Total of the line including VAT, after discounts."),
    _f("original_amount", "decimal", "Total of the line including VAT, before discounts."),
    _f("vat_percentage", "decimal", "VAT / sales tax percentage (21 for 21%)."),
    _f("cost_price", "decimal", "Unit cost paid to the vendor (always positive)."),
    _f("currency", "text", "ISO 4217 currency code."),
    _f("payment_method", "text", "How the line was paid (cash, card, ...)."),
    _f("customer_ref", "text", "Customer reference / account / principal."),
    _f("title", "text", "Customer title (Mr, Ms, ...)."),
    _f("first_name", "text", "Customer first name."),
    _f("last_name", "text", "Customer last name."),
    _f("email", "text", "Customer e-mail address."),
    _f("phone", "text", "Customer phone number."),
    _f("address_line1", "text", "Customer address, first line."),
    _f("address_line2", "text", "Customer address, second line."),
    _f("suburb", "text", "Customer suburb / city."),
    _f("state", "text", "Customer state / province."),
    _f("postcode", "text", "Customer postcode (kept as text: leading zeros matter)."),
    _f("country", "text", "Customer country, ISO 3166 alpha-2."),
    _f("date_of_birth", "date", "Customer date of birth."),
    _f("vendor_id", "integer", "Vendor identifier in the ingest system."),
    _f("sales_origin", "text", "Code of the sale's origin."),
    _f("sales_origin_id", "integer", "Numeric id of the sale's origin."),
    _f("payment_method_id", "integer", "Numeric id of the payment method."),
    _f("currency_id", "integer", "Numeric id of the currency."),
    _f("physical_location_id", "integer", "Numeric id of the physical location."),
    _f("principal", "text", "Principal of the physical location (e.g. systemId|987)."),
    _f("is_return", "boolean", "True when the line is a return / refund."),
    _f("notes", "text", "Free-text notes."),
    *[_f(f"description{i}", "text", f"Free description field {i}.") for i in range(1, 11)],
]

#: Every canonical field by name, in declaration order.
FIELDS: dict[str, CanonicalField] = {f.name: f for f in _DECLARED}


def field(name: str) -> CanonicalField:
    """Look up a canonical field; KeyError names the field."""
    return FIELDS[name]
