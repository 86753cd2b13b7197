"""Every payout rule in one place, so finance changes a number here and nowhere else.

Amounts are in the rule currency's major unit as Decimals (``Decimal("25")`` = $25.00); they are
converted to each payout currency at the day's rate by `minimums.minimum_minor`.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


# Stripe's rule, not a choice: manual payouts in these currencies must be whole units, an amount
# evenly divisible by 100 minor units ("Supported currencies", special cases: Stripe treats HUF
# and TWD as zero-decimal for payouts while charges keep two decimals). The plan rounds such a
# payout DOWN to a whole unit; the remainder stays in the creator's balance (plan.whole_units).
WHOLE_UNIT_PAYOUT_CURRENCIES = frozenset({"HUF", "TWD"})


@dataclass(frozen=True)
class PayoutRules:
    # DESIGN section 8: $25 for a standard payout, $100 for an instant one.
    rule_currency: str = "USD"
    minimum_standard: Decimal = Decimal("25")
    minimum_instant: Decimal = Decimal("100")
    # Instant payouts cost the creator this share of the payout amount, half-up to the minor unit,
    # with a floor in the payout currency's major unit (Stripe's: 1%, at least 0.50), deducted
    # from the balance on top of the payout (see fees.py).
    instant_fee_rate: Decimal = Decimal("0.01")
    instant_fee_minimum: Decimal = Decimal("0.50")
    # Share of each open dispute's amount kept back from the payout until the dispute closes.
    dispute_reserve_rate: Decimal = Decimal("1")
    # Fraud scores are on a 0..1 scale; a score strictly above the threshold holds the payout.
    fraud_score_threshold: Decimal = Decimal("0.80")
    # A failed payout this recent, to a bank account that has not changed since, holds the next.
    failed_payout_lookback_days: int = 30
    # Part of every idempotency key: bump it to allow a second, deliberate plan for the same day.
    plan_version: int = 1

    def __post_init__(self) -> None:
        for name in ("minimum_standard", "minimum_instant", "instant_fee_rate", "instant_fee_minimum",
                     "dispute_reserve_rate", "fraud_score_threshold"):
            value = getattr(self, name)
            if not isinstance(value, Decimal):
                raise TypeError(f"PayoutRules.{name} must be a Decimal, got {type(value).__name__}")
            if value < 0:
                raise ValueError(f"PayoutRules.{name} must not be negative")
        if self.plan_version < 1:
            raise ValueError("PayoutRules.plan_version starts at 1")


DEFAULT_RULES = PayoutRules()
