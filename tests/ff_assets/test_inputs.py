"""The monthly series fed to the forecasts: complete months, gap filling, creator ranking."""
from datetime import date

import pytest

from pipelines.forecasting import inputs


@pytest.mark.parametrize("as_of, expected", [
    (date(2026, 10, 31), date(2026, 10, 1)),  # data through the month's last day: it is complete
    (date(2026, 10, 30), date(2026, 9, 1)),   # one day short: October still running
    (date(2026, 1, 15), date(2025, 12, 1)),   # across the year
    (date(2024, 2, 29), date(2024, 2, 1)),    # leap day closes February
])
def test_last_complete_month(as_of, expected):
    assert inputs.last_complete_month(as_of) == expected


def test_monthly_series_fills_gaps_with_zero_and_drops_the_running_month():
    values = {date(2026, 5, 1): 100, date(2026, 7, 1): 300, date(2026, 8, 1): 50, date(2026, 9, 1): 999}
    months, series = inputs.monthly_series(values, last_month=date(2026, 8, 1))
    assert months == [date(2026, 5, 1), date(2026, 6, 1), date(2026, 7, 1), date(2026, 8, 1)]
    assert series == [100, 0, 300, 50]


def test_monthly_series_empty_before_first_month():
    assert inputs.monthly_series({date(2026, 9, 1): 5}, last_month=date(2026, 8, 1)) == ([], [])


def test_sum_by_month_adds_currency_rows_and_refuses_a_missing_value():
    rows = [(date(2026, 5, 1), 83591), (date(2026, 5, 1), 1250), (date(2026, 6, 1), -40)]
    assert inputs.sum_by_month(rows) == {date(2026, 5, 1): 84841, date(2026, 6, 1): -40}
    with pytest.raises(ValueError, match="2026-06-01"):
        inputs.sum_by_month([(date(2026, 6, 1), None)])


def test_top_creators_by_trailing_window():
    rows = [
        ("acct_a", date(2025, 10, 1), 10_000),  # outside a 3-month window ending 2026-02
        ("acct_a", date(2026, 1, 1), 500),
        ("acct_b", date(2025, 12, 1), 700),
        ("acct_b", date(2026, 2, 1), 300),      # b: 1000
        ("acct_c", date(2026, 2, 1), 1000),     # c: 1000, ties with b -> by id
        ("acct_d", date(2026, 3, 1), 9_999),    # after the last complete month
        ("acct_e", date(2026, 1, 1), -20),      # net negative: never a "large" creator
    ]
    top = inputs.top_creators(rows, 3, last_month=date(2026, 2, 1), trailing_months=3)
    assert top == [("acct_b", 1000), ("acct_c", 1000), ("acct_a", 500)]
    assert inputs.top_creators(rows, 0, last_month=date(2026, 2, 1)) == []
    assert inputs.creator_series_name("acct_b") == "creator_net_revenue:acct_b"
