"""What creators sell: the five tiers, four billing intervals, and prices that look right in each
currency (nice round local amounts, no decimals for JPY/KRW, a discount for longer terms)."""
from __future__ import annotations

import calendar
import math
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from pipelines.money import exponent

from .fx import BASE_PER_USD

TIERS = ("supporter", "fan", "superfan", "vip", "custom")
TIER_NAMES = {"supporter": "Supporter", "fan": "Fan", "superfan": "Superfan", "vip": "VIP",
              "custom": "Custom"}
TIER_USD = {"supporter": Decimal(5), "fan": Decimal(15), "superfan": Decimal(30), "vip": Decimal(50)}
CUSTOM_USD = (Decimal(8), Decimal(10), Decimal(20), Decimal(25), Decimal(75), Decimal(100))
TIER_WEIGHTS = (35, 30, 18, 7, 10)
LADDER = ("supporter", "fan", "superfan", "vip")

# name -> (Stripe interval, interval_count, price factor against the monthly price)
INTERVALS = {
    "week": ("week", 1, Decimal(12) / Decimal(52) * Decimal("1.10")),
    "month": ("month", 1, Decimal(1)),
    "quarter": ("month", 3, Decimal(3) * Decimal("0.95")),
    "year": ("year", 1, Decimal(12) * Decimal("0.85")),
}
INTERVAL_WEIGHTS = {"week": 5, "month": 75, "quarter": 8, "year": 12}
TIP_USD = (Decimal(2), Decimal(3), Decimal(5), Decimal(10), Decimal(20), Decimal(50))


def nice_minor(usd_major: Decimal, currency: str) -> int:
    """A round local price for a USD amount: €4.50, ¥750, ₩7,000, £4.00 ... in minor units."""
    value = usd_major * Decimal(BASE_PER_USD[currency.upper()])
    magnitude = Decimal(10) ** int(math.floor(math.log10(value)))
    lead = value / magnitude
    step = magnitude / 10 if lead < 2 else magnitude / 2
    exp = exponent(currency)
    step = max(step, Decimal(1).scaleb(-exp))
    rounded = (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    return int(rounded.scaleb(exp))


def add_months(ts: int, months: int, anchor_day: int) -> int:
    """The same time of day, `months` later, on the anchor day (clamped to the month's end)."""
    dt = datetime.fromtimestamp(ts, timezone.utc)
    total = dt.year * 12 + dt.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    day = min(anchor_day, calendar.monthrange(year, month)[1])
    return int(dt.replace(year=year, month=month, day=day).timestamp())


def period_end(start: int, interval: str, anchor_day: int) -> int:
    if interval == "week":
        return start + 7 * 86_400
    months = {"month": 1, "quarter": 3, "year": 12}[interval]
    return add_months(start, months, anchor_day)


def monthly_factor(interval: str) -> Decimal:
    return INTERVALS[interval][2]
