"""Each hold rule as a pure function: it returns a `Hold` with a reason code, or None.

Reason codes are stable strings: the plan's exclusions carry them, finance filters on them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Iterable

from .model import AccountFacts, OpenDispute, RecentPayout

ACCOUNT_NOT_VERIFIED = "account_not_verified"
PAYOUTS_DISABLED = "payouts_disabled"
NEGATIVE_BALANCE = "negative_balance"
INSUFFICIENT_BALANCE = "insufficient_balance"
RESERVED_FOR_DISPUTES = "reserved_for_disputes"
FRAUD_REVIEW = "fraud_review"
FAILED_PAYOUT_BANK_UNCHANGED = "failed_payout_bank_unchanged"
NOT_DUE = "not_due"
BELOW_MINIMUM = "below_minimum"
BELOW_INSTANT_MINIMUM = "below_instant_minimum"
INSTANT_EXCEEDS_BALANCE = "instant_exceeds_balance"
NO_ACCOUNT = "no_account"
NO_BALANCE = "no_balance"


@dataclass(frozen=True)
class Hold:
    reason: str
    detail: str = ""


def account_hold(account: AccountFacts) -> Hold | None:
    """Verification first (it is why Stripe disables payouts), then the payouts_enabled flag."""
    if account.past_due or account.disabled_reason or not account.details_submitted:
        detail = account.disabled_reason or (
            f"past due: {', '.join(account.past_due)}" if account.past_due else "details not submitted")
        return Hold(ACCOUNT_NOT_VERIFIED, detail)
    if not account.payouts_enabled:
        return Hold(PAYOUTS_DISABLED, "payouts_enabled is false")
    return None


def fraud_hold(score: Decimal | None, threshold: Decimal) -> Hold | None:
    """No score (the fraud work has not scored this creator) holds nothing."""
    if score is None:
        return None
    if isinstance(score, float):
        raise TypeError("fraud scores are Decimals")
    if score > threshold:
        return Hold(FRAUD_REVIEW, f"score {score} over {threshold}")
    return None


def negative_balance_hold(available: int) -> Hold | None:
    if available < 0:
        return Hold(NEGATIVE_BALANCE, f"available {available}")
    return None


def dispute_reserve(disputes: Iterable[OpenDispute], creator: str, currency: str,
                    rate: Decimal) -> int:
    """Minor units kept back for the creator's open disputes in this currency. Rounded up, like a
    minimum: a reserve is a floor of what must stay, never a little less."""
    total = sum(d.amount for d in disputes
                if d.creator == creator and d.currency == currency.upper())
    return math.ceil(Fraction(total) * Fraction(rate))


def reserve_hold(available: int, reserve: int) -> Hold | None:
    """The disputes take everything that is left."""
    if reserve > 0 and available - reserve <= 0:
        return Hold(RESERVED_FOR_DISPUTES, f"reserve {reserve} of available {available}")
    return None


def insufficient_balance_hold(payable: int) -> Hold | None:
    if payable <= 0:
        return Hold(INSUFFICIENT_BALANCE, f"payable {payable}")
    return None


def latest_failed_payout(payouts: Iterable[RecentPayout], creator: str, currency: str, day: date,
                         lookback_days: int) -> RecentPayout | None:
    """The creator's latest payout in this currency within the window, if it failed. A later
    payout that did not fail clears it (on the same day, a failure counts as the later one)."""
    since = day - timedelta(days=lookback_days)
    mine = [p for p in payouts
            if p.creator == creator and p.currency == currency.upper() and since <= p.created <= day]
    if not mine:
        return None
    latest = max(mine, key=lambda p: (p.created, p.status == "failed"))
    return latest if latest.status == "failed" else None


def failed_payout_hold(payouts: Iterable[RecentPayout], creator: str, currency: str,
                       destination: str | None, day: date, lookback_days: int) -> Hold | None:
    """The latest payout in the window failed and the money would go to the same bank account
    again. A new bank account (another external account id) lifts the hold; so does a later
    payout that did not fail. An unknown current destination counts as unchanged."""
    latest = latest_failed_payout(payouts, creator, currency, day, lookback_days)
    if latest is None:
        return None
    if destination is not None and latest.destination is not None and destination != latest.destination:
        return None
    return Hold(FAILED_PAYOUT_BANK_UNCHANGED,
                f"{latest.payout_id} failed ({latest.failure_code or 'unknown'})")
