"""US sales-tax economic nexus: is the platform's selling of digital subscriptions into a state
over (or near) that state's remote-seller threshold? Monitoring only: whether a state taxes
digital subscriptions at all is a separate question the report leaves to the accountant.

Thresholds are a dated table (`tables/us_nexus.csv`), one row per state and period of validity,
each with its source. `combine` says how dollars and transactions combine ("or": either crosses;
"and": both must). `period` says which sales each state measures:
current_or_previous_year, previous_year or previous_12_months.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

NEXUS_CSV = Path(__file__).with_name("tables") / "us_nexus.csv"
NEAR = Decimal("0.8")


@dataclass(frozen=True)
class NexusRule:
    state: str
    amount_cents: int
    transactions: int | None
    combine: str
    period: str
    valid_from: date
    valid_to: date | None
    source: str


def load_rules(path: Path | str = NEXUS_CSV) -> tuple[NexusRule, ...]:
    rules = []
    with open(path, newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                rules.append(NexusRule(
                    row["state"], int(row["amount_usd"]) * 100, int(row["transactions"]) if row["transactions"] else None,
                    row["combine"] or "or", row["period"], date.fromisoformat(row["valid_from"]),
                    date.fromisoformat(row["valid_to"]) if row["valid_to"] else None, row["source"]))
            except (KeyError, ValueError) as exc:
                raise ValueError(f"{path} line {line}: bad nexus row ({exc})") from exc
    return tuple(rules)


def rule_for(state: str, on: date, rules: tuple[NexusRule, ...] | None = None) -> NexusRule | None:
    for rule in rules or load_rules():
        if rule.state == state.upper() and rule.valid_from <= on and (rule.valid_to is None or on <= rule.valid_to):
            return rule
    return None


@dataclass(frozen=True)
class StateSales:
    """Sales into one state, USD cents and transaction counts, for the windows states measure."""
    state: str
    current_year_cents: int = 0
    current_year_transactions: int = 0
    previous_year_cents: int = 0
    previous_year_transactions: int = 0
    trailing_12_months_cents: int | None = None
    trailing_12_months_transactions: int | None = None
    source_ids: tuple[str, ...] = ()


@dataclass
class NexusResult:
    state: str
    status: str  # "crossed", "near" (80% or more of the measure) or "below"; "no sales tax" without a rule
    measured_cents: int
    measured_transactions: int
    threshold_cents: int | None
    threshold_transactions: int | None
    ratio: Decimal  # how far along the measure is (1 = at the threshold)
    period: str
    source: str
    source_ids: tuple[str, ...] = field(default_factory=tuple)


def _windows(sales: StateSales, period: str) -> list[tuple[int, int]]:
    if period == "previous_year":
        return [(sales.previous_year_cents, sales.previous_year_transactions)]
    if period == "previous_12_months" and sales.trailing_12_months_cents is not None:
        return [(sales.trailing_12_months_cents, sales.trailing_12_months_transactions or 0)]
    return [(sales.current_year_cents, sales.current_year_transactions),
            (sales.previous_year_cents, sales.previous_year_transactions)]


def _crossed(rule: NexusRule, cents: int, count: int) -> bool:
    # "$100,000 or more" in most states; the few that say "exceeds" differ by one cent only
    amount_ok = cents >= rule.amount_cents
    if rule.transactions is None:
        return amount_ok
    count_ok = count >= rule.transactions
    return (amount_ok and count_ok) if rule.combine == "and" else (amount_ok or count_ok)


def _ratio(rule: NexusRule, cents: int, count: int) -> Decimal:
    by_amount = Decimal(cents) / Decimal(rule.amount_cents)
    if rule.transactions is None:
        return by_amount
    by_count = Decimal(count) / Decimal(rule.transactions)
    return min(by_amount, by_count) if rule.combine == "and" else max(by_amount, by_count)


def assess(sales: list[StateSales], on: date, rules: tuple[NexusRule, ...] | None = None) -> list[NexusResult]:
    rules = rules or load_rules()
    results = []
    for s in sorted(sales, key=lambda s: s.state):
        rule = rule_for(s.state, on, rules)
        if rule is None:
            best = max(_windows(s, "current_or_previous_year"))
            results.append(NexusResult(s.state.upper(), "no sales tax", best[0], best[1], None, None, Decimal(0),
                                       "", "no statewide sales tax rule in the table", s.source_ids))
            continue
        windows = _windows(s, rule.period)
        crossed = any(_crossed(rule, c, n) for c, n in windows)
        cents, count = max(windows, key=lambda w: _ratio(rule, *w))
        ratio = _ratio(rule, cents, count)
        status = "crossed" if crossed else ("near" if ratio >= NEAR else "below")
        results.append(NexusResult(rule.state, status, cents, count, rule.amount_cents, rule.transactions,
                                   ratio.quantize(Decimal("0.0001")), rule.period, rule.source, s.source_ids))
    return results
