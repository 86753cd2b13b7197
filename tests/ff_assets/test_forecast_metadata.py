"""What the forecast asset prints per series, on hand-made histories (no warehouse)."""
from datetime import date

from assets.forecasting import _backtest_markdown, series_metrics
from pipelines.forecasting.forecast import add_months, forecast_series


def _months(n, first=date(2025, 1, 1)):
    return [add_months(first, i) for i in range(n)]


def test_five_months_degrade_to_no_forecast_with_the_reason():
    result = forecast_series("mrr", _months(5), [100, 110, 120, 130, 140])
    metrics = series_metrics(result)
    assert metrics["status"] == "no_forecast" and metrics["model"] is None
    assert metrics["reason"] == "only 5 months of history; at least 6 are needed for a forecast"
    assert metrics["months_of_history"] == 5
    assert metrics["chosen_mean_mase"] is None and metrics["chosen_mean_mape"] is None


def test_chosen_model_scores_are_its_backtest_means():
    # a straight line: 1000, 1100, ... over 14 months -> every origin has history to score
    values = [1000 + 100 * i for i in range(14)]
    result = forecast_series("platform_net_revenue", _months(14), values, max_origins=3,
                             models=["naive", "ets_damped"])
    metrics = series_metrics(result)
    chosen = [r for r in result.backtest if r.model == result.model]
    assert chosen, "the chosen model has backtest rows"
    mapes = [r.mape for r in chosen if r.mape is not None]
    assert metrics["chosen_mean_mape"] == sum(mapes) / len(mapes)
    assert metrics["chosen_coverage_80"] == sum(r.coverage_80 for r in chosen) / len(chosen)
    # naive misses a line by one step per horizon: at origin t the h-step error is 100 h, so its
    # MAPE at horizon 1 is 100/actual; the trend model must do better and be chosen
    assert result.model == "ets_damped"
    table = _backtest_markdown(result)
    assert table.splitlines()[0].startswith("| model | chosen | mean MASE")
    assert "| ets_damped | yes |" in table and "| naive |  |" in table
    assert "14 months < 24: no seasonal model" in metrics["notes"]
