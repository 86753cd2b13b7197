"""The instant payout fee: a share of the gross amount, half-up once to the minor unit."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def instant_fee(amount_minor: int, rate: Decimal) -> int:
    """1% of 12,345 minor units is 123.45, which half-up makes 123. Working in minor units is the
    same as working in major units and rounding to the currency's minor unit."""
    if isinstance(amount_minor, float) or isinstance(rate, float):
        raise TypeError("money and rates are never floats")
    if amount_minor < 0:
        raise ValueError("an instant payout amount is never negative")
    return int((Decimal(int(amount_minor)) * Decimal(rate)).quantize(Decimal(1), ROUND_HALF_UP))
