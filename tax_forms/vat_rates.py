"""Standard VAT rates with the dates they apply, per member state (and the UK).

Digital content subscriptions are electronically supplied services taxed at the standard rate;
a member state's reduced rates for e-books or e-press do not apply to them. The table lives in
`tables/vat_rates.csv` (not `data/`, which .gitignore reserves for generated data) so an accountant can add a rate change without touching code.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

RATES_CSV = Path(__file__).with_name("tables") / "vat_rates.csv"

EU_MEMBER_STATES = frozenset(
    "AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)


def oss_country(iso_code: str) -> str:
    """ISO 3166 code to the code the VAT world uses: Greece is EL (GR in ISO)."""
    code = (iso_code or "").strip().upper()
    return "EL" if code == "GR" else code


@dataclass(frozen=True)
class VatRate:
    country: str
    rate: Decimal  # percent, e.g. Decimal("25.5")
    valid_from: date
    valid_to: date | None
    source: str


def load_rates(path: Path | str = RATES_CSV) -> tuple[VatRate, ...]:
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                rows.append(VatRate(
                    oss_country(row["country"]), Decimal(row["rate"]), date.fromisoformat(row["valid_from"]),
                    date.fromisoformat(row["valid_to"]) if row["valid_to"] else None, row["source"],
                ))
            except (KeyError, ValueError, ArithmeticError) as exc:
                raise ValueError(f"{path} line {line}: bad VAT rate row ({exc})") from exc
    return tuple(rows)


@lru_cache(maxsize=1)
def _default_rates() -> tuple[VatRate, ...]:
    return load_rates()


def standard_rate(country: str, on: date, rates: tuple[VatRate, ...] | None = None) -> VatRate:
    """The standard rate in force in `country` on the day of supply."""
    code = oss_country(country)
    for row in rates or _default_rates():
        if row.country == code and row.valid_from <= on and (row.valid_to is None or on <= row.valid_to):
            return row
    raise LookupError(f"no standard VAT rate for {code} on {on.isoformat()}")
