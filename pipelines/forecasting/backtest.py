"""Rolling-origin backtest with an expanding window, horizons 1..6.

At each origin t the model is fitted on y[0:t] and forecasts y[t : t+6]; scores are gathered per
(model, horizon) over all origins where the truth is known. All models of a series share the same
origins (the first is where the most demanding candidate becomes eligible), so their scores are
comparable. MASE scales each error by its own origin's in-sample seasonal-naive MAE (m=12); an
origin with 12 or fewer training months falls back to m=1 and the row records `mase_m=1`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pipelines.forecasting.metrics import (
    SEASONAL_PERIOD,
    absolute_percentage_errors,
    inside,
    mase_scale,
    scaled_errors,
)
from pipelines.forecasting.models import ModelSpec

HORIZONS = 6


@dataclass(frozen=True)
class ForecastBacktestRow:
    """One row of `finance.forecast_backtest`.

    mase: mean |e| / (in-sample seasonal-naive MAE) over origins (None when every scale is 0);
    mape: percent, None when every actual is 0; coverage_80/95: share of truths inside the
    interval; n_origins: how many origins scored this horizon; mase_m: the lag used for the
    MASE scale (12, or 1 when some origin was too short: the row says so).
    """

    series: str
    model: str
    horizon: int
    mase: float | None
    mape: float | None
    coverage_80: float
    coverage_95: float
    n_origins: int
    mase_m: int


@dataclass
class _Accumulator:
    scaled: list[float] = field(default_factory=list)
    ape: list[float] = field(default_factory=list)
    in80: list[bool] = field(default_factory=list)
    in95: list[bool] = field(default_factory=list)
    n: int = 0
    min_m: int = SEASONAL_PERIOD


def origins(n: int, first_train: int, max_origins: int, horizons: int = HORIZONS) -> list[int]:
    """Training lengths to fit at: the last `max_origins` that reach horizon `horizons`, plus the
    later ones that still score shorter horizons. Empty when the history is too short."""
    first = max(first_train, n - horizons - max_origins + 1)
    return list(range(first, n))


def backtest(series: str, values: Sequence[float], models: Sequence[ModelSpec], *,
             max_origins: int = 6, horizons: int = HORIZONS, seed: int = 0,
             failures: dict[str, str] | None = None) -> list[ForecastBacktestRow]:
    """Score each model at each origin; one row per (model, horizon) that has at least one origin.

    A model that raises or returns a non-finite forecast at any origin is left out entirely (no
    rows) and, when `failures` is given, recorded there with the error: one odd creator series
    must not stop the other series, and a model is never chosen on a partial record."""
    y = np.asarray([float(v) for v in values])
    if not models:
        return []
    failed: dict[str, str] = {} if failures is None else failures
    first_train = max(spec.min_history for spec in models)
    starts = origins(y.size, first_train, max_origins, horizons)
    acc = {(spec.name, h): _Accumulator() for spec in models for h in range(1, horizons + 1)}
    for t in starts:
        steps = min(horizons, y.size - t)
        train, truth = y[:t], y[t:t + steps]
        scale = mase_scale(train)
        for spec in models:
            if spec.name in failed:
                continue
            try:
                fc = spec.fit_forecast(train, steps, seed)
            except Exception as exc:  # noqa: BLE001 - statsmodels raises many kinds on odd data
                failed[spec.name] = f"origin {t}: {type(exc).__name__}: {exc}"
                continue
            if not all(np.all(np.isfinite(b[:steps])) for b in
                       (fc.point, fc.lower_80, fc.upper_80, fc.lower_95, fc.upper_95)):
                failed[spec.name] = f"origin {t}: non-finite forecast"
                continue
            scaled = scaled_errors(truth, fc.point[:steps], scale) if scale.value > 0 else [None] * steps
            for i in range(steps):
                a = acc[(spec.name, i + 1)]
                a.n += 1
                a.min_m = min(a.min_m, scale.m)
                if scaled[i] is not None:
                    a.scaled.append(scaled[i])
                a.ape.extend(absolute_percentage_errors([truth[i]], [fc.point[i]]))
                a.in80.extend(inside([truth[i]], [fc.lower_80[i]], [fc.upper_80[i]]))
                a.in95.extend(inside([truth[i]], [fc.lower_95[i]], [fc.upper_95[i]]))
    rows = []
    for spec in models:
        if spec.name in failed:
            continue
        for h in range(1, horizons + 1):
            a = acc[(spec.name, h)]
            if a.n == 0:
                continue
            rows.append(ForecastBacktestRow(
                series=series, model=spec.name, horizon=h,
                mase=_mean(a.scaled), mape=_mean(a.ape),
                coverage_80=sum(a.in80) / a.n, coverage_95=sum(a.in95) / a.n,
                n_origins=a.n, mase_m=a.min_m,
            ))
    return rows


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
