"""Baseline models, the backtest arithmetic and seeded determinism."""
import numpy as np
import pytest

from pipelines.forecasting.backtest import backtest, origins
from pipelines.forecasting.models import BY_NAME, eligible, naive, seasonal_naive
from pipelines.forecasting.select import select_model


def test_naive_intervals_widen_with_sqrt_h():
    # history 10, 12, 11: differences +2, -1 -> sigma = sqrt((4 + 1) / 2) = 1.5811
    # h=4: sd = 1.5811 x 2 = 3.1623; 95% upper = 11 + 1.959964 x 3.1623 = 17.198
    fc = naive(np.array([10.0, 12.0, 11.0]), 4)
    assert list(fc.point) == [11.0] * 4
    assert fc.upper_95[3] == pytest.approx(17.198, abs=1e-3)
    assert fc.lower_80[0] == pytest.approx(11 - 1.281552 * 1.581139, abs=1e-4)


def test_seasonal_naive_repeats_last_year_and_widens_each_year():
    # 13 months: 1..12 then 3. Forecast h=1 is y[1]=2, h=12 is y[12]=3, h=13 again y[1]=2.
    # one seasonal residual 3-1=2 -> sigma 2; h=13 is in the second year -> sd 2 x sqrt(2)
    history = np.array([float(v) for v in range(1, 13)] + [3.0])
    fc = seasonal_naive(history, 13)
    assert (fc.point[0], fc.point[11], fc.point[12]) == (2.0, 3.0, 2.0)
    assert fc.upper_80[0] == pytest.approx(2 + 1.281552 * 2, abs=1e-4)
    assert fc.upper_80[12] == pytest.approx(2 + 1.281552 * 2 * 2 ** 0.5, abs=1e-4)


def test_backtest_by_hand_with_the_naive_model():
    # series 10 12 11 13 12 14 13 15, max_origins=1, horizons=2 -> origins at 6 and 7 months.
    # origin 6: train ..14, scale (lag 1) = (2+1+2+1+2)/5 = 1.6; forecast 14;
    #   h1 truth 13 -> 1/1.6 = 0.625; h2 truth 15 -> 0.625
    # origin 7: train ..13, scale = (8+1)/6 = 1.5; forecast 13; h1 truth 15 -> 2/1.5 = 1.3333
    # h1 MASE = (0.625 + 1.3333)/2 = 0.97917, MAPE = (1/13 + 2/15)/2 x 100 = 10.5128
    series = [10, 12, 11, 13, 12, 14, 13, 15]
    assert origins(len(series), 6, max_origins=1, horizons=2) == [6, 7]
    rows = backtest("s", series, [BY_NAME["naive"]], max_origins=1, horizons=2)
    h1, h2 = rows
    assert (h1.horizon, h1.n_origins, h1.mase_m) == (1, 2, 1)
    assert h1.mase == pytest.approx((0.625 + 4 / 3) / 2)
    assert h1.mape == pytest.approx((1 / 13 + 2 / 15) / 2 * 100)
    assert (h2.horizon, h2.n_origins) == (2, 1)
    assert h2.mase == pytest.approx(0.625)
    # naive sigma at origin 6 = sqrt(mean of 4,1,4,1,4) = 1.6733; h2 sd = 1.6733 x sqrt(2) = 2.3664;
    # 80% half-width 1.2816 x 2.3664 = 3.03, so truth 15 lies in 14 -/+ 3.03
    assert h2.coverage_80 == 1.0


def test_selection_prefers_lowest_mean_mase_and_breaks_ties_by_simplicity():
    from pipelines.forecasting.backtest import ForecastBacktestRow as R

    rows = [R("s", "naive", 1, 1.0, 5.0, 1, 1, 3, 12), R("s", "naive", 2, 0.6, 5.0, 1, 1, 2, 12),
            R("s", "ets_damped", 1, 0.5, 5.0, 1, 1, 3, 12), R("s", "ets_damped", 2, 0.9, 5.0, 1, 1, 2, 12),
            R("s", "sarimax", 1, 0.9, 5.0, 1, 1, 3, 12), R("s", "sarimax", 2, 0.8, 5.0, 1, 1, 2, 12)]
    # means: naive 0.8, ets_damped 0.7, sarimax 0.85 -> ets_damped; a tie with naive -> naive
    assert select_model(rows, ["naive", "ets_damped", "sarimax"]).model == "ets_damped"
    rows[0] = R("s", "naive", 1, 0.8, 5.0, 1, 1, 3, 12)  # naive mean now 0.7 too
    assert select_model(rows, ["naive", "ets_damped", "sarimax"]).model == "naive"
    assert select_model([], ["naive", "ets_damped"]).mean_mase is None


def test_eligibility_degrade_rules():
    names = lambda n, pos=True: {s.name for s in eligible(n, pos)}
    assert names(23) == {"naive", "ets_damped", "sarimax"}
    assert "ets_damped_add_seasonal" in names(24) and "ets_damped_mul_seasonal" in names(24)
    assert "ets_damped_mul_seasonal" not in names(24, pos=False)
    assert names(5) == set()


def test_a_simulated_interval_model_is_deterministic_for_a_seed():
    rng = np.random.default_rng(3)
    t = np.arange(30)
    y = 1000 + 10 * t + 100 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 10, 30)
    model = BY_NAME["ets_damped_mul_seasonal"].fit_forecast
    first, again, other = model(y, 6, 42), model(y, 6, 42), model(y, 6, 7)
    assert np.array_equal(first.point, again.point)
    assert np.array_equal(first.lower_95, again.lower_95)
    assert np.array_equal(first.upper_80, again.upper_80)
    assert not np.array_equal(first.lower_95, other.lower_95)  # the seed really drives it


def test_a_failing_model_is_left_out_and_recorded():
    from pipelines.forecasting.models import ModelSpec

    def broken(history, horizon, seed=0):
        raise np.linalg.LinAlgError("singular")

    spec = ModelSpec("ets_damped", False, 6, False, broken)  # stands in for a real candidate
    failures = {}
    rows = backtest("s", [10, 12, 11, 13, 12, 14, 13, 15], [BY_NAME["naive"], spec],
                    max_origins=1, horizons=2, failures=failures)
    assert {r.model for r in rows} == {"naive"}
    assert failures == {"ets_damped": "origin 6: LinAlgError: singular"}


def test_a_flat_history_says_why_the_baseline_was_chosen():
    from datetime import date

    from pipelines.forecasting.forecast import add_months, forecast_series

    months = [add_months(date(2025, 1, 1), i) for i in range(8)]
    result = forecast_series("flat", months, [500] * 8, horizon=1, models=("naive", "ets_damped"))
    assert result.model == "naive"
    assert result.reason == "backtest MASE undefined (flat in-sample history): naive baseline by default"
    assert (result.forecast[0].point, result.forecast[0].lower_95, result.forecast[0].upper_95) == (500, 500, 500)
