"""The schedules pick the right partition for a tick and carry DESIGN 8's priorities."""
from datetime import datetime, timezone

import dagster as dg
import pytest

from assets.reports import ANNUAL, MONTHLY, annual_report_asset, creator_statements_asset, monthly_report_asset
from sensors import schedules as sch

UTC = timezone.utc


@pytest.fixture(scope="module")
def repo():
    defs = dg.Definitions.merge(
        dg.Definitions(assets=[monthly_report_asset, annual_report_asset, creator_statements_asset]), sch.defs)
    return defs.get_repository_def()


def _tick(repo, name: str, when: datetime):
    schedule = repo.get_schedule_def(name)
    with dg.build_schedule_context(scheduled_execution_time=when, repository_def=repo) as context:
        return schedule, list(schedule.evaluate_tick(context).run_requests or [])


def test_monthly_reports_run_at_six_on_the_first_for_the_month_before(repo):
    schedule, requests = _tick(repo, "monthly_reports_schedule", datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    assert schedule.cron_schedule == "0 6 1 * *"
    assert schedule.execution_timezone in (None, "UTC")
    assert [r.partition_key for r in requests] == ["2026-11"]
    _, january = _tick(repo, "monthly_reports_schedule", datetime(2027, 1, 1, 6, 0, tzinfo=UTC))
    assert [r.partition_key for r in january] == ["2026-12"]
    assert requests[0].tags["dagster/priority"] == sch.PRIORITY["low"]


def test_annual_report_runs_in_january_for_the_year_before(repo):
    schedule, requests = _tick(repo, "annual_report_schedule", datetime(2027, 1, 2, 6, 0, tzinfo=UTC))
    assert schedule.cron_schedule == "0 6 2 1 *"
    assert [r.partition_key for r in requests] == ["2026"]


def test_previous_partition_on_quarters_is_the_quarter_that_just_closed():
    quarterly = dg.TimeWindowPartitionsDefinition(cron_schedule="0 0 1 1,4,7,10 *", fmt="%Y-%m-%d", start="2024-01-01")
    assert sch.previous_partition(quarterly, datetime(2026, 10, 3, 6, tzinfo=UTC)) == "2026-07-01"
    assert sch.previous_partition(quarterly, datetime(2027, 1, 3, 6, tzinfo=UTC)) == "2026-10-01"
    assert sch.previous_partition(MONTHLY, datetime(2026, 3, 1, 6, tzinfo=UTC)) == "2026-02"
    assert sch.previous_partition(ANNUAL, datetime(2026, 1, 15, 6, tzinfo=UTC)) == "2025"


def test_hourly_refresh_selects_ingest_and_every_dbt_layer_at_payment_priority(repo):
    schedule = repo.get_schedule_def("hourly_refresh_schedule")
    assert schedule.cron_schedule == "0 * * * *"
    assert schedule.job_name == "hourly_refresh"
    assert sch.hourly_refresh_job.tags["dagster/priority"] == "10"
    assert repr(sch.hourly_refresh_job.selection) == repr(dg.AssetSelection.groups(*sch.REFRESH_GROUPS))
    assert set(sch.REFRESH_GROUPS) == {"stripe_raw", "dbt_staging", "dbt_intermediate", "dbt_marts", "dbt_reference"}


def test_daily_close_plans_the_day_it_runs_on_with_ingest_dbt_and_scores():
    from pipelines.definitions import defs

    repo = defs.get_repository_def()
    schedule, requests = _tick(repo, "daily_close_schedule", datetime(2026, 11, 29, 0, 30, tzinfo=UTC))
    assert schedule.cron_schedule == "30 0 * * *"
    assert [r.partition_key for r in requests] == ["2026-11-29"]
    assert requests[0].tags["dagster/priority"] == sch.PRIORITY["high"]
    selected = {k.to_user_string() for k in repo.get_job("daily_close").asset_layer.selected_asset_keys}
    assert {"raw_stripe/charge", "raw_fx/ecb_rates", "staging/stg_stripe__charges", "marts/fct_mrr",
            "finance/charge_fraud_scores", "finance/revenue_forecast", "finance/creator_balances",
            "finance/payout_plan"} <= selected
    # a day does not execute payouts, reconcile them, or rebuild monthly, quarterly or annual files
    assert not selected & {"finance/payout_reconciliation", "reports/monthly_report",
                           "reports/creator_statements", "finance/eu_oss_return", "finance/tax_1099k"}


def test_the_fraud_model_is_fitted_at_two_on_the_first_not_in_the_daily_close():
    from assets.fraud import DEFER_REFIT_TAG
    from pipelines.definitions import defs

    repo = defs.get_repository_def()
    schedule, requests = _tick(repo, "fraud_model_refit_schedule", datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    assert schedule.cron_schedule == "0 2 1 * *" and schedule.execution_timezone == "UTC"
    assert len(requests) == 1 and requests[0].tags["dagster/priority"] == sch.PRIORITY["low"]
    selected = {k.to_user_string() for k in repo.get_job("fraud_model_refit").asset_layer.selected_asset_keys}
    assert selected == {"finance/charge_fraud_scores", "finance/creator_risk", "finance/fraud_model_report"}
    # every run of the close carries the tag that defers the month's fit (tests/ff_assets: what it does)
    close_tags = repo.get_job("daily_close").tags
    assert close_tags[DEFER_REFIT_TAG[0]] == DEFER_REFIT_TAG[1]
    assert DEFER_REFIT_TAG[0] not in repo.get_job("fraud_model_refit").tags


def test_priorities_order_payments_over_payouts_over_tax_over_analytics_over_bulk():
    order = [int(t["dagster/priority"]) for t in (sch.PAYMENTS_TAGS, sch.PAYOUTS_TAGS, sch.TAX_TAGS,
                                                  sch.ANALYTICS_TAGS, sch.BULK_TAGS)]
    assert order == sorted(order, reverse=True) and len(set(order)) == 5


def test_report_jobs_accept_an_empty_run_config(repo):
    for name in ("monthly_reports", "annual_report"):
        assert dg.validate_run_config(repo.get_job(name), {}) is not None


def test_automation_switch():
    assert sch.automation_status({}) is True
    assert sch.automation_status({"CASHBOOK_AUTOMATION": "off"}) is False
