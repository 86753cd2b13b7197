"""`make demo`'s closing summary reads the forecast, fraud, payout and tax outputs back: a tiny
warehouse with hand-made finance tables, and the lines a newcomer reads."""
from datetime import date, datetime

import duckdb
import pytest

from pipelines import demo_summary


@pytest.fixture
def finance(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as c:
        c.execute("create schema finance")
        c.execute("create table finance.revenue_forecast as select * from (values "
                  "('platform_net_revenue', date '2026-11-01', 1234567, 1100000, 1350049, 1000000, 1400000, 'ets'), "
                  "('platform_net_revenue', date '2026-12-01', 1300000, 1100000, 1500000, 1000000, 1600000, 'ets'), "
                  "('mrr', date '2026-11-01', 1, 0, 2, 0, 3, 'naive')) "
                  "t(series, month, point, lower_80, upper_80, lower_95, upper_95, model)")
        c.execute("create table finance.forecast_backtest as select * from (values "
                  "('platform_net_revenue', 'ets', 1, 0.5), ('platform_net_revenue', 'ets', 2, 1.0), "
                  "('platform_net_revenue', 'naive', 1, 9.0)) t(series, model, horizon, mase)")
        c.execute("create table finance.fraud_model_report as select * from (values ('auc', 0.91234), "
                  "('n_test', 100.0)) t(metric, value)")
        c.execute("create table finance.platform_fraud_rate as select * from (values "
                  "(date '2026-09-01', 3, 1000, 0.003, 0.001, false), (date '2026-10-01', 1, 2000, 0.0005, 0.001, true)) "
                  "t(month, fraud, charges, fraud_rate, goal, meets_goal)")
        c.execute("create table finance.creator_risk as select * from (values "
                  "('acct_a', date '2026-10-01', 'hold'), ('acct_b', date '2026-10-01', 'watch'), "
                  "('acct_c', date '2026-10-01', 'watch'), ('acct_d', date '2026-10-01', 'ok'), "
                  "('acct_e', date '2026-09-01', 'hold')) t(creator_account, month, status)")
        c.execute("create table finance.payout_plan_totals as select * from (values "
                  "(date '2026-10-31', 'USD', 3, 150000, 0, 150000), (date '2026-10-31', 'JPY', 1, 5000, 0, 5000), "
                  "(date '2026-10-30', 'USD', 9, 1, 0, 1)) t(plan_date, currency, lines, amount, fee, net)")
        c.execute("create table finance.payout_plan_exclusions as select * from (values "
                  "(date '2026-10-31', 'acct_a', 'fraud_review'), (date '2026-10-31', 'acct_f', 'below_minimum'), "
                  "(date '2026-10-31', 'acct_g', 'below_minimum')) t(plan_date, creator_account_id, reason)")
    monkeypatch.setenv("WAREHOUSE_URL", f"duckdb:///{db}")
    out = tmp_path / "out"
    (out / "tax" / "2025").mkdir(parents=True)
    for name in ("1099k_summary.csv", "IRIS_1099K.csv", "copy_b_acct_a.pdf", "copy_b_acct_b.pdf"):
        (out / "tax" / "2025" / name).write_text("x")
    (out / "tax" / "2026-Q3").mkdir()
    (out / "tax" / "2026-Q3" / "oss_return_2026-Q3.xml").write_text("x")
    monkeypatch.setenv("CASHBOOK_OUTPUT_DIR", str(out))
    return out


def test_forecast_line_names_the_model_mase_and_next_month(finance):
    assert demo_summary._forecast("USD") == [
        "platform net revenue, model ets: MASE 0.50 one month ahead, 0.75 over 1-2 months",
        "2026-11: 12,345.67 USD (80% interval 11,000.00 USD to 13,500.49 USD)"]


def test_fraud_lines_auc_rate_against_the_goal_and_flags(finance):
    assert demo_summary._fraud() == [
        "model test AUC 0.912",
        "platform fraud rate 2026-10: 0.050% (1 of 2,000 charges; meets the 0.1% goal)",
        "creators flagged in the latest month: 1 hold, 2 watch"]


def test_payout_lines_of_the_latest_plan(finance):
    assert demo_summary._payouts() == [
        "plan 2026-10-31: 4 payouts in 2 currencies: 1,500.00 USD, 5,000 JPY",
        "held: 2 below_minimum, 1 fraud_review"]


def test_tax_files_by_period(finance):
    assert demo_summary._tax_files(finance) == [
        "2025: 1099k_summary.csv, IRIS_1099K.csv, copy_b_acct_a.pdf and 1 more",
        "2026-Q3: oss_return_2026-Q3.xml"]


def test_missing_tables_say_not_built(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WAREHOUSE_URL", f"duckdb:///{tmp_path / 'none.duckdb'}")
    monkeypatch.setenv("CASHBOOK_OUTPUT_DIR", str(tmp_path / "out"))
    assert demo_summary._forecast("USD") == ["not built (finance.revenue_forecast)"]
    assert demo_summary._fraud() == ["not built (finance.charge_fraud_scores)"]
    assert demo_summary._payouts() == ["no payout plan yet (finance.payout_plan)"]
    demo_summary.print_summary(clock=datetime(2026, 11, 1), elapsed_s=60)
    text = capsys.readouterr().out
    assert "Forecast:" in text and "Tax files:" in text and date(2026, 11, 1).isoformat() in text
