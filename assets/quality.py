"""Data-quality asset checks (DESIGN 10): Great Expectations suites on every raw_stripe table and
the key marts, and the money invariants, blocking where money moves.

Blocking (a failure stops what depends on the asset in the same run):
  raw_stripe/<table>: rejects_explained            (every quarantined object names field and reason)
  marts/fct_balance_transactions: ledger_balances_to_stripe  (per account and currency, to the cent)
  marts/fct_revenue_daily: revenue_sums_back_to_charges      (per currency, volume and counts)
Not blocking (visible in the UI, severity WARN for freshness):
  raw_stripe/<table>: gx_suite, raw_fresh; marts/<key mart>: gx_suite.
The checks only read (DuckDB opens read-only); validation results land as JSON with an index
under $CASHBOOK_OUTPUT_DIR/quality/.

A raw table's gx_suite validates the rows landed since its last passing evaluation (its
`validated_through` metadata, read back from the instance), the way data-quality tools validate
new batches; its row count against the API's reads the whole table. With no passing evaluation,
or `full` in the check's config (or CASHBOOK_QUALITY_FULL=1), every row is validated."""

import os
from datetime import datetime, timedelta, timezone

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from pipelines.catalog import OBJECT_TYPES
from pipelines.quality import invariants
from pipelines.quality.reader import existing_relations, warehouse_query
from pipelines.quality.suites import build_mart_suites, raw_suite, run_suite
from pipelines.resources import WarehouseResource
from pipelines.settings import load_settings

RAW_TABLES = [t.table for t in OBJECT_TYPES]
KEY_MARTS = ("fct_balance_transactions", "fct_revenue_daily", "fct_mrr", "fct_creator_earnings_monthly")
BALANCE_LEDGER = dg.AssetKey(["marts", "fct_balance_transactions"])
REVENUE_DAILY = dg.AssetKey(["marts", "fct_revenue_daily"])

GX_SUITE = "gx_suite"
REJECTS_EXPLAINED = "rejects_explained"
RAW_FRESH = "raw_fresh"
LEDGER_BALANCES = "ledger_balances_to_stripe"
REVENUE_SUMS_BACK = "revenue_sums_back_to_charges"


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw_stripe", table])


def docs_dir():
    return load_settings().output_dir / "quality"


def max_raw_age() -> timedelta:
    return timedelta(hours=float(os.environ.get("CASHBOOK_RAW_MAX_AGE_HOURS", "26")))


def min_rows_from_sync(metadata: dict) -> int:
    """The row count the API's answer implies: after a run that read every stream in full, the
    table holds at least what it received minus what it rejected; after an incremental run, at
    least what that run inserted."""
    def value(name):
        v = metadata.get(name)
        return int(getattr(v, "value", v) or 0)

    if value("full_reads") > 0 and value("incremental_reads") == 0:
        return max(value("rows_received") - value("rows_rejected"), 0)
    return value("rows_inserted")


def _latest_sync_metadata(instance, key: dg.AssetKey) -> dict:
    event = instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        return {}
    return dict(event.asset_materialization.metadata)


def _result(verdict: invariants.Verdict, key: dg.AssetKey, check_name: str, *,
            severity=dg.AssetCheckSeverity.ERROR) -> dg.AssetCheckResult:
    metadata = {"summary": verdict.summary, **{k: dg.MetadataValue.json(v) if isinstance(v, (dict, list)) else v
                                               for k, v in verdict.metadata.items()}}
    if verdict.mismatches:
        metadata["mismatches"] = dg.MetadataValue.json(verdict.mismatches)
    return dg.AssetCheckResult(asset_key=key, check_name=check_name, passed=verdict.passed,
                               severity=severity, metadata=metadata, description=verdict.summary)


def _suite_result(outcome, key: dg.AssetKey) -> dg.AssetCheckResult:
    metadata = {**outcome.metadata(), "docs": str(docs_dir() / "index.html")}
    if outcome.failed:
        metadata["failed_expectations"] = dg.MetadataValue.json(outcome.failed)
    return dg.AssetCheckResult(asset_key=key, check_name=GX_SUITE, passed=outcome.success,
                               metadata=metadata)


RAW_SPECS = [spec for table in RAW_TABLES for spec in (
    dg.AssetCheckSpec(GX_SUITE, asset=raw_key(table),
                      description=f"GX suite raw_stripe.{table}: unique ids, created range, object type, "
                                  "currencies in the seed, statuses, non-negative amounts, row count vs the API's"),
    dg.AssetCheckSpec(REJECTS_EXPLAINED, asset=raw_key(table), blocking=True,
                      description="Every rejected object of this type names the field at fault and the reason"),
    dg.AssetCheckSpec(RAW_FRESH, asset=raw_key(table),
                      description="The stream was synced within CASHBOOK_RAW_MAX_AGE_HOURS (default 26 h)"),
)]


class RawQualityConfig(dg.Config):
    """full: validate every row of every raw table, not only the rows landed since the suite's
    last passing evaluation (also CASHBOOK_QUALITY_FULL=1)."""
    full: bool = False


def full_validation_forced(config: RawQualityConfig) -> bool:
    return config.full or os.environ.get("CASHBOOK_QUALITY_FULL", "") not in ("", "0", "false")


def last_passing_watermark(instance, key: dg.AssetKey) -> str | None:
    """`validated_through` of the suite's latest passing evaluation: the newest synced_at it had
    validated. A failed evaluation is not read, so it never advances the watermark: the rows it
    failed on are validated again next time, until an evaluation passes."""
    records = instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(key, GX_SUITE), limit=1, status={AssetCheckExecutionRecordStatus.SUCCEEDED})
    for record in records:
        evaluation = record.event.dagster_event.event_specific_data if record.event and record.event.dagster_event else None
        value = (getattr(evaluation, "metadata", None) or {}).get("validated_through")
        value = getattr(value, "value", value)
        if isinstance(value, str) and value:
            return value
    return None


@dg.multi_asset_check(specs=RAW_SPECS, can_subset=True, name="raw_stripe_quality")
def raw_stripe_quality(context: dg.AssetCheckExecutionContext, config: RawQualityConfig,
                       warehouse: WarehouseResource):
    """The GX suites validate the rows landed since each suite's last passing evaluation (the
    table-level expectations, row count against the API's, read the whole table); every row
    when there is no such evaluation or `full` is set."""
    selected = context.selected_asset_check_keys
    now = datetime.now(timezone.utc)
    full = full_validation_forced(config)
    with warehouse_query(warehouse.resolved_url()) as query:
        existing = existing_relations(query, "raw_stripe")
        rejects = (invariants.rejects_by_type(query) if "_rejected" in existing else None)
        synced = (invariants.last_synced_by_stream(query) if "_sync_state" in existing else None)
        for table in RAW_TABLES:
            key = raw_key(table)
            wanted = {k.name for k in selected if k.asset_key == key}
            if not wanted:
                continue
            present = table in existing
            if GX_SUITE in wanted:
                if not present:
                    yield dg.AssetCheckResult(asset_key=key, check_name=GX_SUITE, passed=False,
                                              description=f"raw_stripe.{table} does not exist")
                else:
                    min_rows = min_rows_from_sync(_latest_sync_metadata(context.instance, key))
                    since = None if full else last_passing_watermark(context.instance, key)
                    yield _suite_result(run_suite(raw_suite(table, min_rows=min_rows), query,
                                                  docs_dir=docs_dir(), since=since), key)
            if REJECTS_EXPLAINED in wanted:
                yield _result(invariants.rejects_explained(query, table, rows=rejects), key, REJECTS_EXPLAINED)
            if RAW_FRESH in wanted:
                verdict = (invariants.raw_freshness(query, table, now=now, max_age=max_raw_age(), last_synced=synced)
                           if synced is not None else
                           invariants.Verdict(RAW_FRESH, False, "raw_stripe._sync_state does not exist"))
                yield _result(verdict, key, RAW_FRESH, severity=dg.AssetCheckSeverity.WARN)


MART_SPECS = [dg.AssetCheckSpec(GX_SUITE, asset=dg.AssetKey(["marts", mart]),
                                description=f"GX suite marts.{mart}: keys, currencies, categories, ranges")
              for mart in KEY_MARTS]


@dg.multi_asset_check(specs=MART_SPECS, can_subset=True, name="marts_quality")
def marts_quality(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    suites = build_mart_suites()
    with warehouse_query(warehouse.resolved_url()) as query:
        for mart in KEY_MARTS:
            key = dg.AssetKey(["marts", mart])
            if dg.AssetCheckKey(key, GX_SUITE) in context.selected_asset_check_keys:
                yield _suite_result(run_suite(suites[mart], query, docs_dir=docs_dir()), key)


@dg.asset_check(asset=BALANCE_LEDGER, name=LEDGER_BALANCES, blocking=True,
                description="The ledger mart equals Stripe's balance transactions per account and currency "
                            "(count, amount, fee, net to the minor unit) and every row nets")
def ledger_balances_to_stripe(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse_query(warehouse.resolved_url()) as query:
        return _result(invariants.ledger_balances(query), BALANCE_LEDGER, LEDGER_BALANCES)


@dg.asset_check(asset=REVENUE_DAILY, name=REVENUE_SUMS_BACK, blocking=True,
                description="fct_revenue_daily summed over days equals the platform's raw charges per currency "
                            "(gross volume from their balance transactions, succeeded and failed counts)")
def revenue_sums_back_to_charges(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse_query(warehouse.resolved_url()) as query:
        return _result(invariants.revenue_sums_back_to_charges(query), REVENUE_DAILY, REVENUE_SUMS_BACK)


CHECKS = [raw_stripe_quality, marts_quality, ledger_balances_to_stripe, revenue_sums_back_to_charges]

defs = dg.Definitions(asset_checks=CHECKS)
