"""The instant payout fee, charged as Stripe charges it: a share of the payout amount with a
floor, half-up once to the minor unit, taken from the creator's balance ON TOP of the payout.

So a plan line draws `amount = net + fee` from the balance and sends `net` to the bank; the
payout's balance transaction then shows `amount = -net`, `fee = fee`, `net = -(net + fee)`,
which is what reconciliation compares to the cent.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from pipelines.money import exponent


def instant_fee(payout_minor: int, rate: Decimal, minimum_major: Decimal = Decimal("0"),
                currency: str = "USD") -> int:
    """1% of a 12,345 minor-unit payout is 123.45, which half-up makes 123. The floor is in the
    payout currency's major unit (Stripe's 0.50), so it is the same number of units everywhere."""
    if isinstance(payout_minor, float) or isinstance(rate, float) or isinstance(minimum_major, float):
        raise TypeError("money and rates are never floats")
    if payout_minor < 0:
        raise ValueError("an instant payout amount is never negative")
    floor_minor = Decimal(minimum_major).scaleb(exponent(currency))
    fee = max(Decimal(int(payout_minor)) * Decimal(rate), floor_minor)
    return int(fee.quantize(Decimal(1), ROUND_HALF_UP))


def largest_instant_payout(payable_minor: int, rate: Decimal, minimum_major: Decimal = Decimal("0"),
                           currency: str = "USD") -> int:
    """The largest payout whose amount plus its fee fits in `payable_minor` (0 when none fits).
    Starts from payable / (1 + rate) and steps to the exact edge: the fee's rounding can move it
    by a unit either way."""
    if payable_minor <= 0:
        return 0
    net = int(Decimal(payable_minor) / (1 + Decimal(rate)))
    while net > 0 and net + instant_fee(net, rate, minimum_major, currency) > payable_minor:
        net -= 1
    while net + 1 + instant_fee(net + 1, rate, minimum_major, currency) <= payable_minor:
        net += 1
    return max(net, 0)
