"""POST /v1/payouts on a connected account: balance check, the objects written, and
Idempotency-Key (same key -> same payout, never a second one; other parameters -> error)."""
from __future__ import annotations

import sqlite3
import threading

import pytest
import stripe

from pipelines.sandbox.server import arrival_date, instant_payout_fee
from pipelines.sandbox.testing import running_sandbox, stripe_client, write_world

CLOCK = 1_790_000_000  # Monday 2026-09-21 14:13:20 UTC
MONDAY = 1_789_948_800  # its midnight
DAY = 86_400
ACCT = "acct_PAYOUTPAYOUT0001"


def world_objects():
    """ACCT's usd balance: available 9,680 + 0 - 2,000 = 7,680 (the 4,825 is still pending);
    eur 1,000 available."""
    def bt(txn_id, amount, fee, status, available_on, currency="usd", kind="payment"):
        return {"id": txn_id, "object": "balance_transaction", "amount": amount, "fee": fee,
                "net": amount - fee, "currency": currency, "status": status, "type": kind,
                "available_on": available_on, "created": available_on - 2 * DAY,
                "_account": ACCT}
    return [
        {"id": ACCT, "object": "account", "created": CLOCK - 100 * DAY,
         "external_accounts": {"object": "list", "data": [{"id": "ba_PAYOUTBANK01"}]}},
        bt("txn_1", 10_000, 320, "available", CLOCK - 10 * DAY),
        bt("txn_2", 5_000, 175, "pending", CLOCK + 2 * DAY),
        bt("txn_3", -2_000, 0, "available", CLOCK - 5 * DAY, kind="payout"),
        # status still says pending, but its available_on has passed: it counts as available
        bt("txn_4", 1_000, 0, "pending", CLOCK - 1, currency="eur"),
    ]


@pytest.fixture()
def running(tmp_path):
    world = write_world(tmp_path / "payouts.sqlite", world_objects(), clock=CLOCK)
    with running_sandbox(world) as running:
        yield running


def payouts_in_store(running):
    conn = sqlite3.connect(running.world_path)
    rows = conn.execute("SELECT id FROM objects WHERE object = 'payout' ORDER BY seq").fetchall()
    conn.close()
    return [r[0] for r in rows]


def test_pure_payout_rules():
    assert arrival_date(CLOCK, "standard") == MONDAY + 2 * DAY  # Wednesday
    friday = MONDAY + 4 * DAY + 3600
    assert arrival_date(friday, "standard") == MONDAY + 8 * DAY  # Tuesday after the weekend
    assert arrival_date(CLOCK, "instant") == CLOCK
    assert instant_payout_fee(5_000, "usd") == 50      # 1% of 50.00 = 0.50 = the floor
    assert instant_payout_fee(12_345, "usd") == 123     # 123.45 -> 1.2345 -> 1.23
    assert instant_payout_fee(12_350, "usd") == 124     # 1.235 half-up -> 1.24
    assert instant_payout_fee(1_000, "usd") == 50       # floor
    assert instant_payout_fee(20_000, "jpy") == 200     # zero-decimal: 1% of ¥20,000


def test_payout_checks_balance_and_writes_payout_txn_event(running):
    client = stripe_client(running, max_network_retries=0)
    on_acct = {"stripe_account": ACCT}
    payout = client.v1.payouts.create(
        {"amount": 5_000, "currency": "usd", "method": "instant", "description": "weekly",
         "metadata": {"plan": "2026-09-21"}}, {**on_acct, "idempotency_key": "k-instant"})
    assert (payout.amount, payout.currency, payout.method, payout.status) == (5000, "usd", "instant", "pending")
    assert payout.metadata.plan == "2026-09-21"
    assert payout.destination == "ba_PAYOUTBANK01"
    assert payout.created == CLOCK and payout.arrival_date == CLOCK
    txn = client.v1.balance_transactions.retrieve(payout.balance_transaction, options=on_acct)
    assert (txn.amount, txn.fee, txn.net, txn.type, txn.reporting_category, txn.source) == (
        -5_000, 50, -5_050, "payout", "payout", payout.id)
    events = client.v1.events.list({"type": "payout.created"}, options=on_acct)
    assert [e.data.object.id for e in events.data] == [payout.id]
    assert events.data[0].account == ACCT
    # 7,680 - 5,050 = 2,630 left: exactly that much can go out, one more cent cannot
    standard = client.v1.payouts.create({"amount": 2_630, "currency": "usd"}, on_acct)
    assert standard.method == "standard" and standard.arrival_date == MONDAY + 2 * DAY
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payouts.create({"amount": 1, "currency": "usd"}, on_acct)
    assert err.value.code == "balance_insufficient" and err.value.http_status == 400
    balance = client.v1.balance.retrieve(options=on_acct)
    assert {(b.currency, b.amount) for b in balance.available} == {("usd", 0), ("eur", 1_000)}
    assert {(b.currency, b.amount) for b in balance.pending} == {("usd", 4_825), ("eur", 0)}
    # eur: 1,000 became available by date although its status still reads pending
    euros = client.v1.payouts.create({"amount": 1_000, "currency": "eur"}, on_acct)
    assert euros.amount == 1_000
    # all three on the same clock second: newest (last written) first
    assert [p.id for p in client.v1.payouts.list(options=on_acct).data] == [
        euros.id, standard.id, payout.id]
    assert payouts_in_store(running) == [payout.id, standard.id, euros.id]


def test_same_key_same_payout_and_replay_header(running):
    client = stripe_client(running, max_network_retries=0)
    options = {"stripe_account": ACCT, "idempotency_key": "plan-2026-09-21-usd"}
    first = client.v1.payouts.create({"amount": 700, "currency": "usd"}, options)
    second = client.v1.payouts.create({"amount": 700, "currency": "usd"}, options)
    assert second.id == first.id
    assert second.last_response.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert payouts_in_store(running) == [first.id]
    with pytest.raises(stripe.IdempotencyError) as err:
        client.v1.payouts.create({"amount": 701, "currency": "usd"}, options)
    assert err.value.http_status == 400
    assert payouts_in_store(running) == [first.id]


def test_racing_threads_on_one_key_make_one_payout(running):
    ids, errors = [], []
    start = threading.Barrier(8)

    def pay():
        client = stripe_client(running, max_network_retries=0)
        start.wait()
        try:
            ids.append(client.v1.payouts.create(
                {"amount": 1_234, "currency": "usd"},
                {"stripe_account": ACCT, "idempotency_key": "race"}).id)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=pay) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(ids) == 8 and len(set(ids)) == 1
    assert payouts_in_store(running) == [ids[0]]


def test_insufficient_balance_is_replayed_for_its_key(running):
    client = stripe_client(running, max_network_retries=0)
    options = {"stripe_account": ACCT, "idempotency_key": "too-much"}
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as err:
            client.v1.payouts.create({"amount": 7_681, "currency": "usd"}, options)
        assert err.value.code == "balance_insufficient"
    assert err.value.headers.get("Idempotent-Replayed") == "true"
    assert payouts_in_store(running) == []


def test_bad_payout_parameters(running):
    client = stripe_client(running, max_network_retries=0)
    on_acct = {"stripe_account": ACCT}
    cases = [({"currency": "usd"}, "amount"), ({"amount": 0, "currency": "usd"}, "amount"),
             ({"amount": "ten", "currency": "usd"}, "amount"),
             ({"amount": 100, "currency": "usd", "method": "teleport"}, "method"),
             ({"amount": 100, "currency": "usd", "speed": "fast"}, "speed")]
    for params, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as err:
            client.v1.payouts.create(params, on_acct)
        assert err.value.param == param
    assert payouts_in_store(running) == []


def test_balance_transactions_of_a_payout(running):
    """`payout=` lists what the payout paid out: its own transaction plus the account's
    transactions in its currency that became available since the previous payout (none here):
    txn_1 only (txn_2 is not available yet, txn_3 is a payout, txn_4 is in eur)."""
    client = stripe_client(running, max_network_retries=0)
    on_acct = {"stripe_account": ACCT}
    payout = client.v1.payouts.create({"amount": 3_000, "currency": "usd"}, on_acct)
    listed = client.v1.balance_transactions.list({"payout": payout.id}, on_acct)
    assert [t.id for t in listed.data] == [payout.balance_transaction, "txn_1"]
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.balance_transactions.list({"payout": "po_missing"}, on_acct)
    assert err.value.param == "payout"
