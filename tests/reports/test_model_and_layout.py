"""Input checks and cell formatting: money exact, errors that name the row and the field."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reports.layout import Money, Multiple, Percent, csv_value, display
from reports.model import ReportInputError, RevenueMonth, RiskRate, rows_from
from reports.monthly import monthly_report
from tests.reports.sample_data import OCTOBER_REVENUE, monthly_data


def _mart_row(**changes):
    row = {f: getattr(OCTOBER_REVENUE[1], f) for f in RevenueMonth.__dataclass_fields__}
    row.update(changes)
    return row


def test_rows_from_mappings_ignores_extra_columns():
    rows = rows_from(RevenueMonth, [_mart_row(extra_column="x", currency="eur")])
    assert rows == [OCTOBER_REVENUE[1]]
    assert rows[0].currency == "EUR"


def test_missing_column_is_named():
    row = _mart_row()
    del row["stripe_fees"]
    with pytest.raises(ReportInputError, match=r"RevenueMonth row 0: missing column\(s\) stripe_fees"):
        rows_from(RevenueMonth, [row])


def test_float_money_is_named():
    with pytest.raises(ReportInputError, match=r"RevenueMonth.refunds: money must be integer minor units"):
        rows_from(RevenueMonth, [_mart_row(refunds=-20.0)])


def test_integral_decimal_money_is_accepted_fractional_refused():
    assert rows_from(RevenueMonth, [_mart_row(gross_volume=Decimal("123450"))])[0].gross_volume == 123450
    with pytest.raises(ReportInputError, match="RevenueMonth.gross_volume"):
        rows_from(RevenueMonth, [_mart_row(gross_volume=Decimal("1234.5"))])


def test_ratio_from_a_frame_float_reads_its_decimal_text():
    assert RiskRate("x", 3, 4000, 0.00075, 0.001).rate == Decimal("0.00075")


def test_reporting_currency_mismatch_is_refused():
    eur_consolidated = rows_from(RevenueMonth, [_mart_row(reporting_currency="EUR")])
    with pytest.raises(ReportInputError, match=r"reporting_currency: EUR, but the report consolidates in USD"):
        monthly_report(monthly_data(revenue=eur_consolidated))


@pytest.mark.parametrize("cell, shown, exported", [
    (Money(123450, "EUR"), "1,234.50 EUR", "1234.50"),
    (Money(3735, "JPY"), "3,735 JPY", "3735"),
    (Money(12345, "KWD"), "12.345 KWD", "12.345"),
    (Money(-5, "USD"), "-0.05 USD", "-0.05"),
    (Percent(Decimal(3) / Decimal(4000)), "0.08%", "0.00075"),
    (Percent(Decimal("0.000049")), "0.00%", "0.000049"),
    (Multiple(Decimal(26000) / Decimal(11000)), "2.36x", str(Decimal(26000) / Decimal(11000))),
    (Percent(None), "n/a", ""),
    (None, "n/a", ""),
    (1500, "1,500", "1500"),
    (date(2026, 10, 1), "2026-10-01", "2026-10-01"),
])
def test_cells(cell, shown, exported):
    assert display(cell) == shown
    assert csv_value(cell) == exported


def test_money_cell_refuses_float():
    with pytest.raises(TypeError):
        Money(12.5, "USD")


def test_payout_summaries_group_by_kind_currency_and_status():
    from reports.model import PayoutSummary, payout_summaries

    rows = [
        {"balance_account": "platform", "currency": "usd", "status": "paid", "amount": 25000},
        {"balance_account": "platform", "currency": "usd", "status": "paid", "amount": 15000},
        {"creator_account_id": "acct_a", "currency": "eur", "status": "paid", "amount": 12000},
        {"creator_account_id": "acct_b", "currency": "eur", "status": "paid", "amount": 18000},
        {"creator_account_id": "acct_b", "currency": "eur", "status": "pending", "amount": 4550},
        {"creator_account_id": "acct_c", "currency": "jpy", "status": "paid", "amount": 5000},
    ]
    assert payout_summaries(rows) == [
        PayoutSummary("creators", "EUR", "paid", 2, 30000),
        PayoutSummary("creators", "EUR", "pending", 1, 4550),
        PayoutSummary("creators", "JPY", "paid", 1, 5000),
        PayoutSummary("platform", "USD", "paid", 2, 40000),
    ]
    with pytest.raises(ReportInputError, match=r"payout.amount \(row 0\)"):
        payout_summaries([{"balance_account": "platform", "currency": "USD", "status": "paid", "amount": 1.5}])


def test_forecast_rows_from_the_forecasting_shapes():
    """The forecasting module's rows (floats for accuracy) map onto the report's dataclasses."""
    from reports.model import ForecastAccuracy, ForecastPoint

    point = rows_from(ForecastPoint, [{"series": "s", "month": date(2026, 11, 1), "point": 140000,
                                       "lower_80": 130000, "upper_80": 150000, "lower_95": 125000,
                                       "upper_95": 155000, "model": "ets"}])[0]
    assert point.upper_95 == 155000
    accuracy = rows_from(ForecastAccuracy, [{"series": "s", "model": "ets", "horizon": 1, "mase": 0.812,
                                             "mape": 4.25, "coverage_80": 0.8, "coverage_95": 1.0,
                                             "n_origins": 6, "mase_m": 12}])[0]
    assert (accuracy.mase, accuracy.mape, accuracy.coverage_95) == (Decimal("0.812"), Decimal("4.25"), Decimal("1.0"))


def test_generation_time_is_shown_in_utc():
    from datetime import datetime, timedelta, timezone

    paris = timezone(timedelta(hours=1))
    assert display(datetime(2026, 11, 1, 7, 0, tzinfo=paris)) == "2026-11-01 06:00 UTC"


def test_mrr_movements_that_do_not_reconcile_are_flagged():
    from dataclasses import replace

    from reports.sections import mrr_section
    from tests.reports.sample_data import OCT, OCTOBER_MRR

    ok = mrr_section([OCTOBER_MRR], [OCT], "USD", by_month_table=False)
    assert not any("do not reconcile" in n for n in ok.notes)
    off = mrr_section([replace(OCTOBER_MRR, mrr_reporting=114751)], [OCT], "USD", by_month_table=False)
    # 100000 + 20000 + 5000 + 1000 - 3000 - 8000 - 250 - 114751 = -1
    assert any("start + movements - end = -1 minor units of USD" in n for n in off.notes)
