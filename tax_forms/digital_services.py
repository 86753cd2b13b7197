"""Digital-services VAT/GST outside the US: a dated rules table for 50+ countries and a
quarterly liability report (monitoring, not filing).

Rows come from `tables/digital_services.csv` (rate, registration threshold in local currency,
whether a marketplace/platform is the deemed supplier, dates, source) plus the EU member states'
standard rates from `tables/vat_rates.csv` (EU: no threshold for a non-EU supplier; the platform
is the deemed supplier under Implementing Regulation 282/2011 art. 9a). A threshold of 0 means
registration from the first sale. Canada's provinces are separate rows (region).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from pipelines.money import to_major, to_minor

from .vat_rates import EU_MEMBER_STATES, load_rates

RULES_CSV = Path(__file__).with_name("tables") / "digital_services.csv"


@dataclass(frozen=True)
class DigitalServicesRule:
    country: str
    region: str
    tax: str
    rate: Decimal  # percent
    threshold_minor: int  # registration threshold in `currency` minor units (0 = none)
    currency: str
    marketplace_liable: bool
    valid_from: date
    valid_to: date | None
    source: str

    def applies_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def load_rules(path: Path | str = RULES_CSV) -> tuple[DigitalServicesRule, ...]:
    rules = []
    with open(path, newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                currency = row["threshold_currency"]
                rules.append(DigitalServicesRule(
                    row["country"], row["region"], row["tax"], Decimal(row["rate"]),
                    to_minor(Decimal(row["threshold"]), currency), currency,
                    row["marketplace_liable"].strip().lower() == "yes", date.fromisoformat(row["valid_from"]),
                    date.fromisoformat(row["valid_to"]) if row["valid_to"] else None, row["source"]))
            except (KeyError, ValueError, ArithmeticError) as exc:
                raise ValueError(f"{path} line {line}: bad digital-services rule ({exc})") from exc
    for vat in load_rates():
        if vat.country in EU_MEMBER_STATES:
            rules.append(DigitalServicesRule(
                vat.country, "", "VAT", vat.rate, 0, "EUR", True, vat.valid_from, vat.valid_to,
                f"{vat.source}; VAT Directive art. 58, Reg. 282/2011 art. 9a (filed through OSS)"))
    return tuple(rules)


def rule_for(country: str, on: date, region: str = "", rules=None) -> DigitalServicesRule:
    for rule in rules or load_rules():
        if rule.country == country.upper() and rule.region == (region or "").upper() and rule.applies_on(on):
            return rule
    raise LookupError(f"no digital-services rule for {country}{'-' + region if region else ''} on {on.isoformat()}")


def countries(on: date, rules=None) -> list[str]:
    return sorted({r.country for r in (rules or load_rules()) if r.applies_on(on)})


@dataclass(frozen=True)
class CountrySales:
    """One country's (or Canadian province's) B2C digital sales, in the rule's local currency."""
    country: str
    quarter_net_minor: int  # net sales in the quarter
    trailing_12_months_minor: int  # for the registration threshold
    region: str = ""
    source_ids: tuple[str, ...] = ()


@dataclass
class LiabilityRow:
    country: str
    region: str
    tax: str
    rate: Decimal
    currency: str
    sales_minor: int
    tax_due_minor: int  # what would be due on the quarter's sales, half-up once
    threshold_minor: int
    registration_due: bool
    marketplace_liable: bool
    source: str
    source_ids: tuple[str, ...] = field(default_factory=tuple)


def liability_report(sales: list[CountrySales], quarter_end: date, rules=None) -> list[LiabilityRow]:
    rules = rules or load_rules()
    rows = []
    for s in sorted(sales, key=lambda s: (s.country, s.region)):
        rule = rule_for(s.country, quarter_end, s.region, rules)
        tax = to_minor(to_major(s.quarter_net_minor, rule.currency) * rule.rate / 100, rule.currency)
        due = s.trailing_12_months_minor > 0 and s.trailing_12_months_minor >= rule.threshold_minor
        rows.append(LiabilityRow(rule.country, rule.region, rule.tax, rule.rate, rule.currency, s.quarter_net_minor,
                                 tax, rule.threshold_minor, due, rule.marketplace_liable, rule.source, s.source_ids))
    return rows
