"""The invariants on a warehouse built by hand: two accounts, two currencies, figures worked out
below; then one cent moved, one row dropped, one reject without a reason, an old sync."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from pipelines.quality import invariants

# (id, account, currency, amount, fee, net, reporting_category)
BTS = [
    ("txn_1", None, "usd", 1000, 59, 941, "charge"),
    ("txn_2", None, "usd", 2500, 103, 2397, "charge"),
    ("txn_3", None, "eur", 1500, 74, 1426, "charge"),
    ("txn_4", None, "usd", -500, 0, -500, "refund"),
    ("txn_5", "acct_A", "usd", 850, 0, 850, "transfer"),
]
# platform charges: (id, currency, status, balance_transaction)
CHARGES = [("ch_1", "usd", "succeeded", "txn_1"), ("ch_2", "usd", "succeeded", "txn_2"),
           ("ch_3", "eur", "succeeded", "txn_3"), ("ch_4", "usd", "failed", None)]


def build(con) -> None:
    con.execute("create schema raw_stripe; create schema marts")
    for table in ("balance_transaction", "charge"):
        con.execute(f"create table raw_stripe.{table} (id varchar, account varchar, payload json, is_deleted boolean)")
    for id_, acct, cur, amount, fee, net, cat in BTS:
        con.execute("insert into raw_stripe.balance_transaction values (?, ?, ?, false)",
                    [id_, acct, json.dumps({"id": id_, "currency": cur, "amount": amount, "fee": fee,
                                            "net": net, "reporting_category": cat})])
    for id_, cur, status, bt in CHARGES:
        con.execute("insert into raw_stripe.charge values (?, null, ?, false)",
                    [id_, json.dumps({"id": id_, "currency": cur, "status": status, "balance_transaction": bt})])
    con.execute("""create table marts.fct_balance_transactions as
        select id as balance_transaction_id, account as account_id, upper(payload->>'currency') as currency,
               cast(payload->>'amount' as bigint) as amount, cast(payload->>'fee' as bigint) as fee,
               cast(payload->>'net' as bigint) as net
        from raw_stripe.balance_transaction""")
    # by hand: USD gross 1000 + 2500 = 3500 over two days, 2 succeeded + 1 failed; EUR 1500, 1 succeeded
    con.execute("""create table marts.fct_revenue_daily as select * from (values
        (date '2026-10-01', 'USD', 1000, 1, 1), (date '2026-10-02', 'USD', 2500, 1, 0),
        (date '2026-10-02', 'EUR', 1500, 1, 0), (date '2026-10-03', 'GBP', 0, 0, 0))
        as t(revenue_date, currency, gross_volume, successful_payments, failed_payments)""")
    con.execute("""create table raw_stripe._rejected (reject_key varchar, object_type varchar, account varchar,
        object_id varchar, field varchar, reason varchar, raw_payload varchar, rejected_at timestamptz, run_id varchar)""")
    con.execute("insert into raw_stripe._rejected values ('k1', 'charge', null, 'ch_bad', 'currency', "
                "'unknown currency xxx', '{}', now(), 'r1')")
    con.execute("""create table raw_stripe._sync_state (stream varchar, account varchar, updated_at timestamptz)""")
    con.execute("insert into raw_stripe._sync_state values ('charge', '', timestamptz '2026-11-28 01:00:00+00'), "
                "('charge', 'acct_A', timestamptz '2026-11-27 20:00:00+00'), "
                "('transfer', '', timestamptz '2026-11-20 00:00:00+00')")


@pytest.fixture()
def con():
    c = duckdb.connect()
    build(c)
    yield c
    c.close()


def q(con):
    return lambda sql: con.execute(sql).fetchall()


def test_clean_ledger_balances_per_account_and_currency(con):
    v = invariants.ledger_balances(q(con))
    assert v.passed, v
    assert v.metadata == {"groups": 3, "differences": 0, "rows_not_netting": 0}  # (platform USD, EUR), (acct_A USD)


def test_one_cent_off_in_the_ledger_fails_naming_account_currency_and_difference(con):
    con.execute("update marts.fct_balance_transactions set amount = amount + 1, net = net + 1 "
                "where balance_transaction_id = 'txn_2'")
    v = invariants.ledger_balances(q(con))
    assert not v.passed
    assert {(tuple(m["key"]), m["metric"], m["difference"]) for m in v.mismatches} == {
        (("", "USD"), "amount", 1), (("", "USD"), "net", 1)}


def test_a_missing_ledger_row_and_a_row_that_does_not_net_fail(con):
    con.execute("delete from marts.fct_balance_transactions where balance_transaction_id = 'txn_5'")
    con.execute("update marts.fct_balance_transactions set fee = 60 where balance_transaction_id = 'txn_1'")
    v = invariants.ledger_balances(q(con))
    assert not v.passed and v.metadata["rows_not_netting"] == 1
    got = {(tuple(m["key"]), m["metric"]): (m["ledger"], m["stripe"]) for m in v.mismatches}
    assert got[(("acct_A", "USD"), "amount")] == (0, 850)
    assert got[(("", "USD"), "fee")] == (60 + 103 + 0, 59 + 103 + 0)


def test_revenue_sums_back_to_raw_charges(con):
    v = invariants.revenue_sums_back_to_charges(q(con))
    assert v.passed, v
    assert v.metadata["groups"] == 2  # USD and EUR; the all-zero GBP day is no difference


def test_revenue_missing_a_day_or_a_failed_payment_fails(con):
    con.execute("delete from marts.fct_revenue_daily where revenue_date = date '2026-10-01'")
    v = invariants.revenue_sums_back_to_charges(q(con))
    got = {m["metric"]: (m["mart"], m["raw"]) for m in v.mismatches}
    assert not v.passed
    assert got == {"gross_volume": (2500, 3500), "succeeded": (1, 2), "failed": (0, 1)}


def test_rejects_with_reason_pass_and_one_without_fails(con):
    v = invariants.rejects_explained(q(con))
    assert v.passed and v.metadata["rejected"] == 1
    assert v.metadata["by_reason"] == {"charge: unknown currency xxx": 1}
    con.execute("insert into raw_stripe._rejected values ('k2', 'payout', null, 'po_1', '', '', '{}', now(), 'r1')")
    assert invariants.rejects_explained(q(con), "charge").passed  # per type: only charges
    v = invariants.rejects_explained(q(con), "payout")
    assert not v.passed and v.mismatches == [{"object_type": "payout", "field": "", "reason": "", "count": 1}]


def test_freshness_takes_the_newest_sync_of_the_stream():
    now = datetime(2026, 11, 28, 5, 0, tzinfo=timezone.utc)
    c = duckdb.connect()
    build(c)
    v = invariants.raw_freshness(q(c), "charge", now=now, max_age=timedelta(hours=26))
    assert v.passed and v.metadata["age_hours"] == 4.0
    # transfer reversals are read through transfers: 8 days and 5 hours old
    v = invariants.raw_freshness(q(c), "transfer_reversal", now=now, max_age=timedelta(hours=26))
    assert not v.passed and v.metadata["age_hours"] == 8 * 24 + 5
    v = invariants.raw_freshness(q(c), "payout", now=now, max_age=timedelta(hours=26))
    assert not v.passed and "never been synced" in v.summary
