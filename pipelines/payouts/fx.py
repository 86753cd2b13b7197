"""The day's exchange rates in the ECB reference format: one base currency (EUR for the ECB) and,
for each other currency, how many of its units one base unit buys.

Cross rates are kept as exact fractions (`Fraction(Decimal)` is exact), so a threshold converted
through the base is rounded once, at the end, by the caller.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Mapping


@dataclass(frozen=True)
class FxRates:
    day: date
    base: str
    per_base: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for currency, rate in self.per_base.items():
            if not isinstance(rate, Decimal):
                raise TypeError(f"FX rate {self.base}/{currency} on {self.day} must be a Decimal")
            if rate <= 0:
                raise ValueError(f"FX rate {self.base}/{currency} on {self.day} must be positive")

    def _per_base(self, currency: str) -> Fraction:
        code = currency.upper()
        if code == self.base.upper():
            return Fraction(1)
        rate = {k.upper(): v for k, v in self.per_base.items()}.get(code)
        if rate is None:
            raise KeyError(f"no FX rate for {code} on {self.day} (base {self.base})")
        return Fraction(rate)

    def rate(self, from_currency: str, to_currency: str) -> Fraction:
        """Units of `to_currency` for one unit of `from_currency`, exactly."""
        return self._per_base(to_currency) / self._per_base(from_currency)
