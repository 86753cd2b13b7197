"""MASE, MAPE and coverage on series small enough to work by hand."""
import pytest

from pipelines.forecasting.metrics import coverage, mape, mase, mase_scale


def test_mase_falls_back_to_lag_1_on_a_short_history():
    # insample 10, 12, 11, 13: lag-1 errors 2, 1, 2 -> scale 5/3 (4 points <= 12, so m=1)
    # actual 14, 12 vs forecast 13, 14: |e| = 1, 2 -> mean 1.5 -> MASE = 1.5 / (5/3) = 0.9
    scale = mase_scale([10, 12, 11, 13])
    assert scale.m == 1 and scale.fell_back
    assert scale.value == pytest.approx(5 / 3)
    assert mase([14, 12], [13, 14], [10, 12, 11, 13]) == pytest.approx(0.9)


def test_mase_uses_the_seasonal_lag_when_history_allows():
    # 12 months of 10, then 12 and 13: seasonal errors |12-10| = 2, |13-10| = 3 -> scale 2.5
    # one forecast 15 against 20: |e| = 5 -> MASE 2.0
    insample = [10] * 12 + [12, 13]
    scale = mase_scale(insample)
    assert (scale.m, scale.value) == (12, 2.5)
    assert mase([20], [15], insample) == pytest.approx(2.0)


def test_mase_of_a_flat_history_is_undefined():
    with pytest.raises(ZeroDivisionError, match="flat history"):
        mase([1], [2], [5, 5, 5])


def test_mape_skips_zero_actuals():
    # |110-100|/100 = 10%, |150-200|/200 = 25%, actual 0 skipped, 50 vs 50 = 0% -> 35/3 %
    assert mape([100, 200, 0, 50], [110, 150, 5, 50]) == pytest.approx(35 / 3)
    assert mape([0, 0], [1, 2]) is None


def test_coverage_counts_bounds_as_inside():
    # 5 in [4,6] yes; 10 in [10,12] yes (bound); 15 in [16,18] no; 20 in [0,19] no -> 2/4
    assert coverage([5, 10, 15, 20], [4, 10, 16, 0], [6, 12, 18, 19]) == 0.5


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="length mismatch"):
        coverage([1, 2], [0], [3, 3])
