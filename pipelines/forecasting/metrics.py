"""Accuracy measures for forecasts: MASE, MAPE and prediction-interval coverage.

These are statistics about estimates, so they are floats (not money). MASE is scaled by the
in-sample mean absolute error of the seasonal-naive forecast (Hyndman & Koehler 2006): below 1 a
model beats seasonal naive. When the training window is too short for a seasonal lag (not more
than m points) the scale falls back to the naive lag m=1, and the caller is told which m was used.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SEASONAL_PERIOD = 12  # monthly data


@dataclass(frozen=True)
class MaseScale:
    """The MASE denominator and the lag it was computed with (12, or 1 as a fallback)."""

    value: float
    m: int

    @property
    def fell_back(self) -> bool:
        return self.m != SEASONAL_PERIOD


def mase_scale(insample: Sequence[float], m: int = SEASONAL_PERIOD) -> MaseScale:
    """Mean |y_t - y_{t-m}| over the training window; lag 1 when the window has <= m points."""
    values = [float(v) for v in insample]
    lag = m if len(values) > m else 1
    if len(values) <= lag:
        raise ValueError(f"MASE scale needs more than {lag} in-sample points, got {len(values)}")
    diffs = [abs(values[t] - values[t - lag]) for t in range(lag, len(values))]
    return MaseScale(value=sum(diffs) / len(diffs), m=lag)


def scaled_errors(actual: Sequence[float], forecast: Sequence[float], scale: MaseScale) -> list[float]:
    """|e| / scale per point; None-free: raises when the scale is 0 (a flat history)."""
    _same_length(actual, forecast)
    if scale.value == 0:
        raise ZeroDivisionError("MASE undefined: the in-sample seasonal-naive error is 0 (flat history)")
    return [abs(float(a) - float(f)) / scale.value for a, f in zip(actual, forecast)]


def mase(actual: Sequence[float], forecast: Sequence[float], insample: Sequence[float],
         m: int = SEASONAL_PERIOD) -> float:
    """Mean absolute scaled error of `forecast` against `actual`, scaled from `insample`."""
    errors = scaled_errors(actual, forecast, mase_scale(insample, m))
    return sum(errors) / len(errors)


def absolute_percentage_errors(actual: Sequence[float], forecast: Sequence[float]) -> list[float]:
    """|e| / |actual| x 100 per point; points whose actual is 0 are left out (undefined there)."""
    _same_length(actual, forecast)
    return [abs(float(a) - float(f)) / abs(float(a)) * 100.0
            for a, f in zip(actual, forecast) if float(a) != 0.0]


def mape(actual: Sequence[float], forecast: Sequence[float]) -> float | None:
    """Mean absolute percentage error in percent; None when every actual is 0."""
    errors = absolute_percentage_errors(actual, forecast)
    return sum(errors) / len(errors) if errors else None


def inside(actual: Sequence[float], lower: Sequence[float], upper: Sequence[float]) -> list[bool]:
    """Whether each truth fell inside its interval, bounds included."""
    _same_length(actual, lower)
    _same_length(actual, upper)
    return [float(lo) <= float(a) <= float(hi) for a, lo, hi in zip(actual, lower, upper)]


def coverage(actual: Sequence[float], lower: Sequence[float], upper: Sequence[float]) -> float:
    """Share of truths inside their interval (an 80% interval should score near 0.8)."""
    hits = inside(actual, lower, upper)
    if not hits:
        raise ValueError("coverage of an empty set is undefined")
    return sum(hits) / len(hits)


def _same_length(a: Sequence, b: Sequence) -> None:
    if len(a) != len(b):
        raise ValueError(f"length mismatch: {len(a)} actuals vs {len(b)} forecasts/bounds")
