"""The two warehouse tables of issue 7's forecasts as polars frames, for the assets to write.

`finance.revenue_forecast`: series, month (first day), point, lower_80, upper_80, lower_95,
upper_95 (Int64 minor units of the series' currency), model.
`finance.forecast_backtest`: series, model, horizon, mase, mape (percent), coverage_80,
coverage_95 (shares 0..1), n_origins, mase_m (12, or 1 where the MASE scale fell back).
A series without a forecast has no rows in either; its reason is in `SeriesForecast.reason`.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict

import polars as pl

from pipelines.forecasting.forecast import SeriesForecast

REVENUE_FORECAST_SCHEMA = {
    "series": pl.Utf8, "month": pl.Date, "point": pl.Int64, "lower_80": pl.Int64,
    "upper_80": pl.Int64, "lower_95": pl.Int64, "upper_95": pl.Int64, "model": pl.Utf8,
}
FORECAST_BACKTEST_SCHEMA = {
    "series": pl.Utf8, "model": pl.Utf8, "horizon": pl.Int64, "mase": pl.Float64,
    "mape": pl.Float64, "coverage_80": pl.Float64, "coverage_95": pl.Float64,
    "n_origins": pl.Int64, "mase_m": pl.Int64,
}


def revenue_forecast_frame(results: Iterable[SeriesForecast]) -> pl.DataFrame:
    rows = [asdict(row) for result in results for row in result.forecast]
    return pl.DataFrame(rows, schema=REVENUE_FORECAST_SCHEMA, orient="row")


def forecast_backtest_frame(results: Iterable[SeriesForecast]) -> pl.DataFrame:
    rows = [asdict(row) for result in results for row in result.backtest]
    return pl.DataFrame(rows, schema=FORECAST_BACKTEST_SCHEMA, orient="row")


def summary(result: SeriesForecast) -> dict:
    """Plain values for materialization metadata: status, model, reason, notes, mean MASE."""
    from pipelines.forecasting.select import mean_mase_by_model

    scores = mean_mase_by_model(result.backtest)
    return {"series": result.series, "status": result.status, "model": result.model,
            "reason": result.reason, "notes": list(result.notes),
            "months_of_history": len(result.history_values),
            "chosen_mean_mase": scores.get(result.model) if result.model else None,
            "seasonal_naive_mean_mase": scores.get("seasonal_naive")}
