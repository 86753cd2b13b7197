"""Issue 5 against the sandbox, through Dagster: generate a small world, load it into DuckDB, build
the payout marts, materialize the day's plan, execute it with the `payout_execute` job (a crash
injected between the API call and the record first), advance the world a day, force payout
failures, reload, rebuild, reconcile, and plan the next day.

The world's numbers come from the simulator, so the assertions are exact invariants: the plan
takes no more than each creator's balance at the sandbox API; each line makes exactly one payout
whose amount is the line's; the balance at the API falls by exactly each line; each reconciled
line moved exactly what it planned (failed ones nothing); the failure codes reach the next plan.
"""
from __future__ import annotations

import calendar
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest

from assets import payouts as P
from pipelines.payouts import warehouse as W
from pipelines.payouts.execute import METADATA_KEY, execute_plan
from pipelines.payouts.journal import INTENT
from pipelines.payouts.stripe_io import balances_from_stripe
from pipelines.resources import StripeResource, WarehouseResource
from pipelines.sandbox import store
from pipelines.sandbox.testing import running_sandbox, stripe_client
from tests.dbt.conftest import run_dbt
from tests.payout_assets.warehouse_world import fill_raw, new_warehouse

generate = pytest.importorskip("pipelines.sandbox.generate")
advance = pytest.importorskip("pipelines.sandbox.advance")

DAY = date(2026, 11, 1)            # the world's clock: the plan is as of the day's first moment
NEXT = DAY + timedelta(days=1)
FX_FIRST, FX_LAST = date(2026, 4, 1), date(2026, 11, 10)
# the upstream models and seeds without their tests (other helpers own those), then the payout
# marts with their data and unit tests
UPSTREAM = ("+marts.payouts,resource_type:model", "+marts.payouts,resource_type:seed")


class Crash(Exception):
    pass


@dataclass
class Flow:
    plan_lines: tuple = ()
    plan_checks: dict = field(default_factory=dict)
    balances_at_api_before: dict = field(default_factory=dict)
    balances_at_api_after: dict = field(default_factory=dict)
    dry_run_outcomes: list = field(default_factory=list)
    journal_after_dry_run: list = field(default_factory=list)
    crashed_key: str = ""
    crashed_state: str = ""
    first_outcomes: list = field(default_factory=list)
    second_outcomes: list = field(default_factory=list)
    payouts_by_key: dict = field(default_factory=dict)
    failed_unchanged: tuple = ()      # (creator, currency, payout_id)
    failed_new_bank: tuple = ()       # (creator, currency, payout_id, new bank)
    reconciled: list = field(default_factory=list)
    recon_check: bool | None = None
    itemized: list = field(default_factory=list)
    next_lines: list = field(default_factory=list)
    next_exclusions: list = field(default_factory=list)
    next_checks: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)


def _materialize(assets, day: date, resources, config=None):
    result = dg.materialize(assets, partition_key=day.isoformat(), resources=resources,
                            run_config=config)
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    return result, checks


def _job_config(day: date, execute: bool) -> dict:
    return {"ops": {"execute_payout_plan": {"config": {"date": day.isoformat(), "execute": execute}}}}


def _api_balances(client, creators) -> dict:
    out = {}
    for creator in creators:
        bal = client.v1.balance.retrieve(options={"stripe_account": creator}).to_dict()
        for b in balances_from_stripe(bal, creator):
            out[(b.creator, b.currency)] = b.available
    return out


def _fail_payout(world: Path, payout_id: str, code: str, new_bank: str | None = None) -> None:
    """Stripe's shape of a failed payout: status failed, the code, and a balance transaction
    (payout_failure) that returns the money to the creator's balance at the world's clock."""
    conn = store.connect(world)
    with conn:
        clock = int(store.get_meta(conn, "clock")) if hasattr(store, "get_meta") else int(
            conn.execute("SELECT value FROM meta WHERE key = 'clock'").fetchone()[0])
        account, payload = conn.execute("SELECT account, payload FROM objects WHERE id = ?",
                                        (payout_id,)).fetchone()
        po = json.loads(payload)
        txn_id = "txn_forcedfail" + payout_id[3:13]
        txn = {"id": txn_id, "object": "balance_transaction", "amount": po["amount"], "fee": 0,
               "net": po["amount"], "currency": po["currency"], "status": "available",
               "type": "payout_failure", "reporting_category": "payout_reversal",
               "source": payout_id, "available_on": clock, "created": clock,
               "exchange_rate": None, "fee_details": [], "description": "Payout failure",
               "balance_type": "payments"}
        po.update(status="failed", failure_code=code, failure_balance_transaction=txn_id,
                  failure_message="forced by the test")
        seq = conn.execute("SELECT max(seq) FROM objects").fetchone()[0] + 1
        conn.execute("UPDATE objects SET payload = ? WHERE id = ?", (json.dumps(po), payout_id))
        conn.execute("INSERT INTO objects(seq, id, object, account, created, parent, type, payload)"
                     " VALUES (?, ?, 'balance_transaction', ?, ?, NULL, NULL, ?)",
                     (seq, txn_id, account, clock, json.dumps(txn)))
        if new_bank:
            (acct_payload,) = conn.execute("SELECT payload FROM objects WHERE id = ?", (account,)).fetchone()
            acct = json.loads(acct_payload)
            for ext in acct["external_accounts"]["data"]:
                if ext["currency"] == po["currency"]:
                    ext["id"] = new_bank
            conn.execute("UPDATE objects SET payload = ? WHERE id = ?", (json.dumps(acct), account))
    conn.close()


@pytest.fixture(scope="module")
def flow(tmp_path_factory) -> Flow:
    base = tmp_path_factory.mktemp("payout_flow")
    world = base / "small.sqlite"
    generate.generate_world(world, size="small", seed=42, end=calendar.timegm(DAY.timetuple()))
    wh = new_warehouse(base / "wh")
    fill_raw(wh, world, FX_FIRST, FX_LAST)
    run_dbt(wh.env, "build", "--select", *UPSTREAM, "marts.payouts", "--indirect-selection", "empty",
            "--full-refresh")
    old_output = os.environ.get("CASHBOOK_OUTPUT_DIR")
    os.environ["CASHBOOK_OUTPUT_DIR"] = str(base / "output")
    f = Flow()
    try:
        with running_sandbox(world) as running:
            client = stripe_client(running, max_network_retries=0)
            resources = {"warehouse": WarehouseResource(url=f"duckdb:///{wh.path}"),
                         "stripe": StripeResource(api_key=running.api_key, api_base=running.base_url)}
            _, f.plan_checks = _materialize([P.creator_balances, P.payout_plan], DAY, resources)
            with W.Warehouse(f"duckdb:///{wh.path}") as conn:
                f.plan_lines = W.read_plan_lines(conn, DAY)
            creators = sorted({l.creator for l in f.plan_lines})
            f.balances_at_api_before = _api_balances(client, creators)

            # a dry run sends and records nothing
            dry = P.payout_execute.execute_in_process(run_config=_job_config(DAY, False),
                                                      resources=resources)
            f.dry_run_outcomes = dry.output_for_node("execute_payout_plan")
            with W.Warehouse(f"duckdb:///{wh.path}") as conn:
                f.journal_after_dry_run = W.WarehouseJournal(conn).entries(DAY)

            # crash between Stripe's answer and the record, on the first line
            def crash(line, payout):
                raise Crash(line.idempotency_key)

            with W.Warehouse(f"duckdb:///{wh.path}") as conn:
                with pytest.raises(Crash) as crashed:
                    execute_plan(f.plan_lines, client, W.WarehouseJournal(conn), after_call=crash)
                f.crashed_key = str(crashed.value)
                f.crashed_state = W.WarehouseJournal(conn).get(f.crashed_key).state

            first = P.payout_execute.execute_in_process(run_config=_job_config(DAY, True),
                                                        resources=resources)
            f.first_outcomes = first.output_for_node("execute_payout_plan")
            second = P.payout_execute.execute_in_process(run_config=_job_config(DAY, True),
                                                         resources=resources)
            f.second_outcomes = second.output_for_node("execute_payout_plan")
            for creator in creators:
                for p in client.v1.payouts.list({"limit": 100}, options={"stripe_account": creator}):
                    key = (p.to_dict().get("metadata") or {}).get(METADATA_KEY)
                    if key:
                        f.payouts_by_key.setdefault(key, []).append(p.to_dict())
            f.balances_at_api_after = _api_balances(client, creators)

        # a day passes; two of today's payouts fail, one creator then gives a new bank account
        advance.advance_world(world, 1)
        with W.Warehouse(f"duckdb:///{wh.path}") as conn:
            entries = {e.key: e for e in W.WarehouseJournal(conn).entries(DAY)}
            daily = {r[0] for r in conn.rows(
                "SELECT creator_account_id FROM marts.dim_creator_payout_accounts"
                " WHERE schedule_interval = 'daily'")}
        due_daily = [l for l in f.plan_lines if l.creator in daily]
        assert len(due_daily) >= 2, "the world should pay two daily creators today"
        a, b = due_daily[0], due_daily[1]
        pa, pb = entries[a.idempotency_key].payout_id, entries[b.idempotency_key].payout_id
        _fail_payout(world, pa, "account_closed")
        _fail_payout(world, pb, "invalid_account_number", new_bank="ba_NEWBANKFORTEST1")
        f.failed_unchanged = (a.creator, a.currency, pa)
        f.failed_new_bank = (b.creator, b.currency, pb, "ba_NEWBANKFORTEST1")

        # ingest again (the whole world) and rebuild the marts
        fill_raw(wh, world, FX_FIRST, FX_LAST)
        run_dbt(wh.env, "run", "--select", "+marts.payouts", "--full-refresh")
        with running_sandbox(world) as running:
            resources = {"warehouse": WarehouseResource(url=f"duckdb:///{wh.path}"),
                         "stripe": StripeResource(api_key=running.api_key, api_base=running.base_url)}
            recon, checks = _materialize([P.payout_reconciliation], DAY, resources)
            f.recon_check = checks[P.RECONCILED_TO_THE_CENT]
            _, f.next_checks = _materialize([P.creator_balances, P.payout_plan], NEXT, resources)
        with W.Warehouse(f"duckdb:///{wh.path}") as conn:
            f.reconciled = conn.rows(
                "SELECT idempotency_key, creator_account_id, currency, state, payout_id, planned_amount,"
                " debited, expected_debit, difference, matched, failure_code, reasons"
                " FROM finance.payout_reconciliation WHERE plan_date = ? ORDER BY 1", (DAY,))
            f.itemized = conn.rows("SELECT creator_account_id, currency, payouts, returned"
                                   " FROM finance.payout_itemized WHERE month = '2026-11'")
            f.next_lines = W.read_plan_lines(conn, NEXT)
            f.next_exclusions = conn.rows(
                "SELECT creator_account_id, currency, reason, detail FROM finance.payout_plan_exclusions"
                " WHERE plan_date = ?", (NEXT,))
        out = base / "output" / "payouts"
        f.files = {p.relative_to(out).as_posix(): p for p in out.rglob("*.*")}
    finally:
        if old_output is None:
            os.environ.pop("CASHBOOK_OUTPUT_DIR", None)
        else:
            os.environ["CASHBOOK_OUTPUT_DIR"] = old_output
    return f


def test_plan_passes_its_blocking_checks_and_fits_the_balance_at_the_api(flow):
    assert flow.plan_lines
    assert flow.plan_checks == {P.PLANNED_WITHIN_AVAILABLE: True, P.ONE_LINE_PER_CREATOR: True}
    for line in flow.plan_lines:
        # the warehouse balance as the day begins is the API's balance at the world's clock
        assert line.available == flow.balances_at_api_before[(line.creator, line.currency)]
        assert 0 < line.amount <= line.available - line.in_flight - line.reserved


def test_dry_run_sends_and_records_nothing(flow):
    assert {o["outcome"] for o in flow.dry_run_outcomes} == {"dry_run"}
    assert len(flow.dry_run_outcomes) == len(flow.plan_lines)
    assert flow.journal_after_dry_run == []


def test_crash_after_the_call_then_rerun_leaves_exactly_one_payout_per_line(flow):
    assert flow.crashed_state == INTENT
    outcomes = {o["key"]: o["outcome"] for o in flow.first_outcomes}
    assert outcomes[flow.crashed_key] == "recovered"
    assert Counter(outcomes.values()) == Counter({"recovered": 1, "created": len(flow.plan_lines) - 1})
    assert {o["outcome"] for o in flow.second_outcomes} == {"already_done"}
    for line in flow.plan_lines:
        payouts = flow.payouts_by_key[line.idempotency_key]
        assert len(payouts) == 1
        assert payouts[0]["amount"] == line.net
        assert payouts[0]["currency"].upper() == line.currency


def test_balance_at_the_api_falls_by_exactly_each_line(flow):
    for line in flow.plan_lines:
        key = (line.creator, line.currency)
        assert flow.balances_at_api_after[key] == flow.balances_at_api_before[key] - line.amount


def test_every_payout_reconciles_to_the_cent(flow):
    assert flow.recon_check is True
    assert len(flow.reconciled) == len(flow.plan_lines)
    failed = {flow.failed_unchanged[2]: "account_closed", flow.failed_new_bank[2]: "invalid_account_number"}
    for key, creator, currency, state, payout_id, planned, debited, expected, diff, matched, code, reasons \
            in flow.reconciled:
        assert diff == 0
        if payout_id in failed:
            assert (state, code, debited, expected) == ("failed", failed[payout_id], 0, 0)
            assert reasons == f"payout failed: {failed[payout_id]}"
        elif state == "failed":   # the simulator fails about 2% of payouts by itself
            assert debited == 0 and code
        else:
            assert state in ("pending", "in_transit", "paid")
            assert matched and reasons == ""
            assert debited == planned


def test_itemized_report_counts_the_month(flow):
    rows = {(c, cur): (n, returned) for c, cur, n, returned in flow.itemized}
    assert sum(n for n, _ in rows.values()) == len(flow.plan_lines)
    creator, currency, payout_id = flow.failed_unchanged
    line = next(l for l in flow.plan_lines if l.creator == creator and l.currency == currency)
    assert rows[(creator, currency)] == (1, line.net)


def test_failed_payouts_reach_the_next_plan_with_their_code(flow):
    assert flow.next_checks == {P.PLANNED_WITHIN_AVAILABLE: True, P.ONE_LINE_PER_CREATOR: True}
    creator, currency, payout_id = flow.failed_unchanged
    held = [e for e in flow.next_exclusions if (e[0], e[1]) == (creator, currency)]
    assert held == [(creator, currency, "failed_payout_bank_unchanged",
                     f"{payout_id} failed (account_closed)")]
    creator, currency, payout_id, bank = flow.failed_new_bank
    retry = [l for l in flow.next_lines if (l.creator, l.currency) == (creator, currency)]
    assert len(retry) == 1
    assert (retry[0].retry_of, retry[0].failure_code, retry[0].destination) == \
        (payout_id, "invalid_account_number", bank)
    assert retry[0].amount > 0


def test_next_plan_counts_todays_payouts_through_the_reloaded_balance(flow):
    # today's payouts are in the reloaded balance, so none of them is still "in flight"
    assert flow.next_lines
    assert all(line.in_flight == 0 for line in flow.next_lines)


def test_plan_and_reconciliation_files(flow):
    for name in ("plan.csv", "exclusions.csv", "totals.csv", "preview.md", "reconciliation.csv",
                 "itemized.csv"):
        assert f"{DAY}/{name}" in flow.files
    assert f"{NEXT}/plan.csv" in flow.files
    plan_csv = flow.files[f"{DAY}/plan.csv"].read_text().splitlines()
    assert len(plan_csv) == 1 + len(flow.plan_lines)
