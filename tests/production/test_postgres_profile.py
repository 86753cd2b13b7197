"""The production profile on this machine's PostgreSQL: WAREHOUSE_URL=postgresql://..., a
DAGSTER_HOME whose dagster.yaml is deploy/dagster.yaml (dagster-postgres run, event-log and
schedule storage, each in a database of its own), ingest of a tiny world from the sandbox, the
ECB rates, dbt up to the revenue and ledger marts, then the quality checks, all recorded in the
PostgreSQL instance."""
from __future__ import annotations

import os
import shutil
import uuid

import dagster as dg
import psycopg2
import pytest

import assets.quality as quality
from pipelines.quality import invariants
from pipelines.quality.reader import warehouse_query
from pipelines.sandbox.ecb_export import write_ecb_csv
from pipelines.sandbox.generate import generate_world
from pipelines.sandbox.testing import running_sandbox
from pipelines.settings import PROJECT_ROOT
from pipelines.warehouse.url import parse_warehouse_url
from tests.dbt.conftest import run_dbt

pytestmark = pytest.mark.postgres
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def _admin(sql: str) -> None:
    con = psycopg2.connect(dbname="postgres", **PG)
    con.autocommit = True
    try:
        with con.cursor() as cur:
            cur.execute(sql)
    finally:
        con.close()


@pytest.fixture(scope="module")
def databases():
    suffix = uuid.uuid4().hex[:8]
    names = {"warehouse": f"cashbook_prod_wh_{suffix}", "dagster": f"cashbook_prod_dg_{suffix}"}
    for name in names.values():
        _admin(f"CREATE DATABASE {name}")
    yield names
    for name in names.values():
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def prod(databases, tmp_path_factory):
    from assets import tax
    from assets.raw_stripe import stripe_raw_sync
    from pipelines.resources import StripeResource, WarehouseResource

    root = tmp_path_factory.mktemp("production")
    world = root / "world.sqlite"
    generate_world(world, size="tiny", seed=7)
    ecb_csv = root / "eurofxref-hist.csv"
    write_ecb_csv(world, ecb_csv)
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    url = f"postgresql://postgres@127.0.0.1:5432/{databases['warehouse']}"
    mp = pytest.MonkeyPatch()
    for k, v in {"DAGSTER_HOME": str(home), "DAGSTER_PG_HOST": PG["host"], "DAGSTER_PG_PORT": "5432",
                 "DAGSTER_PG_USER": "postgres", "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": databases["dagster"],
                 "DAGSTER_COMPUTE_LOG_DIR": str(home / "compute_logs"), "WAREHOUSE_URL": url,
                 "CASHBOOK_OUTPUT_DIR": str(root / "output")}.items():
        mp.setenv(k, v)
    try:
        instance = dg.DagsterInstance.get()
        results = {}
        with running_sandbox(world) as srv:
            mp.setenv("STRIPE_API_KEY", srv.api_key)
            results["ingest"] = dg.materialize([stripe_raw_sync], instance=instance, resources={
                "stripe": StripeResource(api_key=dg.EnvVar("STRIPE_API_KEY"), api_base=srv.base_url),
                "warehouse": WarehouseResource(url=url)})
        tax_config = tax.TaxConfig(warehouse_url=url, output_dir=str(root / "output"),
                                   ecb_rates_source=str(ecb_csv))
        results["fx"] = dg.materialize([tax.ecb_rates], instance=instance, resources={"tax_config": tax_config})
        env = {**parse_warehouse_url(url).dbt_env(), "DBT_TARGET_PATH": str(root / "dbt_target")}
        run_dbt(env, "build", "--select", "+marts.fct_revenue_daily", "+marts.fct_balance_transactions",
                "--indirect-selection", "cautious")
        specs = [dg.AssetSpec(dg.AssetKey(["raw_stripe", t])) for t in quality.RAW_TABLES] + [
            dg.AssetSpec(dg.AssetKey(["marts", m])) for m in quality.KEY_MARTS]
        wanted = [dg.AssetCheckKey(quality.BALANCE_LEDGER, quality.LEDGER_BALANCES),
                  dg.AssetCheckKey(quality.REVENUE_DAILY, quality.REVENUE_SUMS_BACK),
                  dg.AssetCheckKey(quality.REVENUE_DAILY, quality.GX_SUITE),
                  dg.AssetCheckKey(quality.raw_key("charge"), quality.GX_SUITE),
                  dg.AssetCheckKey(quality.raw_key("charge"), quality.REJECTS_EXPLAINED),
                  dg.AssetCheckKey(quality.raw_key("charge"), quality.RAW_FRESH)]
        defs = dg.Definitions(assets=specs, asset_checks=quality.CHECKS,
                              jobs=[dg.define_asset_job("prod_checks", selection=dg.AssetSelection.checks(*wanted))],
                              resources={"warehouse": WarehouseResource(url=url)})
        results["checks"] = defs.resolve_job_def("prod_checks").execute_in_process(instance=instance)
        yield {"instance": instance, "url": url, "results": results}
    finally:
        mp.undo()


def test_instance_storage_is_postgres(prod):
    instance = prod["instance"]
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
    assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
    assert len(instance.get_runs()) == 3


def test_pipeline_and_checks_pass_on_postgres(prod):
    assert all(r.success for r in prod["results"].values())
    got = {(e.asset_key.path[-1], e.check_name): e.passed
           for e in prod["results"]["checks"].get_asset_check_evaluations()}
    assert len(got) == 6 and all(got.values()), got
    # the checks' verdicts are stored in the instance's PostgreSQL event log
    record = prod["instance"].event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(quality.BALANCE_LEDGER, quality.LEDGER_BALANCES)])
    assert record


def test_ledger_and_revenue_figures_match_raw_on_postgres(prod):
    with warehouse_query(prod["url"]) as query:
        ledger = invariants.ledger_balances(query)
        revenue = invariants.revenue_sums_back_to_charges(query)
        raw_bts = query("select count(*) from raw_stripe.balance_transaction")[0][0]
        mart_bts = query("select count(*) from marts.fct_balance_transactions")[0][0]
    assert ledger.passed and revenue.passed
    assert raw_bts == mart_bts > 100
