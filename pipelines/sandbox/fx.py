"""Daily FX: a seeded random walk around real-ish 2025 levels (units of currency per 1 USD).

Rates are Decimals with six significant decimals so conversions stay exact and reproducible.
"""
from __future__ import annotations

import math
import random
from decimal import Decimal

# Approximate 2025 mid-market levels, currency units per USD.
BASE_PER_USD: dict[str, str] = {
    "USD": "1", "EUR": "0.92", "GBP": "0.79", "CAD": "1.37", "AUD": "1.53", "JPY": "151.0",
    "CHF": "0.88", "SEK": "10.6", "NOK": "10.8", "DKK": "6.87", "PLN": "3.96", "CZK": "23.2",
    "HUF": "362.0", "BGN": "1.80", "RON": "4.58", "HRK": "6.94", "BRL": "5.45", "MXN": "18.6",
    "SGD": "1.34", "HKD": "7.81", "INR": "84.5", "KRW": "1385.0", "TWD": "32.1", "MYR": "4.55",
    "THB": "35.4",
}
PEGGED = {"HKD": 0.0004, "BGN": 0.0, "DKK": 0.0003}  # tight bands: small daily moves


def _q(value: float) -> Decimal:
    """Six significant digits as a Decimal, via a fixed string format (deterministic)."""
    return Decimal(f"{value:.6g}")


class FxWalk:
    def __init__(self, seed: int):
        self.rng = random.Random(f"fx:{seed}")
        self.level = {c: math.log(float(v)) for c, v in BASE_PER_USD.items()}
        self.anchor = dict(self.level)
        self.per_usd: dict[str, Decimal] = {}
        self._fix()

    def _fix(self) -> None:
        self.per_usd = {c: (Decimal(1) if c == "USD" else _q(math.exp(v))) for c, v in self.level.items()}

    def step(self) -> None:
        """One day: ~0.5% daily volatility, gently pulled back to the anchor (BGN follows EUR)."""
        for c in sorted(self.level):
            if c == "USD":
                continue
            vol = PEGGED.get(c, 0.005)
            pull = 0.01 * (self.anchor[c] - self.level[c])
            self.level[c] += pull + self.rng.gauss(0.0, vol)
        self.level["BGN"] = self.anchor["BGN"] + (self.level["EUR"] - self.anchor["EUR"])
        self._fix()

    def rate(self, from_currency: str, to_currency: str) -> Decimal:
        """Units of `to_currency` per one unit of `from_currency`, six significant digits."""
        f, t = from_currency.upper(), to_currency.upper()
        if f == t:
            return Decimal(1)
        return _q(float(self.per_usd[t] / self.per_usd[f]))
