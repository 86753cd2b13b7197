"""The suites count violations in SQL and validate raw tables incrementally.

- SQL's counts equal GX's own validation of the whole frame (the reference, in pandas) on hostile
  marts and balance transactions, on DuckDB and on PostgreSQL (jsonb payloads);
- the raw_stripe_quality check validates the rows landed since its last passing evaluation: a
  bad row landed after a pass is caught; a failed evaluation does not advance the watermark, so
  the bad row is caught again until it is fixed; a duplicate id is looked up in the whole table;
  `full` (or no passing evaluation) validates every row; the row count is the whole table's."""
from __future__ import annotations

import json
import uuid

import dagster as dg
import duckdb
import pytest

import assets.quality as quality
from pipelines.quality.suites import build_mart_suites, raw_suite, run_suite, run_suite_in_gx
from pipelines.resources import WarehouseResource
from tests.quality.test_suites_and_checks import CHARGE, _charges, _land

NOW = 1_790_000_000
BTS = [  # id, currency, amount, fee, reporting_category
    ("txn_1", "usd", 1000, 59, "charge"), ("txn_2", "eur", -500, 0, "refund"),
    ("txn_3", "zzz", 700, -3, "charge"), ("txn_4", "usd", 10, 1, "made_up"), ("txn_5", None, None, 2, None)]


def _failures(outcome):
    return {(f["expectation"], f["column"]): f["unexpected_count"] for f in outcome.failed}


def _hostile_marts(con, json_type="json"):
    con.execute("create schema raw_stripe")
    con.execute("create schema marts")
    con.execute(f"create table raw_stripe.balance_transaction (id text, account text, created bigint, "
                f"is_deleted boolean, payload {json_type}, synced_at timestamptz)")
    for id_, cur, amount, fee, cat in BTS:
        payload = {"object": "balance_transaction", "currency": cur, "amount": amount, "fee": fee,
                   "reporting_category": cat, "status": "available"}
        con.execute(f"insert into raw_stripe.balance_transaction values ('{id_}', null, {NOW}, false, "
                    f"'{json.dumps(payload)}', now())")
    con.execute("""create table marts.fct_revenue_daily as select * from (values
        (date '2026-10-01', 'USD', 1000, -5, 1, 0, 1000), (date '2026-10-01', 'USD', 20, 0, 1, 0, 20),
        (date '2026-10-02', 'XXX', -1, 3, -2, 0, -1), (date '2026-10-03', null, 5, 0, 1, 0, 5))
        as t(revenue_date, currency, gross_volume, refunds, successful_payments, failed_payments,
             gross_volume_reporting)""")
    con.execute("""create table marts.fct_creator_earnings_monthly as select * from (values
        ('acct_1', date '2026-10-01', 'USD', 1000, 'standard', 50, 0.05),
        ('acct_1', date '2026-10-01', 'USD', 10, 'gold', -1, 0.07),
        ('acct_2', date '2026-10-01', 'EUR', 10, 'premium', 0, 0.03))
        as t(creator_account_id, month, currency, gross_volume, commission_tier, commission, commission_rate)""")


EXPECTED_BT = {
    ("expect_column_values_to_be_in_set", "currency"): 1,
    ("expect_column_values_to_be_in_set", "reporting_category"): 1,
    ("expect_column_values_to_be_between", "fee"): 1,
}
EXPECTED_REVENUE = {
    ("expect_compound_columns_to_be_unique", None): 2,
    ("expect_column_values_to_be_in_set", "currency"): 1,
    ("expect_column_values_to_be_between", "gross_volume"): 1,
    ("expect_column_values_to_be_between", "refunds"): 1,
    ("expect_column_values_to_be_between", "successful_payments"): 1,
    ("expect_column_values_to_be_between", "gross_volume_reporting"): 1,
}
EXPECTED_EARNINGS = {
    ("expect_compound_columns_to_be_unique", None): 2,
    ("expect_column_values_to_be_in_set", "commission_tier"): 1,
    ("expect_column_values_to_be_in_set", "commission_bps"): 1,
    ("expect_column_values_to_be_between", "commission"): 1,
}


def _assert_sql_equals_gx(query):
    suites = build_mart_suites()
    cases = [(raw_suite("balance_transaction", now_epoch=NOW), EXPECTED_BT),
             (suites["fct_revenue_daily"], EXPECTED_REVENUE),
             (suites["fct_creator_earnings_monthly"], EXPECTED_EARNINGS)]
    for spec, expected in cases:
        out, reference = run_suite(spec, query), run_suite_in_gx(spec, query)
        assert _failures(out) == expected == _failures(reference), spec.name
        assert out.row_count == reference.row_count
        for got, ref in zip(out.failed, reference.failed):
            if got["column"]:                     # the unexpected values GX lists, from the violating rows
                    assert sorted(map(str, got["examples"])) == sorted(map(str, ref["examples"])), spec.name


def test_sql_counts_equal_gx_on_duckdb():
    con = duckdb.connect()
    _hostile_marts(con)
    _assert_sql_equals_gx(lambda s: con.execute(s).fetchall())


@pytest.mark.postgres
def test_sql_counts_equal_gx_on_postgres():
    psycopg2 = pytest.importorskip("psycopg2")
    from pipelines.quality.reader import warehouse_query

    name = f"cashbook_quality_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    try:
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        con = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=name)
        con.autocommit = True

        class Con:
            def execute(self, sql):
                with con.cursor() as cur:
                    cur.execute(sql)

        _hostile_marts(Con(), json_type="jsonb")
        con.close()
        with warehouse_query(url) as query:
            assert query.dialect == "postgres"
            _assert_sql_equals_gx(query)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


# --- the incremental path, through Dagster ---------------------------------------------------

def _check_runner(tmp_path, monkeypatch):
    """Run raw_stripe_quality's charge suite against a DuckDB file, on one Dagster instance."""
    monkeypatch.setenv("CASHBOOK_OUTPUT_DIR", str(tmp_path / "out"))
    monkeypatch.delenv("CASHBOOK_QUALITY_FULL", raising=False)
    path = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(path))
    _charges([(NOW - 100, {}), (NOW - 50, {"amount": 900, "currency": "jpy"})], con)
    con.close()
    key = dg.AssetCheckKey(quality.raw_key("charge"), quality.GX_SUITE)
    defs = dg.Definitions(
        assets=[dg.AssetSpec(quality.raw_key(t)) for t in quality.RAW_TABLES],
        asset_checks=[quality.raw_stripe_quality],
        jobs=[dg.define_asset_job("suite", selection=dg.AssetSelection.checks(key))],
        resources={"warehouse": WarehouseResource(url=f"duckdb:///{path}")})
    instance = dg.DagsterInstance.ephemeral()

    def evaluate(full: bool = False):
        config = {"ops": {"raw_stripe_quality": {"config": {"full": True}}}} if full else None
        result = defs.resolve_job_def("suite").execute_in_process(instance=instance, run_config=config)
        (evaluation,) = result.get_asset_check_evaluations()
        meta = {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}
        return evaluation.passed, meta

    def land(id_, overrides, created=NOW - 10):
        with duckdb.connect(str(path)) as c:
            _land(c, id_, created, overrides)           # synced_at: now(), after every row before

    def fix(id_):
        with duckdb.connect(str(path)) as c:
            c.execute("update raw_stripe.charge set payload = ?, synced_at = now() where id = ?",
                      [json.dumps(CHARGE), id_])

    return evaluate, land, fix


def test_a_bad_row_landed_after_a_pass_is_caught_and_rechecked_until_fixed(tmp_path, monkeypatch):
    evaluate, land, fix = _check_runner(tmp_path, monkeypatch)
    passed, meta = evaluate()                         # no passing evaluation yet: every row
    assert passed and meta["mode"] == "full" and meta["validated_rows"] == 2 and meta["row_count"] == 2
    first_watermark = meta["validated_through"]

    land("ch_late", {"currency": "xxx"})              # lands after the pass
    passed, meta = evaluate()
    assert not passed
    assert meta["mode"] == "incremental" and meta["validated_since"] == first_watermark
    assert meta["validated_rows"] == 1 and meta["row_count"] == 3
    assert [(f["column"], f["unexpected_count"]) for f in meta["failed_expectations"]] == [("currency", 1)]

    passed, meta = evaluate()                         # the failure did not advance the watermark
    assert not passed and meta["validated_since"] == first_watermark and meta["validated_rows"] == 1

    land("ch_clean", {})                              # a clean row does not hide the bad one
    passed, meta = evaluate()
    assert not passed and meta["validated_rows"] == 2

    fix("ch_late")                                    # the object is landed again, corrected
    passed, meta = evaluate()
    assert passed and meta["validated_since"] == first_watermark and meta["validated_rows"] == 2
    second_watermark = meta["validated_through"]
    assert second_watermark > first_watermark

    passed, meta = evaluate()                         # nothing new: nothing to validate
    assert passed and meta["validated_rows"] == 0 and meta["validated_since"] == second_watermark
    assert meta["row_count"] == 4


def test_a_duplicate_id_is_looked_up_in_the_whole_table(tmp_path, monkeypatch):
    evaluate, land, _ = _check_runner(tmp_path, monkeypatch)
    assert evaluate()[0]
    land("ch_0", {})                                  # the id of a row validated before
    passed, meta = evaluate()
    assert not passed and meta["validated_rows"] == 1
    assert [(f["column"], f["unexpected_count"]) for f in meta["failed_expectations"]] == [("id", 2)]


def test_full_validation_on_request_and_row_count_on_the_whole_table(tmp_path, monkeypatch):
    evaluate, land, _ = _check_runner(tmp_path, monkeypatch)
    assert evaluate()[0]
    land("ch_new", {})
    passed, meta = evaluate(full=True)
    assert passed and meta["mode"] == "full" and meta["validated_rows"] == 3 and "validated_since" not in meta
    monkeypatch.setenv("CASHBOOK_QUALITY_FULL", "1")
    passed, meta = evaluate()
    assert passed and meta["mode"] == "full" and meta["validated_rows"] == 3


def test_a_watermark_newer_than_the_table_validates_every_row():
    con = _charges([(NOW - 100, {}), (NOW - 90, {"amount": -1})])
    out = run_suite(raw_suite("charge", now_epoch=NOW), lambda s: con.execute(s).fetchall(),
                    since="2999-01-01T00:00:00+00:00")   # a warehouse restored from an older copy
    assert out.mode == "full" and out.validated_rows == 2 and not out.success


def test_a_missing_amount_and_a_median_out_of_band_are_caught_like_gx_does():
    con = _charges([(NOW - 100, {"amount": 10}), (NOW - 90, {"amount": 20}), (NOW - 80, {"amount": None}),
                    (NOW - 70, {"amount": 5000})])
    query = lambda s: con.execute(s).fetchall()  # noqa: E731
    spec = raw_suite("charge", now_epoch=NOW)
    out, reference = run_suite(spec, query), run_suite_in_gx(spec, query)
    assert _failures(out) == _failures(reference) == {
        ("expect_column_values_to_not_be_null", "amount"): 1,
        ("expect_column_median_to_be_between", "amount"): None}
    medians = [f["observed_value"] for f in (*out.failed, *reference.failed) if "median" in f["expectation"]]
    assert medians == [20, 20]                          # of 10, 20 and 5000: the NULL is skipped
