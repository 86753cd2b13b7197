"""Candidate forecasting models, each giving a point forecast with 80% and 95% intervals.

Every model is a function `(history, horizon, seed) -> ModelForecast` over floats in the series'
own unit (minor units for money). Floats are acceptable here: a forecast is an estimate; the
caller (`forecast.py`) turns emitted money back into integer minor units, half-up.

- `naive` and `seasonal_naive` are the baselines (intervals from the in-sample residual spread,
  widened with the horizon as in Hyndman & Athanasopoulos, FPP3 section 5.5).
- `ets_damped`: ETS(A,Ad,N). With >= 24 months (two seasons) also ETS(A,Ad,A) and, when the
  series is strictly positive, ETS(A,Ad,M) (intervals by simulation, seeded).
- `sarimax`: ARIMA(1,1,0) with drift; with >= 24 months `sarimax_seasonal`, the airline model
  (0,1,1)(0,1,1)12.
Statsmodels sees the series divided by its mean absolute value so its optimisers work on numbers
near 1 whatever the currency; results are scaled back.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from pipelines.forecasting.metrics import SEASONAL_PERIOD

MIN_HISTORY = 6  # fewer months than this: no forecast at all
MIN_SEASONAL_HISTORY = 2 * SEASONAL_PERIOD  # two seasons before any seasonal model
LEVELS = (0.80, 0.95)


@dataclass(frozen=True)
class ModelForecast:
    """Point forecast and interval bounds for horizons 1..h, floats in the series' unit."""

    model: str
    point: np.ndarray
    lower_80: np.ndarray
    upper_80: np.ndarray
    lower_95: np.ndarray
    upper_95: np.ndarray


@dataclass(frozen=True)
class ModelSpec:
    name: str
    seasonal: bool
    min_history: int
    needs_positive: bool
    fit_forecast: Callable[[np.ndarray, int, int], ModelForecast]


def _z(level: float) -> float:
    return float(norm.ppf(0.5 + level / 2))


def _normal_bounds(name: str, point: np.ndarray, sd: np.ndarray) -> ModelForecast:
    z80, z95 = _z(0.80), _z(0.95)
    return ModelForecast(name, point, point - z80 * sd, point + z80 * sd,
                         point - z95 * sd, point + z95 * sd)


def naive(history: np.ndarray, horizon: int, seed: int = 0) -> ModelForecast:
    """Last value carried forward; sd_h = sigma x sqrt(h), sigma from one-step differences."""
    y = np.asarray(history, dtype=float)
    residuals = np.diff(y)
    sigma = float(np.sqrt(np.mean(residuals ** 2))) if residuals.size else 0.0
    h = np.arange(1, horizon + 1)
    return _normal_bounds("naive", np.full(horizon, y[-1]), sigma * np.sqrt(h))


def seasonal_naive(history: np.ndarray, horizon: int, seed: int = 0,
                   m: int = SEASONAL_PERIOD) -> ModelForecast:
    """Same month last year; sd_h = sigma x sqrt(floor((h-1)/m) + 1)."""
    y = np.asarray(history, dtype=float)
    if y.size < m:
        raise ValueError(f"seasonal naive needs at least {m} points, got {y.size}")
    h = np.arange(1, horizon + 1)
    point = y[y.size - m + (h - 1) % m]
    residuals = y[m:] - y[:-m]
    sigma = float(np.sqrt(np.mean(residuals ** 2))) if residuals.size else 0.0
    return _normal_bounds("seasonal_naive", point, sigma * np.sqrt((h - 1) // m + 1))


def _scaled(y: np.ndarray) -> tuple[np.ndarray, float]:
    scale = float(np.mean(np.abs(y)))
    return (y / scale, scale) if scale > 0 else (y, 1.0)


def _ets(name: str, seasonal: str | None) -> Callable[[np.ndarray, int, int], ModelForecast]:
    def fit_forecast(history: np.ndarray, horizon: int, seed: int = 0) -> ModelForecast:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        y, scale = _scaled(np.asarray(history, dtype=float))
        kwargs = {}
        if seasonal:
            kwargs = {"seasonal": seasonal, "seasonal_periods": SEASONAL_PERIOD,
                      "initialization_method": "heuristic"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ETSModel(pd.Series(y), error="add", trend="add", damped_trend=True, **kwargs)
            fitted = model.fit(disp=False, maxiter=200)
            n = y.size
            prediction = fitted.get_prediction(start=n, end=n + horizon - 1,
                                               simulate_repetitions=1000,
                                               rng=np.random.default_rng(seed))
            f80 = prediction.summary_frame(alpha=0.20)
            f95 = prediction.summary_frame(alpha=0.05)
        return ModelForecast(
            name,
            np.asarray(f80["mean"], dtype=float) * scale,
            np.asarray(f80["pi_lower"], dtype=float) * scale,
            np.asarray(f80["pi_upper"], dtype=float) * scale,
            np.asarray(f95["pi_lower"], dtype=float) * scale,
            np.asarray(f95["pi_upper"], dtype=float) * scale,
        )

    return fit_forecast


def _sarimax(name: str, order: tuple, seasonal_order: tuple, trend: str | None):
    def fit_forecast(history: np.ndarray, horizon: int, seed: int = 0) -> ModelForecast:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        y, scale = _scaled(np.asarray(history, dtype=float))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SARIMAX(y, order=order, seasonal_order=seasonal_order, trend=trend)
            fitted = model.fit(disp=False)
            result = fitted.get_forecast(steps=horizon)
            point = np.asarray(result.predicted_mean, dtype=float)
            ci80 = np.asarray(result.conf_int(alpha=0.20), dtype=float)
            ci95 = np.asarray(result.conf_int(alpha=0.05), dtype=float)
        return ModelForecast(name, point * scale, ci80[:, 0] * scale, ci80[:, 1] * scale,
                             ci95[:, 0] * scale, ci95[:, 1] * scale)

    return fit_forecast


# Order matters: on a tie in backtest MASE the simpler (earlier) model wins.
CANDIDATES: tuple[ModelSpec, ...] = (
    ModelSpec("naive", False, MIN_HISTORY, False, naive),
    ModelSpec("seasonal_naive", True, MIN_SEASONAL_HISTORY, False, seasonal_naive),
    ModelSpec("ets_damped", False, MIN_HISTORY, False, _ets("ets_damped", None)),
    ModelSpec("ets_damped_add_seasonal", True, MIN_SEASONAL_HISTORY, False,
              _ets("ets_damped_add_seasonal", "add")),
    ModelSpec("ets_damped_mul_seasonal", True, MIN_SEASONAL_HISTORY, True,
              _ets("ets_damped_mul_seasonal", "mul")),
    ModelSpec("sarimax", False, MIN_HISTORY, False, _sarimax("sarimax", (1, 1, 0), (0, 0, 0, 0), "t")),
    ModelSpec("sarimax_seasonal", True, MIN_SEASONAL_HISTORY, False,
              _sarimax("sarimax_seasonal", (0, 1, 1), (0, 1, 1, SEASONAL_PERIOD), None)),
)
BY_NAME = {spec.name: spec for spec in CANDIDATES}


def eligible(history_length: int, all_positive: bool,
             names: tuple[str, ...] | None = None) -> list[ModelSpec]:
    """The candidates a history of this length may use: the degrade rules live here."""
    chosen = CANDIDATES if names is None else tuple(BY_NAME[n] for n in names)
    return [spec for spec in chosen
            if history_length >= spec.min_history and (all_positive or not spec.needs_positive)]
