"""The payout minimum in the payout's own currency.

Decision: a minimum is a threshold, not an amount paid, so it is rounded UP (ceiling) to the
currency's minor unit, never half-up. $25 at 149.37 JPY/USD is ¥3,734.25; half-up would give
¥3,734, which is worth $24.998 and would let a payout below $25 through. Rounding up gives
¥3,735, the smallest amount in yen that is worth at least $25. The conversion itself is exact
(fractions), so this ceiling is the one and only rounding step.
"""
from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from pipelines.money import exponent

from .config import PayoutRules
from .fx import FxRates


def minimum_minor(amount_major: Decimal, from_currency: str, to_currency: str,
                  rates: FxRates | None) -> int:
    """`amount_major` of `from_currency` as the smallest whole number of `to_currency` minor units
    worth at least as much at the day's rate."""
    if not isinstance(amount_major, Decimal):
        raise TypeError("a payout minimum is a Decimal")
    if from_currency.upper() == to_currency.upper():
        value = Fraction(amount_major)
    else:
        if rates is None:
            raise ValueError(f"converting the payout minimum to {to_currency.upper()} needs the "
                             "day's FX rates")
        value = Fraction(amount_major) * rates.rate(from_currency, to_currency)
    return math.ceil(value * 10 ** exponent(to_currency))


def standard_minimum(rules: PayoutRules, currency: str, rates: FxRates | None) -> int:
    return minimum_minor(rules.minimum_standard, rules.rule_currency, currency, rates)


def instant_minimum(rules: PayoutRules, currency: str, rates: FxRates | None) -> int:
    return minimum_minor(rules.minimum_instant, rules.rule_currency, currency, rates)
