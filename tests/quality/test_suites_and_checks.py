"""GX suites and the Dagster asset checks on hand-built raw rows: a clean set passes; hostile
rows (negative amount, unknown currency, bad status, wrong object) fail the suite with the exact
unexpected counts, the same as GX's own validation of the whole frame; blocking invariants stop
nothing when they pass and report when they fail. The raw suites validate the rows landed since
their last passing evaluation: a bad row landed after a pass is caught, and a failed evaluation
does not advance the watermark."""
from __future__ import annotations

import json

import dagster as dg
import duckdb
import pytest

import assets.quality as quality
from pipelines.quality.suites import (build_mart_suites, raw_suite, run_suite, run_suite_in_gx,
                                      seed_currencies)
from pipelines.resources import WarehouseResource
from tests.quality.test_invariants import build

CHARGE = {"object": "charge", "currency": "usd", "amount": 1500, "status": "succeeded"}


def _charges(rows, con=None):
    con = con or duckdb.connect()
    con.execute("create schema raw_stripe")
    # the landing's columns (pipelines/warehouse/duckdb_landing.py), payload as VARCHAR like it
    con.execute("create table raw_stripe.charge (id varchar, account varchar, created bigint, "
                "is_deleted boolean, payload varchar, synced_at timestamptz)")
    for i, (created, overrides) in enumerate(rows):
        _land(con, f"ch_{i}", created, overrides)
    return con


def _land(con, id_, created, overrides, synced_at="now()"):
    """Land one charge the way the landing does: a new batch, a newer synced_at."""
    con.execute(f"insert into raw_stripe.charge values (?, null, ?, false, ?, {synced_at})",
                [id_, created, json.dumps({**CHARGE, **overrides})])


def test_seed_has_the_25_platform_currencies_and_zero_decimal_ones():
    assert {"USD", "EUR", "JPY", "KRW", "HRK", "BHD"} <= set(seed_currencies())


def test_charge_suite_clean_and_hostile():
    now = 1_790_000_000
    clean = _charges([(now - 100, {}), (now - 50, {"amount": 900, "currency": "jpy"})])
    out = run_suite(raw_suite("charge", min_rows=2, now_epoch=now), lambda s: clean.execute(s).fetchall())
    assert out.success and out.row_count == 2 and out.failed == []

    hostile = _charges([
        (now - 100, {}),
        (now - 90, {"amount": -5}),
        (now - 80, {"currency": "xxx"}),
        (now - 70, {"status": "<script>alert(1)</script>"}),
        (now - 60, {"object": "refund"}),
        (1_000, {}),                                  # created in 1970
    ])
    out = run_suite(raw_suite("charge", min_rows=7, now_epoch=now), lambda s: hostile.execute(s).fetchall())
    assert not out.success
    failed = {(f["expectation"], f["column"]): f["unexpected_count"] for f in out.failed}
    assert failed == {
        ("expect_column_values_to_be_between", "amount"): 1,
        ("expect_column_values_to_be_in_set", "currency"): 1,
        ("expect_column_values_to_be_in_set", "status"): 1,
        ("expect_column_values_to_be_in_set", "object"): 1,
        ("expect_column_values_to_be_between", "created"): 1,
        ("expect_table_row_count_to_be_between", None): None,   # 6 rows, the API sent 7
    }
    # what GX itself finds validating every row in pandas: the same failures and counts
    reference = run_suite_in_gx(raw_suite("charge", min_rows=7, now_epoch=now),
                                lambda s: hostile.execute(s).fetchall())
    assert {(f["expectation"], f["column"]): f["unexpected_count"] for f in reference.failed} == failed
    assert sorted(sorted(map(str, f["examples"])) for f in out.failed) == \
        sorted(sorted(map(str, f["examples"])) for f in reference.failed)


def test_min_rows_follow_the_last_sync():
    assert quality.min_rows_from_sync({"full_reads": 3, "incremental_reads": 0, "rows_received": 120,
                                       "rows_rejected": 2, "rows_inserted": 118}) == 118
    assert quality.min_rows_from_sync({"full_reads": 0, "incremental_reads": 3, "rows_received": 40,
                                       "rows_rejected": 0, "rows_inserted": 5}) == 5
    assert quality.min_rows_from_sync({}) == 0


def test_asset_checks_on_a_hand_warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("CASHBOOK_OUTPUT_DIR", str(tmp_path / "out"))
    path = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(path))
    build(con)
    con.execute("update marts.fct_balance_transactions set fee = fee + 1 where balance_transaction_id = 'txn_3'")
    con.close()
    specs = [dg.AssetSpec(dg.AssetKey(["raw_stripe", t])) for t in quality.RAW_TABLES] + [
        dg.AssetSpec(dg.AssetKey(["marts", m])) for m in quality.KEY_MARTS]
    defs = dg.Definitions(
        assets=specs, asset_checks=quality.CHECKS,
        jobs=[dg.define_asset_job("checks", selection=dg.AssetSelection.checks(
            dg.AssetCheckKey(quality.BALANCE_LEDGER, quality.LEDGER_BALANCES),
            dg.AssetCheckKey(quality.REVENUE_DAILY, quality.REVENUE_SUMS_BACK),
            dg.AssetCheckKey(quality.raw_key("charge"), quality.REJECTS_EXPLAINED),
            dg.AssetCheckKey(quality.raw_key("charge"), quality.RAW_FRESH),
            dg.AssetCheckKey(quality.raw_key("payout"), quality.RAW_FRESH)))],
        resources={"warehouse": WarehouseResource(url=f"duckdb:///{path}")})
    result = defs.resolve_job_def("checks").execute_in_process(raise_on_error=False)
    got = {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}
    assert not got[("fct_balance_transactions", quality.LEDGER_BALANCES)].passed   # EUR fee 75 vs 74
    mism = got[("fct_balance_transactions", quality.LEDGER_BALANCES)].metadata["mismatches"].value
    assert [(m["key"], m["metric"], m["ledger"], m["stripe"]) for m in mism] == [(["", "EUR"], "fee", 75, 74)]
    assert got[("fct_balance_transactions", quality.LEDGER_BALANCES)].metadata["rows_not_netting"].value == 1
    assert got[("fct_revenue_daily", quality.REVENUE_SUMS_BACK)].passed
    assert got[("charge", quality.REJECTS_EXPLAINED)].passed
    assert got[("payout", quality.RAW_FRESH)].severity == dg.AssetCheckSeverity.WARN
    assert not got[("payout", quality.RAW_FRESH)].passed


def test_mart_suites_cover_the_key_marts():
    assert set(build_mart_suites()) == set(quality.KEY_MARTS)
