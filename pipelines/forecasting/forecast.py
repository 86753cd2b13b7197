"""The 12-month forecast of one monthly series, with its backtest and the honest degrade rules.

Input: consecutive month starts and the series' values in integer minor units (or Decimal) of
one currency (the reporting currency for platform series). Inside, the statistics run on floats;
every money figure emitted (point and bounds) is converted back to integer minor units, rounded
half-up once (DESIGN section 7), so `finance.revenue_forecast` holds integers like every mart.

Degrade rules (issue 7 item 4): fewer than 24 months -> no seasonal model; fewer than 6 months ->
no forecast, and the result carries the reason instead of rows.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from pipelines.forecasting.backtest import ForecastBacktestRow, backtest
from pipelines.forecasting.models import (
    BY_NAME,
    ModelForecast,
    MIN_HISTORY,
    MIN_SEASONAL_HISTORY,
    eligible,
)
from pipelines.forecasting.select import Selection, ranked_models, select_model

HORIZON = 12


@dataclass(frozen=True)
class RevenueForecastRow:
    """One row of `finance.revenue_forecast`: money in integer minor units of the series' currency."""

    series: str
    month: date
    point: int
    lower_80: int
    upper_80: int
    lower_95: int
    upper_95: int
    model: str


@dataclass
class SeriesForecast:
    """Everything the asset writes and shows for one series. `status` is 'forecast' or
    'no_forecast'; `reason` explains the model choice or why there is no forecast; `notes`
    list each degrade rule that applied."""

    series: str
    status: str
    reason: str
    model: str | None
    history_months: list[date]
    history_values: list[int]
    forecast: list[RevenueForecastRow] = field(default_factory=list)
    backtest: list[ForecastBacktestRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + (month.month - 1) + n
    return date(index // 12, index % 12 + 1, 1)


def to_minor_units(value: float) -> int:
    """A float estimate in minor units -> int, half-up (0.5 -> 1, -0.5 -> -1, away from zero)."""
    if not math.isfinite(value):
        raise ValueError(f"forecast value is not finite: {value!r}")
    return int(Decimal(repr(float(value))).to_integral_value(rounding=ROUND_HALF_UP))


def _check_history(series: str, months: Sequence[date], values: Sequence) -> list[int | Decimal]:
    if len(months) != len(values):
        raise ValueError(f"series {series!r}: {len(months)} months but {len(values)} values")
    for i, (month, value) in enumerate(zip(months, values)):
        if isinstance(value, (float, bool)) or not isinstance(value, (int, Decimal)):
            raise TypeError(f"series {series!r} month {month}: value must be int minor units or "
                            f"Decimal, got {type(value).__name__}")
        if month.day != 1:
            raise ValueError(f"series {series!r}: month {month} is not a month start")
        if i and month != add_months(months[i - 1], 1):
            raise ValueError(f"series {series!r}: months not consecutive at {months[i - 1]} -> {month}")
    return list(values)


def _fit_final(series: str, y: np.ndarray, horizon: int, seed: int, choice: Selection,
               ranked: list[str], notes: list[str]) -> tuple[Selection, ModelForecast]:
    """Fit the chosen model on all history; if it fails there, the next best, then naive."""
    fallbacks = [choice.model] + [n for n in ranked if n != choice.model] + ["naive"]
    for name in dict.fromkeys(fallbacks):
        try:
            fc = BY_NAME[name].fit_forecast(y, horizon, seed)
        except Exception as exc:  # noqa: BLE001
            notes.append(f"{name} failed on the full history ({type(exc).__name__}: {exc})")
            continue
        if all(np.all(np.isfinite(b)) for b in (fc.point, fc.lower_80, fc.upper_80, fc.lower_95, fc.upper_95)):
            if name == choice.model:
                return choice, fc
            return Selection(name, None, f"{choice.model} failed on the full history: fell back to {name}"), fc
        notes.append(f"{name} gave a non-finite forecast on the full history")
    raise ValueError(f"series {series!r}: no model could forecast it")


def forecast_series(series: str, months: Sequence[date], values: Sequence[int | Decimal], *,
                    horizon: int = HORIZON, seed: int = 0, max_origins: int = 6,
                    models: Sequence[str] | None = None) -> SeriesForecast:
    """Backtest the eligible candidates, choose by MASE, refit on all history, forecast."""
    checked = _check_history(series, months, values)
    n = len(checked)
    history_ints = [int(v) for v in checked]
    result = SeriesForecast(series, "no_forecast", "", None, list(months), history_ints)
    if n < MIN_HISTORY:
        result.reason = f"only {n} months of history; at least {MIN_HISTORY} are needed for a forecast"
        result.notes.append(result.reason)
        return result
    if n < MIN_SEASONAL_HISTORY:
        result.notes.append(f"{n} months < {MIN_SEASONAL_HISTORY}: no seasonal model")
    y = np.asarray([float(v) for v in checked])
    specs = eligible(n, bool(np.all(y > 0)), tuple(models) if models else None)
    if n == MIN_SEASONAL_HISTORY:
        specs = [s for s in specs if not s.seasonal]
        result.notes.append(f"{n} months: seasonal models allowed but no backtest origin yet; "
                            "only non-seasonal models compete")
    if not specs:
        raise ValueError(f"series {series!r}: none of the requested models {models} is eligible")
    failures: dict[str, str] = {}
    result.backtest = backtest(series, y, specs, max_origins=max_origins, seed=seed, failures=failures)
    for name, error in failures.items():
        result.notes.append(f"{name} left out: failed in the backtest ({error})")
    if any(row.mase_m != 12 for row in result.backtest):
        result.notes.append("some backtest origins had <= 12 months: MASE scaled by naive (m=1)")
    allowed = [s.name for s in specs if s.name not in failures]
    choice = select_model(result.backtest, allowed)
    choice, fc = _fit_final(series, y, horizon, seed, choice, ranked_models(result.backtest, allowed),
                            result.notes)
    last = months[-1]
    result.forecast = [
        RevenueForecastRow(series, add_months(last, h + 1),
                           to_minor_units(fc.point[h]),
                           to_minor_units(fc.lower_80[h]), to_minor_units(fc.upper_80[h]),
                           to_minor_units(fc.lower_95[h]), to_minor_units(fc.upper_95[h]),
                           choice.model)
        for h in range(horizon)
    ]
    result.status, result.model, result.reason = "forecast", choice.model, choice.reason
    return result
