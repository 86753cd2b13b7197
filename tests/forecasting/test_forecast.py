"""The 12-month forecast end to end on synthetic series, the degrade rules, rounding, the plot."""
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from pipelines.forecasting.forecast import add_months, forecast_series, to_minor_units
from pipelines.forecasting.plot import plot_forecast
from pipelines.forecasting.select import mean_mase_by_model


def months_from(start: date, n: int) -> list[date]:
    return [add_months(start, i) for i in range(n)]


def seasonal_trend_series(n: int, seed: int = 7) -> list[int]:
    """Cents: 1,000.00 USD rising 20.00 a month with a +/-200.00 yearly swing and 20.00 noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 100_000 + 2_000 * t + 20_000 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2_000, n)
    return [int(round(v)) for v in values]


def test_seasonal_series_with_trend_beats_seasonal_naive():
    values = seasonal_trend_series(30)
    result = forecast_series("platform_net_revenue", months_from(date(2023, 1, 1), 30), values,
                             max_origins=1,
                             models=("seasonal_naive", "ets_damped_add_seasonal", "sarimax_seasonal"))
    assert result.status == "forecast"
    scores = mean_mase_by_model(result.backtest)
    assert scores[result.model] < 1
    assert scores[result.model] == min(scores.values())
    # seasonal naive misses the trend: 12 months x 20.00 = 240.00 a year, so its MASE is near 1
    assert scores["seasonal_naive"] > scores[result.model]
    # origins at 24..29 months of training (seasonal models need 24): 3 models x horizons 1..6;
    # horizon 6 scored at 1 origin (24 + 6 = 30), horizon 1 at 6
    assert len(result.backtest) == 18
    by_h = {(r.model, r.horizon): r.n_origins for r in result.backtest}
    assert by_h[("seasonal_naive", 6)] == 1 and by_h[("seasonal_naive", 1)] == 6
    rows = result.forecast
    assert [r.month for r in rows] == months_from(date(2025, 7, 1), 12)
    for r in rows:
        assert all(isinstance(v, int) for v in (r.point, r.lower_80, r.upper_80, r.lower_95, r.upper_95))
        assert r.lower_95 <= r.lower_80 <= r.point <= r.upper_80 <= r.upper_95
        assert r.model == result.model


def test_23_months_means_no_seasonal_model():
    result = forecast_series("creator_x", months_from(date(2024, 1, 1), 23), seasonal_trend_series(23),
                             max_origins=2, models=("naive", "seasonal_naive", "ets_damped"))
    assert result.status == "forecast"
    assert {r.model for r in result.backtest} == {"naive", "ets_damped"}
    assert "23 months < 24: no seasonal model" in result.notes
    # origins 16..22 (23 - 6 - 2 + 1 = 16) all have more than 12 months of training, so MASE keeps m=12
    assert {r.mase_m for r in result.backtest} == {12}


def test_24_months_allow_seasonal_models_but_only_backtested_ones_compete():
    result = forecast_series("s", months_from(date(2024, 1, 1), 24), seasonal_trend_series(24),
                             max_origins=1, models=("naive", "seasonal_naive"))
    assert {r.model for r in result.backtest} == {"naive"}
    assert result.model == "naive"


def test_5_months_means_no_forecast_with_the_reason():
    result = forecast_series("creator_y", months_from(date(2026, 6, 1), 5), [100, 200, 300, 400, 500])
    assert result.status == "no_forecast"
    assert result.forecast == [] and result.backtest == []
    assert result.reason == "only 5 months of history; at least 6 are needed for a forecast"
    assert plot_forecast(result)[:8] == b"\x89PNG\r\n\x1a\n"


def test_6_months_forecast_with_naive_when_no_origin_exists():
    # 6 months: a model needs 6 to fit, so no backtest origin; the naive baseline by default
    result = forecast_series("s", months_from(date(2026, 1, 1), 6),
                             [Decimal(100), 110, 120, 130, 140, 150], horizon=2, models=("naive",))
    assert result.model == "naive"
    assert [(r.point, r.month) for r in result.forecast] == [(150, date(2026, 7, 1)), (150, date(2026, 8, 1))]
    # differences all 10 -> sigma 10; h=1 80% bounds 150 -/+ 12.8155 -> 137.18 / 162.82 -> 137 / 163
    assert (result.forecast[0].lower_80, result.forecast[0].upper_80) == (137, 163)


def test_half_up_rounding_of_emitted_money():
    assert (to_minor_units(2.5), to_minor_units(-2.5), to_minor_units(2.4999)) == (3, -3, 2)
    with pytest.raises(ValueError):
        to_minor_units(float("nan"))


def test_bad_input_names_the_series_and_month():
    with pytest.raises(TypeError, match="'s' month 2026-02-01: value must be int"):
        forecast_series("s", months_from(date(2026, 1, 1), 6), [1, 2.0, 3, 4, 5, 6])
    with pytest.raises(ValueError, match="not consecutive at 2026-01-01 -> 2026-03-01"):
        forecast_series("s", [date(2026, 1, 1), date(2026, 3, 1)], [1, 2])


def test_plot_is_a_png():
    result = forecast_series("s", months_from(date(2026, 1, 1), 8), [100, 110, 120, 130, 140, 150, 160, 170],
                             models=("naive",))
    png = plot_forecast(result, "USD")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000


def test_tables_have_the_warehouse_shapes():
    from pipelines.forecasting.tables import (
        FORECAST_BACKTEST_SCHEMA,
        REVENUE_FORECAST_SCHEMA,
        forecast_backtest_frame,
        revenue_forecast_frame,
        summary,
    )

    done = forecast_series("s", months_from(date(2026, 1, 1), 8), [100, 110, 120, 130, 140, 150, 160, 170],
                           horizon=3, models=("naive",))
    none = forecast_series("t", months_from(date(2026, 1, 1), 3), [1, 2, 3])
    fc = revenue_forecast_frame([done, none])
    bt = forecast_backtest_frame([done, none])
    assert dict(fc.schema) == REVENUE_FORECAST_SCHEMA and dict(bt.schema) == FORECAST_BACKTEST_SCHEMA
    assert fc["point"].to_list() == [170, 170, 170] and fc["month"].to_list()[0] == date(2026, 9, 1)
    # 8 months, first origin 6: origins 6 and 7 -> horizon 1 scored twice, horizon 2 once
    assert bt.select("horizon", "n_origins").rows() == [(1, 2), (2, 1)]
    assert summary(none)["reason"] == "only 3 months of history; at least 6 are needed for a forecast"
