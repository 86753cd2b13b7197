"""The UK VAT return: nine boxes in GBP, and the Making Tax Digital body HMRC's VAT API takes
(POST /organisations/vat/{vrn}/returns).

Boxes 1-5 are pounds and pence. Boxes 6-9 are whole pounds: HMRC's VAT Notice 700/12 says to
leave out the pence, so they are truncated, not rounded. For a platform selling digital services
to UK consumers: box 2 (acquisitions from the EU) and boxes 8-9 (EU goods) are 0.
Box 5 is the difference of boxes 3 and 4; the API takes it as a non-negative amount, so a
repayment shows as `repayment=True` with netVatDue the absolute value.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from pipelines.money import to_major


@dataclass(frozen=True)
class UkSale:
    source_id: str
    net_pence: int  # value excluding VAT
    vat_pence: int  # VAT charged (20% for B2C digital services); 0 for reverse-charged B2B


@dataclass(frozen=True)
class UkPurchase:
    source_id: str
    net_pence: int
    vat_pence: int  # VAT reclaimable on it


@dataclass
class UkVatReturn:
    period_key: str
    box1: Decimal
    box2: Decimal
    box3: Decimal
    box4: Decimal
    box5: Decimal
    box6: int
    box7: int
    box8: int
    box9: int
    sources: dict[str, list[str]] = field(default_factory=dict)

    @property
    def repayment(self) -> bool:
        return self.box5 < 0

    def mtd_body(self, finalised: bool = True) -> dict:
        """The JSON body with HMRC's field names; money as Decimals with two places."""
        two = Decimal("0.01")
        return {
            "periodKey": self.period_key,
            "vatDueSales": self.box1.quantize(two),
            "vatDueAcquisitions": self.box2.quantize(two),
            "totalVatDue": self.box3.quantize(two),
            "vatReclaimedCurrPeriod": self.box4.quantize(two),
            "netVatDue": abs(self.box5).quantize(two),
            "totalValueSalesExVAT": Decimal(self.box6).quantize(two),
            "totalValuePurchasesExVAT": Decimal(self.box7).quantize(two),
            "totalValueGoodsSuppliedExVAT": Decimal(self.box8).quantize(two),
            "totalAcquisitionsExVAT": Decimal(self.box9).quantize(two),
            "finalised": finalised,
        }

    def mtd_json(self, finalised: bool = True) -> str:
        """Serialised with the amounts as JSON numbers written exactly (no float on the way)."""
        body = self.mtd_body(finalised)
        parts = []
        for key, value in body.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, Decimal):
                text = format(value, "f")
            else:
                text = json.dumps(value)
            parts.append(f"{json.dumps(key)}: {text}")
        return "{" + ", ".join(parts) + "}"


def _whole_pounds(pence: int) -> int:
    """Drop the pence (towards zero)."""
    return int(pence / 100) if pence >= 0 else -int(-pence / 100)


PURCHASE_COLUMNS = ("date", "reference", "net_gbp", "vat_gbp")


def purchases_from_csv(text: str, first_day: date, last_day: date) -> list[UkPurchase]:
    """The platform's UK purchases of the period (boxes 4 and 7) from the accounting system's export:
    a CSV with `date` (YYYY-MM-DD), `reference`, `net_gbp` and `vat_gbp` (pounds with at most two
    decimals). Cashbook sees only Stripe, so its own costs come from the books, not from a guess."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in PURCHASE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"UK purchases CSV: missing column(s) {', '.join(missing)}")
    purchases = []
    for line, row in enumerate(reader, start=2):
        ref = (row["reference"] or "").strip()
        if not ref:
            raise ValueError(f"UK purchases CSV line {line}: reference is empty")
        try:
            day = date.fromisoformat(row["date"].strip())
        except ValueError:
            raise ValueError(f"UK purchases CSV line {line} ({ref}): date {row['date']!r} is not YYYY-MM-DD") from None
        pence = {}
        for column in ("net_gbp", "vat_gbp"):
            try:
                amount = Decimal(row[column].strip())
            except (InvalidOperation, AttributeError):
                raise ValueError(f"UK purchases CSV line {line} ({ref}): {column} {row[column]!r} is not a number") from None
            if amount != amount.quantize(Decimal("0.01")):
                raise ValueError(f"UK purchases CSV line {line} ({ref}): {column} {amount} has more than two decimals")
            pence[column] = int(amount * 100)
        if first_day <= day <= last_day:
            purchases.append(UkPurchase(ref, pence["net_gbp"], pence["vat_gbp"]))
    return purchases


def build_return(period_key: str, sales: list[UkSale], purchases: list[UkPurchase]) -> UkVatReturn:
    if not period_key or len(period_key) != 4:
        raise ValueError("period_key must be HMRC's 4-character period key, e.g. '25A1'")
    for row in [*sales, *purchases]:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (row.net_pence, row.vat_pence)):
            raise TypeError(f"{row.source_id}: net_pence and vat_pence must be integer pence")
    vat_sales = sum(s.vat_pence for s in sales)
    vat_purchases = sum(p.vat_pence for p in purchases)
    net_sales = sum(s.net_pence for s in sales)
    net_purchases = sum(p.net_pence for p in purchases)
    box1 = to_major(vat_sales, "GBP")
    box2 = Decimal("0.00")
    box3 = box1 + box2
    box4 = to_major(vat_purchases, "GBP")
    sale_ids = [s.source_id for s in sales]
    purchase_ids = [p.source_id for p in purchases]
    return UkVatReturn(
        period_key, box1, box2, box3, box4, box3 - box4,
        _whole_pounds(net_sales), _whole_pounds(net_purchases), 0, 0,
        {"1": sale_ids, "3": sale_ids, "4": purchase_ids, "5": sale_ids + purchase_ids,
         "6": sale_ids, "7": purchase_ids},
    )
