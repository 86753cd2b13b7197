"""Is a creator due for a payout on a given day? Stripe's own schedule shape
(`settings.payouts.schedule` of the connected account): `interval` daily / weekly / monthly /
manual, `weekly_anchor` (or `weekly_payout_days`), `monthly_anchor` (or `monthly_payout_days`).

Like Stripe, an anchor on the 29th to 31st falls back to the last day of a shorter month, so a
creator anchored on the 31st is paid on 28 February (29 in a leap year), never skipped.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
INTERVALS = ("daily", "weekly", "monthly", "manual")


@dataclass(frozen=True)
class PayoutSchedule:
    interval: str
    weekly_days: tuple[str, ...] = field(default=())
    monthly_days: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.interval not in INTERVALS:
            raise ValueError(f"payout schedule: unknown interval {self.interval!r}")
        for day in self.weekly_days:
            if day not in WEEKDAYS:
                raise ValueError(f"payout schedule: unknown weekly anchor {day!r}")
        for day in self.monthly_days:
            if not 1 <= day <= 31:
                raise ValueError(f"payout schedule: monthly anchor {day} is not a day 1-31")
        if self.interval == "weekly" and not self.weekly_days:
            raise ValueError("payout schedule: weekly needs a weekly anchor")
        if self.interval == "monthly" and not self.monthly_days:
            raise ValueError("payout schedule: monthly needs a monthly anchor")


def schedule_from_stripe(schedule: Mapping[str, Any], account_id: str = "?") -> PayoutSchedule:
    """Read `account.settings.payouts.schedule`; the list forms win over the single anchors."""
    interval = schedule.get("interval")
    if not interval:
        raise ValueError(f"account {account_id}: settings.payouts.schedule.interval is missing")
    weekly = schedule.get("weekly_payout_days") or (
        [schedule["weekly_anchor"]] if schedule.get("weekly_anchor") else [])
    monthly = schedule.get("monthly_payout_days") or (
        [schedule["monthly_anchor"]] if schedule.get("monthly_anchor") else [])
    try:
        return PayoutSchedule(interval, tuple(str(d).lower() for d in weekly),
                              tuple(int(d) for d in monthly))
    except ValueError as exc:
        raise ValueError(f"account {account_id}: {exc}") from None


def monthly_pay_day(anchor: int, year: int, month: int) -> date:
    """The day an anchor falls on in a month: the anchor, or the month's last day if shorter."""
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(anchor, last))


def is_due(schedule: PayoutSchedule, day: date) -> bool:
    """Manual schedules are never due: only an explicit (instant) request pays them."""
    if schedule.interval == "daily":
        return True
    if schedule.interval == "weekly":
        return WEEKDAYS[day.weekday()] in schedule.weekly_days
    if schedule.interval == "monthly":
        return any(monthly_pay_day(a, day.year, day.month) == day for a in schedule.monthly_days)
    return False
