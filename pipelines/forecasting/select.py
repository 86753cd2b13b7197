"""Choose a series' model by its backtest: the lowest MASE averaged over horizons 1..6.

Ties go to the earlier (simpler) candidate in `models.CANDIDATES`. With no backtest (too few
months for even one origin) the naive baseline is chosen and the reason says so.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.forecasting.backtest import ForecastBacktestRow
from pipelines.forecasting.models import CANDIDATES


@dataclass(frozen=True)
class Selection:
    model: str
    mean_mase: float | None
    reason: str


def mean_mase_by_model(rows: Sequence[ForecastBacktestRow]) -> dict[str, float]:
    """Each model's MASE averaged over its horizons (horizons without a MASE are skipped)."""
    per_model: dict[str, list[float]] = {}
    for row in rows:
        if row.mase is not None:
            per_model.setdefault(row.model, []).append(row.mase)
    return {model: sum(v) / len(v) for model, v in per_model.items()}


def ranked_models(rows: Sequence[ForecastBacktestRow], allowed: Sequence[str]) -> list[str]:
    """Allowed models with a backtest MASE, best first (ties to the simpler)."""
    scores = mean_mase_by_model(rows)
    order = [spec.name for spec in CANDIDATES if spec.name in allowed]
    return sorted((n for n in order if n in scores), key=lambda n: (scores[n], order.index(n)))


def select_model(rows: Sequence[ForecastBacktestRow], allowed: Sequence[str]) -> Selection:
    """The allowed model with the lowest mean backtest MASE."""
    scores = mean_mase_by_model(rows)
    order = [spec.name for spec in CANDIDATES if spec.name in allowed]
    scored = [name for name in order if name in scores]
    if not scored:
        fallback = "naive" if "naive" in allowed else order[0]
        why = ("backtest MASE undefined (flat in-sample history)" if rows
               else "no backtest origin available")
        return Selection(fallback, None, f"{why}: naive baseline by default")
    best = min(scored, key=lambda name: (scores[name], order.index(name)))
    return Selection(best, scores[best],
                     f"lowest mean backtest MASE over horizons 1-6 ({scores[best]:.3f})")
