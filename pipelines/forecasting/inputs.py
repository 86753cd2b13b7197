"""The monthly series the forecast assets feed to `forecast.forecast_series`, from mart rows.

Only complete months are forecast inputs: the month still running would read as a collapse.
A month with no row inside a series' span is a real zero (no revenue), so gaps are filled with 0
between the series' first month and the last complete month.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from pipelines.forecasting.forecast import add_months

PLATFORM_NET_REVENUE = "platform_net_revenue"
MRR = "mrr"
CREATOR_PREFIX = "creator_net_revenue:"


def creator_series_name(creator_account: str) -> str:
    return f"{CREATOR_PREFIX}{creator_account}"


def last_complete_month(as_of_day: date) -> date:
    """The newest calendar month whose last day is on or before `as_of_day` (the day of the
    newest data): data through 31 October -> October; through 15 October -> September."""
    after = as_of_day + timedelta(days=1)
    return add_months(date(after.year, after.month, 1), -1)


def monthly_series(values_by_month: Mapping[date, int], last_month: date) -> tuple[list[date], list[int]]:
    """Consecutive months from the first month with a row to `last_month`, missing ones as 0.
    Rows after `last_month` (the incomplete month) are left out."""
    months = sorted(m for m in values_by_month if m <= last_month)
    if not months:
        return [], []
    out_months, out_values = [], []
    month = months[0]
    while month <= last_month:
        out_months.append(month)
        out_values.append(int(values_by_month.get(month, 0)))
        month = add_months(month, 1)
    return out_months, out_values


def sum_by_month(rows: Iterable[tuple[date, int | None]]) -> dict[date, int]:
    """Add values of the same month (e.g. one row per currency, all in the reporting currency)."""
    totals: dict[date, int] = {}
    for month, value in rows:
        if value is None:
            raise ValueError(f"month {month}: a value is missing (NULL), the month's total would be wrong")
        totals[month] = totals.get(month, 0) + int(value)
    return totals


def top_creators(rows: Iterable[tuple[str, date, int]], n: int, last_month: date,
                 trailing_months: int = 12) -> list[tuple[str, int]]:
    """The `n` creators with the most revenue in the `trailing_months` complete months ending
    at `last_month`, largest first (ties by account id): (creator_account, trailing revenue)."""
    if n <= 0:
        return []
    first = add_months(last_month, -(trailing_months - 1))
    totals: dict[str, int] = {}
    for creator, month, value in rows:
        if first <= month <= last_month:
            totals[creator] = totals.get(creator, 0) + int(value)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return [kv for kv in ranked if kv[1] > 0][:n]
