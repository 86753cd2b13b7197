"""The idempotency key of a plan line: creator, date, currency and plan version, nothing else.

Because the amount is not part of the key, a plan rebuilt later the same day (say after a fresh
ingest) produces the same key, and Stripe answers with the payout already made (or refuses the
changed parameters) instead of paying again. Paying a creator twice on one day in one currency
takes a deliberate new plan version.
"""
from __future__ import annotations

import re
from datetime import date

PREFIX = "cashbook-payout"
_KEY = re.compile(r"^cashbook-payout-(\d{4}-\d{2}-\d{2})-(acct_[A-Za-z0-9]+)-([a-z]{3})-v(\d+)$")


def payout_key(creator: str, day: date, currency: str, plan_version: int) -> str:
    if not creator.startswith("acct_") or not creator[5:].isalnum():
        raise ValueError(f"payout key: creator {creator!r} is not a connected account id")
    if len(currency) != 3 or not currency.isalpha():
        raise ValueError(f"payout key: currency {currency!r} is not an ISO code")
    if plan_version < 1:
        raise ValueError("payout key: plan version starts at 1")
    return f"{PREFIX}-{day.isoformat()}-{creator}-{currency.lower()}-v{int(plan_version)}"


def parse_key(key: str) -> tuple[str, date, str, int]:
    """(creator, day, currency, version) of a key made by `payout_key`."""
    match = _KEY.match(key)
    if not match:
        raise ValueError(f"{key!r} is not a Cashbook payout idempotency key")
    day, creator, currency, version = match.groups()
    return creator, date.fromisoformat(day), currency.upper(), int(version)
