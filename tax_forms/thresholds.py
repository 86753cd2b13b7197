"""When a creator must get a Form 1099: one dated table, each row with its source.

Amounts are USD cents. `comparison` says how the law words it: "over" (more than the amount)
or "at_least" (the amount or more); transaction counts likewise. A state row only flags that the
state wants its own 1099-K where the federal return is not required (or is not forwarded).
"""
from __future__ import annotations

from dataclasses import dataclass

PL_119_21 = (
    "P.L. 119-21 (One Big Beautiful Bill Act, 4 July 2025)"
)


@dataclass(frozen=True)
class ThresholdRule:
    form: str  # "1099-K" or "1099-NEC"
    jurisdiction: str  # "US" (federal) or a USPS state code
    first_year: int  # first tax year (for 1099-NEC: year the payment is made)
    last_year: int | None  # None = until further notice
    amount_cents: int
    comparison: str  # "over" or "at_least"
    transactions: int | None = None  # None = no transaction test
    transactions_comparison: str = "over"
    source: str = ""
    note: str = ""

    def applies_to(self, year: int) -> bool:
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)

    def met(self, amount_cents: int, transactions: int) -> bool:
        if isinstance(amount_cents, float):
            raise TypeError("threshold amounts are integer cents, never floats")
        amount_ok = (
            amount_cents > self.amount_cents
            if self.comparison == "over"
            else amount_cents >= self.amount_cents
        )
        if self.transactions is None:
            return amount_ok
        count_ok = (
            transactions > self.transactions
            if self.transactions_comparison == "over"
            else transactions >= self.transactions
        )
        return amount_ok and count_ok


THRESHOLDS: tuple[ThresholdRule, ...] = (
    # --- Federal Form 1099-K, third-party settlement organisation (IRC 6050W(e)) ---
    ThresholdRule(
        "1099-K", "US", 2011, 2021, 2_000_000, "over", 200, "over",
        source="IRC 6050W(e) as enacted by the Housing Assistance Tax Act of 2008 (P.L. 110-289)",
    ),
    ThresholdRule(
        "1099-K", "US", 2022, 2023, 2_000_000, "over", 200, "over",
        source="IRC 6050W(e); IRS Notices 2023-10 and 2023-74 (transition years 2022 and 2023)",
        note="Delayed $600 threshold never took effect for 2022-2023.",
    ),
    ThresholdRule(
        "1099-K", "US", 2024, 2024, 500_000, "over", None,
        source="IRS Notice 2024-85 (transition threshold for calendar year 2024)",
        note=(
            f"{PL_119_21} sec. 70432 later restored $20,000/200 retroactively; 2024 returns "
            "were due under Notice 2024-85, which this row keeps (issue 6)."
        ),
    ),
    ThresholdRule(
        "1099-K", "US", 2025, None, 2_000_000, "over", 200, "over",
        source=f"{PL_119_21} sec. 70432, amending IRC 6050W(e) as if included in ARPA sec. 9674",
        note="Restores 'more than $20,000 and more than 200 transactions' (repeals the $600 rule).",
    ),
    # --- Federal Form 1099-NEC (IRC 6041(a), 6041A) ---
    ThresholdRule(
        "1099-NEC", "US", 2000, 2025, 60_000, "at_least",
        source="IRC 6041(a): payments of $600 or more",
    ),
    ThresholdRule(
        "1099-NEC", "US", 2026, 2026, 200_000, "at_least",
        source=f"{PL_119_21} sec. 70433: $2,000 for payments made after 31 December 2025",
        note="From 2027 the $2,000 is indexed for inflation: add a row per year as the IRS publishes it.",
    ),
    ThresholdRule(
        "1099-NEC", "US", 2027, None, 200_000, "at_least",
        source=f"{PL_119_21} sec. 70433 (inflation adjustment after 2026)",
        note=(
            "PLACEHOLDER: from 2027 the $2,000 is adjusted for inflation each year, rounded to the "
            "nearest $100; replace with the amount the IRS announces for each year."
        ),
    ),
    # --- States with a 1099-K threshold below the federal one (tax year 2025) ---
    ThresholdRule("1099-K", "DC", 2025, None, 60_000, "at_least",
                  source="DC Office of Tax and Revenue, Form 1099-K filing requirements (verify yearly)"),
    ThresholdRule("1099-K", "MD", 2025, None, 60_000, "at_least",
                  source="Comptroller of Maryland, Form 1099-K filing requirements (verify yearly)"),
    ThresholdRule("1099-K", "MA", 2025, None, 60_000, "at_least",
                  source="Massachusetts DOR, Form 1099-K reporting ($600 since 2018; verify yearly)"),
    ThresholdRule("1099-K", "MT", 2025, None, 60_000, "at_least",
                  source="Montana DOR, Form 1099-K filing requirements (verify yearly)"),
    ThresholdRule("1099-K", "VT", 2025, None, 60_000, "at_least",
                  source="Vermont Department of Taxes, Form 1099-K filing requirements (verify yearly)"),
    ThresholdRule("1099-K", "VA", 2025, None, 60_000, "at_least",
                  source="Virginia Tax, Form 1099-K filing requirements (verify yearly)"),
    ThresholdRule("1099-K", "IL", 2025, None, 100_000, "over", 4, "at_least",
                  source="Illinois DOR, Form 1099-K: over $1,000 and at least 4 transactions (verify yearly)"),
    ThresholdRule("1099-K", "NJ", 2025, None, 100_000, "at_least",
                  source="New Jersey Division of Taxation, Form 1099-K filing requirements (verify yearly)"),
    ThresholdRule("1099-K", "AR", 2025, None, 250_000, "over",
                  source="Arkansas DFA, Form 1099-K filing requirements (verify yearly)"),
)

# Form 1099 backup withholding rate: IRC 3406(a)(1), the fourth-lowest rate in IRC 1(c) = 24%
# (TCJA, made permanent by P.L. 119-21). P.L. 119-21 also limits backup withholding on third party
# network transactions to payees over the 6050W(e) threshold (see the IRS's proposed regulations).
BACKUP_WITHHOLDING_RATE = "0.24"


def federal_rule(form: str, tax_year: int) -> ThresholdRule:
    for rule in THRESHOLDS:
        if rule.form == form and rule.jurisdiction == "US" and rule.applies_to(tax_year):
            return rule
    raise LookupError(f"no federal {form} threshold for tax year {tax_year}")


def state_rule(form: str, state: str, tax_year: int) -> ThresholdRule | None:
    for rule in THRESHOLDS:
        if rule.form == form and rule.jurisdiction == (state or "").upper() and rule.applies_to(tax_year):
            return rule
    return None


def federal_required(form: str, tax_year: int, amount_cents: int, transactions: int = 0) -> bool:
    return federal_rule(form, tax_year).met(amount_cents, transactions)


def state_filing_flag(form: str, state: str, tax_year: int, amount_cents: int, transactions: int = 0) -> bool:
    """True when the recipient's state wants a 1099 for these amounts under its own threshold."""
    rule = state_rule(form, state, tax_year)
    return bool(rule and rule.met(amount_cents, transactions))
