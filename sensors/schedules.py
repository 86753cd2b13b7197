"""When things run without anyone asking (issue 8 item 3), and at what priority (DESIGN 8).

- `hourly_refresh`: ingest every Stripe object type and build every dbt layer, on the hour.
- `monthly_reports`: the monthly report and the creator statements at 06:00 UTC on the 1st, for
  the month before (the schedule is built from the partitioned job, so the tick of 2026-12-01
  06:00 runs partition 2026-11).
- `annual_report`: 06:00 UTC on 2 January for the year before.
- `daily_close`: 00:30 UTC, the day's work on one run: ingest and every dbt layer (as
  `hourly_refresh`), the FX rates, fraud scores, the revenue forecast, and the creator balances and
  payout plan of the day (partition = that UTC day), with the checks of each. Executing the plan
  stays a person's decision (`payout_execute`); monthly, quarterly and annual files have their
  own schedules. This is the run the "incremental day" benchmark of issue 9 times.
- `fraud_model_refit`: 02:00 UTC on the 1st, the fraud model fitted again now that the month
  before is complete (its new test month), every charge rescored. The daily close only scores with
  the stored model (its runs carry `assets.fraud.DEFER_REFIT_TAG`), so a close takes the same time on the 1st as on
  any other day, and on the 1st its scores come from last month's fit until 02:00.
- VAT returns in the first week after each quarter, 1099 files in January for the year before:
  scheduled here only when the tax module defines those jobs and does not schedule them itself.

Schedules and sensors start RUNNING (a close that nobody has to start); set
`CASHBOOK_AUTOMATION=off` to load them stopped (tests, a laptop without Stripe).
"""

import importlib
import os
from datetime import datetime

import dagster as dg

from assets.fraud import CHARGE_FRAUD_SCORES, CREATOR_RISK, DEFER_REFIT_TAG, FRAUD_MODEL_REPORT
from assets.payouts import CREATOR_BALANCES, PAYOUT_PLAN
from assets.payouts import PARTITIONS as DAILY
from assets.reports import ANNUAL, MONTHLY, annual_report_asset, creator_statements_asset, monthly_report_asset

# `dagster/priority`: a higher number is dequeued first (DESIGN 8); defined in sensors.priority
# so the asset modules that define jobs can import it without importing this module.
from sensors.priority import (ANALYTICS_TAGS, BULK_TAGS, PAYMENTS_TAGS, PAYOUTS_TAGS,  # noqa: E402,F401
                              PRIORITY, TAX_TAGS, priority_tags)

REFRESH_GROUPS = ("stripe_raw", "dbt_staging", "dbt_intermediate", "dbt_marts", "dbt_reference")


def automation_status(environ: dict[str, str] | None = None) -> bool:
    """True when schedules and sensors should start running (the default)."""
    env = os.environ if environ is None else environ
    return env.get("CASHBOOK_AUTOMATION", "on").strip().lower() not in ("off", "0", "false", "no")


SCHEDULE_STATUS = dg.DefaultScheduleStatus.RUNNING if automation_status() else dg.DefaultScheduleStatus.STOPPED

# Ingestion lands what payments did: it runs first when the queue is full.
hourly_refresh_job = dg.define_asset_job(
    "hourly_refresh",
    selection=dg.AssetSelection.groups(*REFRESH_GROUPS),
    description="Ingest every Stripe object type, then build staging, intermediate and marts (dbt).",
    tags=PAYMENTS_TAGS,
)
# The day's close: what changes every day, and nothing that only changes with a month or a quarter.
DAILY_CLOSE_GROUPS = (*REFRESH_GROUPS, "fx", "risk", "finance")
daily_close_job = dg.define_asset_job(
    "daily_close",
    selection=dg.AssetSelection.groups(*DAILY_CLOSE_GROUPS) | dg.AssetSelection.assets(CREATOR_BALANCES, PAYOUT_PLAN),
    partitions_def=DAILY,
    description="The day's close: ingest, FX, dbt, fraud scores, forecast, and the day's creator balances "
                "and payout plan (not executed), with their checks.",
    # a day scores with the stored fraud model; the month's fit is fraud_model_refit's
    tags=PAYOUTS_TAGS | dict([DEFER_REFIT_TAG]),
)
# The fraud model's monthly fit (a new test month on the 1st): the model of every later day's
# scores. Read-only on the inputs the daily close built; run it by hand with `refit: true` to fit
# again on the same months.
fraud_model_refit_job = dg.define_asset_job(
    "fraud_model_refit",
    selection=dg.AssetSelection.assets(CHARGE_FRAUD_SCORES, CREATOR_RISK, FRAUD_MODEL_REPORT),
    description="Fit the fraud model when its test month moved (the 1st of a month), rescore every charge "
                "and redo the creator risk months; reuse it otherwise.",
    tags=ANALYTICS_TAGS,
)
monthly_reports_job = dg.define_asset_job(
    "monthly_reports",
    selection=dg.AssetSelection.assets(monthly_report_asset, creator_statements_asset),
    partitions_def=MONTHLY,
    description="The monthly financial report and every creator's statement for one month.",
    tags=ANALYTICS_TAGS,
)
annual_report_job = dg.define_asset_job(
    "annual_report",
    selection=dg.AssetSelection.assets(annual_report_asset),
    partitions_def=ANNUAL,
    description="The annual financial report for one year.",
    tags=ANALYTICS_TAGS,
)

hourly_refresh_schedule = dg.ScheduleDefinition(
    name="hourly_refresh_schedule", job=hourly_refresh_job, cron_schedule="0 * * * *",
    execution_timezone="UTC", default_status=SCHEDULE_STATUS, tags=PAYMENTS_TAGS,
    description="Ingest and build every hour, on the hour.",
)
# DAILY has end_offset=1: at 00:30 UTC on day D the newest partition is D itself, today's plan.
# Half past, so it does not start beside the hourly refresh (both would ingest; the writer lock
# makes that safe, not fast).
daily_close_schedule = dg.build_schedule_from_partitioned_job(
    daily_close_job, name="daily_close_schedule", hour_of_day=0, minute_of_hour=30,
    default_status=SCHEDULE_STATUS, tags=PAYOUTS_TAGS,
    description="00:30 UTC: ingest, dbt, scores and today's payout plan.",
)
fraud_model_refit_schedule = dg.ScheduleDefinition(
    name="fraud_model_refit_schedule", job=fraud_model_refit_job, cron_schedule="0 2 1 * *",
    execution_timezone="UTC", default_status=SCHEDULE_STATUS, tags=ANALYTICS_TAGS,
    description="02:00 UTC on the 1st, after the daily close: the fraud model fitted on the month that ended.",
)
monthly_reports_schedule = dg.build_schedule_from_partitioned_job(
    monthly_reports_job, name="monthly_reports_schedule", day_of_month=1, hour_of_day=6, minute_of_hour=0,
    default_status=SCHEDULE_STATUS, tags=ANALYTICS_TAGS,
    description="06:00 UTC on the 1st: the report and statements of the month before.",
)


def previous_partition(partitions_def: dg.TimeWindowPartitionsDefinition, tick: datetime) -> str:
    """The last partition that is complete at `tick`: the one before the partition holding it
    (tick 2027-01-02 06:00 on yearly partitions -> '2026')."""
    current = partitions_def.get_partition_key_for_timestamp(tick.timestamp())
    start = partitions_def.time_window_for_partition_key(current).start
    return partitions_def.get_partition_key_for_timestamp(start.timestamp() - 1)


def previous_partition_schedule(job, partitions_def, cron: str, name: str, tags: dict[str, str],
                                description: str) -> dg.ScheduleDefinition:
    """A schedule on its own cron (not the partitions' cron) that runs the last complete partition."""

    @dg.schedule(name=name, job=job, cron_schedule=cron, execution_timezone="UTC",
                 default_status=SCHEDULE_STATUS, tags=tags, description=description)
    def _schedule(context: dg.ScheduleEvaluationContext):
        key = previous_partition(partitions_def, context.scheduled_execution_time)
        return dg.RunRequest(run_key=key, partition_key=key, tags=tags)

    return _schedule


annual_report_schedule = previous_partition_schedule(
    annual_report_job, ANNUAL, "0 6 2 1 *", "annual_report_schedule", ANALYTICS_TAGS,
    "06:00 UTC on 2 January: the annual report of the year before.")

# Jobs of other domains, by name: (module, job name, schedule name, cron (UTC), tags).
# VAT: 06:00 UTC on the 3rd day after the quarter (inside the first week); 1099: 06:00 UTC on 15 January.
OTHER_DOMAIN_SCHEDULES = (
    ("assets.tax", "tax_quarter_files", "vat_returns_schedule", "0 6 3 1,4,7,10 *", TAX_TAGS),
    ("assets.tax", "tax_year_files", "tax_1099_schedule", "0 6 15 1 *", TAX_TAGS),
)
MISSING_JOBS: list[str] = []  # what the integrator is told about (see `missing_jobs`)


def _domain_defs(module_name: str) -> dg.Definitions | None:
    try:
        return importlib.import_module(module_name).defs
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


def _other_domain_schedules() -> list:
    schedules = []
    for module_name, job_name, schedule_name, when, tags in OTHER_DOMAIN_SCHEDULES:
        defs = _domain_defs(module_name)
        jobs = {j.name: j for j in (defs.jobs or [])} if defs else {}
        job = jobs.get(job_name)
        if job is None:
            MISSING_JOBS.append(f"{module_name}:{job_name}")
            continue
        if any(getattr(s, "job_name", None) == job_name or getattr(getattr(s, "job", None), "name", None) == job_name
               for s in (defs.schedules or [])):
            continue  # that module schedules its own job; one schedule per job
        schedules.append(previous_partition_schedule(
            job, job.partitions_def, when, schedule_name, tags, f"{job_name}: the period before, cron {when} UTC"))
    return schedules


def missing_jobs() -> list[str]:
    """Jobs of other domains this module would schedule but could not find at import."""
    return list(MISSING_JOBS)


defs = dg.Definitions(
    jobs=[hourly_refresh_job, daily_close_job, fraud_model_refit_job, monthly_reports_job, annual_report_job],
    schedules=[hourly_refresh_schedule, daily_close_schedule, fraud_model_refit_schedule, monthly_reports_schedule,
               annual_report_schedule,
               *_other_domain_schedules()],
)
