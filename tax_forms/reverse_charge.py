"""B2B sales with a VAT number: reverse-charged by the customer, so out of OSS / UK output VAT.

python-stdnum checks the number's format and check digits per country. Whether the number is
registered to this customer is VIES's job (and HMRC's for GB); VIES is not reachable from here,
so every accepted number is listed as still needing a VIES check before the return is final.
"""
from __future__ import annotations

from dataclasses import dataclass

from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat

from .vat_rates import oss_country


@dataclass(frozen=True)
class VatNumberCheck:
    source_id: str
    vat_number: str  # compact, with its country prefix
    country: str  # prefix country (EL for Greece)
    valid_format: bool
    customer_country: str | None
    needs_vies_check: bool
    reason: str = ""

    @property
    def reverse_charged(self) -> bool:
        return self.valid_format


def check_vat_number(source_id: str, vat_number: str | None, customer_country: str | None = None) -> VatNumberCheck | None:
    """None when there is no number (a consumer sale)."""
    if not vat_number or not str(vat_number).strip():
        return None
    raw = str(vat_number).strip().upper().replace(" ", "").replace(".", "").replace("-", "")
    customer = oss_country(customer_country) if customer_country else None
    if raw.startswith("GB"):
        ok = gb_vat.is_valid(raw)
        number, country = (gb_vat.compact(raw) if ok else raw), "GB"
        if ok and not number.startswith("GB"):
            number = "GB" + number
    else:
        ok = eu_vat.is_valid(raw)
        number = eu_vat.compact(raw) if ok else raw
        country = oss_country(number[:2])
    reason = "" if ok else "VAT number fails format or check digits (python-stdnum)"
    if ok and customer and customer != country and not (country == "XI" and customer == "GB"):
        reason = f"VAT number country {country} differs from customer country {customer}"
    return VatNumberCheck(source_id, number, country, ok, customer, ok, reason)


def split_b2b(rows: list[dict]) -> tuple[list[dict], list[VatNumberCheck], list[VatNumberCheck]]:
    """Rows with source_id, vat_number, country -> (consumer rows, reverse-charged, rejected numbers).

    A row whose number fails the check stays a consumer sale (VAT charged) and is listed.
    """
    consumers, reverse, rejected = [], [], []
    for row in rows:
        check = check_vat_number(row["source_id"], row.get("vat_number"), row.get("country"))
        if check is None:
            consumers.append(row)
        elif check.reverse_charged:
            reverse.append(check)
        else:
            rejected.append(check)
            consumers.append(row)
    return consumers, reverse, rejected
