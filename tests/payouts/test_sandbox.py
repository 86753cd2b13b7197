"""Plan, execute, re-execute, crash and re-run, reconcile against the sandbox Stripe server
through the official SDK: exactly one payout per line, matched to the cent."""
from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal

import pytest

from pipelines.payouts.execute import execute_plan
from pipelines.payouts.fx import FxRates
from pipelines.payouts.journal import INTENT
from pipelines.payouts.model import AccountFacts, CreatorBalance, InstantRequest, PlanInputs
from pipelines.payouts.plan import build_plan
from pipelines.payouts.reconcile import reconcile
from pipelines.payouts.stripe_io import fetch_payouts
from pipelines.payouts.warehouse import Warehouse, WarehouseJournal
from pipelines.sandbox.testing import running_sandbox, stripe_client, write_world

CLOCK = 1_795_795_200 + 3_600        # Friday 2026-11-27 01:00 UTC
DAY = date(2026, 11, 27)
A, B, C = "acct_PAYOUT1STANDARD", "acct_PAYOUT2INSTANT0", "acct_PAYOUT3YEN00000"


def world_objects():
    def account(acct, bank, currency):
        return {"id": acct, "object": "account", "created": CLOCK - 90 * 86_400,
                "payouts_enabled": True, "details_submitted": True,
                "requirements": {"disabled_reason": None, "past_due": []},
                "settings": {"payouts": {"schedule": {"interval": "daily", "delay_days": 2}}},
                "external_accounts": {"object": "list", "data": [
                    {"id": bank, "object": "bank_account", "currency": currency,
                     "default_for_currency": True}]}}

    def bt(txn_id, acct, amount, fee, currency="usd"):
        return {"id": txn_id, "object": "balance_transaction", "amount": amount, "fee": fee,
                "net": amount - fee, "currency": currency, "status": "available", "type": "payment",
                "reporting_category": "charge", "available_on": CLOCK - 86_400,
                "created": CLOCK - 3 * 86_400, "_account": acct}
    return [account(A, "ba_STANDARD01", "usd"), account(B, "ba_INSTANT002", "usd"),
            account(C, "ba_YEN0000003", "jpy"),
            bt("txn_A1", A, 4_500, 290), bt("txn_B1", B, 20_000, 0),
            bt("txn_C1", C, 5_000, 0, "jpy")]


@pytest.fixture()
def sandbox(tmp_path):
    world = write_world(tmp_path / "world.sqlite", world_objects(), clock=CLOCK)
    with running_sandbox(world) as running:
        yield running


def the_plan():
    accounts = {o["id"]: AccountFacts.from_stripe(o) for o in world_objects() if o["object"] == "account"}
    inputs = PlanInputs(
        day=DAY, accounts=accounts,
        balances=(CreatorBalance(A, "USD", 4_210), CreatorBalance(B, "USD", 20_000),
                  CreatorBalance(C, "JPY", 5_000)),
        instant_requests=(InstantRequest(B, "USD", 12_345),),
        fx=FxRates(DAY, "EUR", {"USD": Decimal("1.0850"), "JPY": Decimal("162.06")}))
    return build_plan(inputs)


def payouts_by_account(world_path):
    conn = sqlite3.connect(world_path)
    rows = conn.execute("SELECT account, json_extract(payload, '$.amount') FROM objects "
                        "WHERE object = 'payout' ORDER BY seq").fetchall()
    conn.close()
    return rows


class Crash(Exception):
    pass


def test_plan_from_stripe_accounts():
    plan = the_plan()
    assert [(l.creator, l.currency, l.method, l.amount, l.fee, l.net, l.destination) for l in plan.lines] == [
        (A, "USD", "standard", 4_210, 0, 4_210, "ba_STANDARD01"),
        (B, "USD", "instant", 12_468, 123, 12_345, "ba_INSTANT002"),
        (C, "JPY", "standard", 5_000, 0, 5_000, "ba_YEN0000003")]


def test_execute_twice_pays_once_and_reconciles(sandbox, tmp_path):
    client = stripe_client(sandbox, max_network_retries=0)
    wh = Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    journal = WarehouseJournal(wh)
    lines = the_plan().lines
    first = execute_plan(lines, client, journal)
    second = execute_plan(lines, client, journal)
    assert [o.outcome for o in first] == ["created"] * 3
    assert [o.outcome for o in second] == ["already_done"] * 3
    assert [o.payout_id for o in first] == [o.payout_id for o in second]
    assert payouts_by_account(sandbox.world_path) == [(A, 4_210), (B, 12_345), (C, 5_000)]

    entries = journal.entries(DAY)
    results = reconcile(entries, fetch_payouts(client, entries), [])
    assert [(r.creator, r.state, r.debited, r.stripe_fee, r.difference, r.reasons) for r in results] == [
        (A, "pending", 4_210, 0, 0, ()), (B, "pending", 12_468, 123, 0, ()),
        (C, "pending", 5_000, 0, 0, ())]
    wh.close()


def test_crash_between_call_and_record_then_rerun_leaves_one_payout_per_line(sandbox, tmp_path):
    client = stripe_client(sandbox, max_network_retries=0)
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    lines = the_plan().lines

    def crash_on_b(line, payout):
        if line.creator == B:
            raise Crash("process killed after the API answered")

    wh = Warehouse(url)
    with pytest.raises(Crash):
        execute_plan(lines, client, WarehouseJournal(wh), after_call=crash_on_b)
    wh.close()
    wh = Warehouse(url)                                 # a new process reads the journal back
    journal = WarehouseJournal(wh)
    assert journal.get(lines[1].idempotency_key).state == INTENT
    outcomes = execute_plan(lines, client, journal)
    assert [o.outcome for o in outcomes] == ["already_done", "recovered", "created"]
    assert payouts_by_account(sandbox.world_path) == [(A, 4_210), (B, 12_345), (C, 5_000)]
    # and once more, with the key look-up out of the way, the idempotency key alone holds
    wh.close()
    lost = Warehouse(f"duckdb:///{tmp_path / 'lost.duckdb'}")
    outcomes = execute_plan(lines, client, WarehouseJournal(lost))
    assert [o.outcome for o in outcomes] == ["created"] * 3   # Stripe replayed each answer
    assert len({o.payout_id for o in outcomes}) == 3
    assert payouts_by_account(sandbox.world_path) == [(A, 4_210), (B, 12_345), (C, 5_000)]
    lost.close()
