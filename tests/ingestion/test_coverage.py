"""Rule 3's proofs (`pipelines.stripe.coverage`): an expanded transfer lands as the unexpanded list
gives it plus its payment's balance transaction on the destination account; per account, the
platform rows newer than its balance transactions' listing that the warehouse shows, on DuckDB
and on PostgreSQL."""
from __future__ import annotations

import uuid

import orjson
import pytest

from pipelines.stripe.coverage import platform_activity, take_expanded, unshown_activity
from pipelines.stripe.records import to_row
from pipelines.stripe.state import StreamState
from pipelines.warehouse.connect import open_landing

S = 1_790_000_000            # when each account's balance transactions were last listed
A, B, C = "acct_A", "acct_B", "acct_C"


def transfer(tid, account, created, py, reversed_=0, source_tx=None):
    return {"id": tid, "object": "transfer", "amount": 1000, "amount_reversed": reversed_,
            "created": created, "currency": "usd", "destination": account,
            "destination_payment": py, "source_transaction": source_tx, "livemode": False,
            "reversals": {"object": "list", "data": [], "has_more": False,
                          "url": f"/v1/transfers/{tid}/reversals"}}


def txn(tid, created, source, amount=900):
    return {"id": tid, "object": "balance_transaction", "amount": amount, "net": amount, "fee": 0,
            "currency": "eur", "created": created, "available_on": created + 2 * 86_400,
            "source": source, "type": "payment", "status": "pending", "livemode": False}


def fee(fid, account, created, charge, refunded=0):
    return {"id": fid, "object": "application_fee", "account": account, "amount": 100,
            "amount_refunded": refunded, "charge": charge, "created": created, "currency": "usd",
            "livemode": False}


def test_take_expanded_puts_the_transfer_back_and_returns_the_payment_booking():
    listed = transfer("tr_1", A, S, "py_1")
    expanded = orjson.loads(orjson.dumps(listed))
    expanded["destination_payment"] = {"id": "py_1", "object": "charge",
                                       "balance_transaction": txn("txn_1", S, "py_1")}
    assert take_expanded(expanded, "transfer", None) == [(txn("txn_1", S, "py_1"), A)]
    assert orjson.dumps(expanded) == orjson.dumps(listed)       # same bytes, same key order
    assert take_expanded(listed, "transfer", None) == []          # not expanded: nothing
    assert take_expanded(dict(expanded), "transfer", A) == []     # only the platform's transfers
    assert take_expanded(txn("txn_2", S, "po_1"), "balance_transaction", None) == []


def test_unshown_activity_keeps_the_newest_unshown_time_per_account():
    rows = [(A, 2 * (S + 10) + 1, "transfer", True), (A, 2 * (S + 5) + 1, "transfer", False),
            (B, 2 * (S + 7), "transfer", True), (C, 2 * (S + 3) + 1, "account", False),
            (C, 2 * (S + 9) + 1, "transfer", False)]
    assert unshown_activity(rows) == {A: S + 5, B: None, C: S + 9}


def land_world(url):
    landing = open_landing(url)
    landing.ensure_schema()
    now = S + 86_400
    listed = [StreamState("balance_transaction", acct, cursor=S - 60, synced_through=S)
              for acct in (A, B, C)]
    old, new = S - 3600, S + 3600          # before and after the accounts' listing
    rows = [
        # A: a new transfer whose payment's booking landed (by the expansion), and its charge's
        # application fee -> shown; an old transfer (listed before) -> no news at all
        to_row("transfer", transfer("tr_a1", A, new, "py_a1", source_tx="ch_a1"), account=None,
               api_version=None, source="list", observed_at=now),
        to_row("balance_transaction", txn("txn_a1", new, "py_a1"), account=A, api_version=None,
               source="list", observed_at=now),
        to_row("application_fee", fee("fee_a1", A, new, "ch_a1"), account=None, api_version=None,
               source="list", observed_at=now),
        to_row("transfer", transfer("tr_a0", A, old, "py_a0"), account=None, api_version=None,
               source="list", observed_at=S - 10),
        # B: a new transfer whose booking did not land (it came by an event) -> unshown
        to_row("transfer", transfer("tr_b1", B, new, "py_b1", source_tx="ch_b1"), account=None,
               api_version=None, source="event", observed_at=new),
        # C: an old transfer reversed today (its booking landed long ago) -> unshown; a refunded
        # fee -> unshown; its shown transfer does not hide them
        to_row("transfer", transfer("tr_c0", C, old, "py_c0", reversed_=300), account=None,
               api_version=None, source="event", observed_at=new + 50),
        to_row("balance_transaction", txn("txn_c0", old, "py_c0"), account=C, api_version=None,
               source="list", observed_at=S),
        to_row("transfer", transfer("tr_c1", C, new, "py_c1", source_tx="ch_c1"), account=None,
               api_version=None, source="list", observed_at=now),
        to_row("balance_transaction", txn("txn_c1", new, "py_c1"), account=C, api_version=None,
               source="list", observed_at=now),
        to_row("application_fee", fee("fee_c1", C, new, "ch_c1", refunded=100), account=None,
               api_version=None, source="event", observed_at=new + 80),
    ]
    landing.write(rows, [], listed, "test")
    return landing


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_platform_activity_proves_transfers_and_fees_from_landed_bookings(engine, tmp_path):
    if engine == "duckdb":
        url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    else:
        from tests.pg import fresh_database
        url = fresh_database(f"cashbook_coverage_{uuid.uuid4().hex[:8]}")
    landing = land_world(url)
    try:
        got = platform_activity(landing)
    finally:
        landing.close()
    # list rows carry observed * 2 + 1, event rows observed * 2: times are observed seconds
    assert got == {A: None, B: S + 3600, C: S + 3600 + 80}


class CountingApi:
    def __init__(self):
        self.paths = []

    def get(self, path, params=None, account=None, *, label="other", decode=None):
        from pipelines.stripe.client import Response
        self.paths.append(path)
        return Response(200, {"id": path.rsplit("/", 1)[1], "object": "charge", "created": 10,
                              "livemode": False, "amount": 1, "currency": "usd"}, None)


def test_an_old_version_event_is_not_retrieved_when_this_run_lists_its_object_anyway():
    import queue

    import stripe

    from pipelines.stripe.readers import Batch, EventApplier, PageBuilder, ReaderContext

    api = CountingApi()
    ctx = ReaderContext(api, queue.Queue(), now=1000, full_since={})
    # this run lists the platform's charges created from 100 on, a pass started at 1000
    ctx.listing[("charge", "")] = (100, 1000)

    def event(eid, obj_created, created):
        return {"id": eid, "type": "charge.updated", "created": created, "api_version": "2020-01-01",
                "data": {"object": {"id": f"ch_{eid}", "object": "charge", "created": obj_created}}}

    assert stripe.api_version != "2020-01-01"
    apply, batch = EventApplier(ctx), Batch()
    builder = PageBuilder(ctx, batch)
    apply(builder, event("new", 150, 900), None)       # listed by the pass: no call, no row
    apply(builder, event("old", 50, 900), None)        # older than the floor: retrieved
    apply(builder, event("late", 150, 1001), None)     # newer than the pass's start: retrieved
    assert api.paths == ["/v1/charges/ch_old", "/v1/charges/ch_late"]
    assert sorted(r.id for r in batch.rows) == ["ch_late", "ch_old"]
    # a stream this run does not list: every old-version event is retrieved
    other = event("acct", 150, 900)
    apply(builder, other, "acct_X")
    assert api.paths[-1] == "/v1/charges/ch_acct"
