"""The sandbox answers the expansions ingestion relies on like Stripe: a platform transfer's
`destination_payment` (a payment on the connected account, made up from the balance transaction
it booked there) with its `balance_transaction`, a reversal's `destination_payment_refund`, a
connected account's payouts with their balance transactions; list paths start with `data.`;
at most four levels, `data` counted. Driven through the official SDK on a hand-built world."""
from __future__ import annotations

import pytest
import stripe

from pipelines.sandbox.testing import running_sandbox, stripe_client, write_world

CLOCK = 1_790_000_000
DAY = 86_400
ACCT = "acct_CCCCCCCCCCCCCCCC"
T1, T2 = CLOCK - 3 * DAY, CLOCK - DAY


def obj(object_name, object_id, created, **fields):
    return {"id": object_id, "object": object_name, "created": created, "livemode": False,
            "metadata": {}, **fields}


def txn(txn_id, created, amount, source, type_, account=ACCT):
    return obj("balance_transaction", txn_id, created, amount=amount, net=amount, fee=0,
               fee_details=[], currency="eur", source=source, type=type_, status="available",
               available_on=created, _account=account)


def world_objects():
    return [
        obj("account", ACCT, CLOCK - 400 * DAY, country="DE"),
        # the platform side of each transfer, then the payment it booked on the account
        txn("txn_plat1", T1, -1100, "tr_1", "transfer", account=""),
        txn("txn_py1", T1, 1000, "py_1", "payment"),
        obj("transfer", "tr_1", T1, amount=1100, amount_reversed=300, currency="usd",
            destination=ACCT, destination_payment="py_1", balance_transaction="txn_plat1",
            reversals={"object": "list", "data": [], "has_more": False,
                       "url": "/v1/transfers/tr_1/reversals"}),
        txn("txn_pyr1", T2, -270, "pyr_1", "payment_refund"),
        obj("transfer_reversal", "trr_1", T2, amount=300, currency="usd", transfer="tr_1",
            destination_payment_refund="pyr_1", balance_transaction=None, _parent="tr_1"),
        txn("txn_po1", T2, -730, "po_1", "payout"),
        obj("payout", "po_1", T2, amount=730, currency="eur", status="pending",
            balance_transaction="txn_po1", failure_balance_transaction=None,
            arrival_date=T2 + 2 * DAY, _account=ACCT),
    ]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    world = write_world(tmp_path_factory.mktemp("world") / "expand.sqlite", world_objects(),
                        clock=CLOCK)
    with running_sandbox(world) as running:
        yield stripe_client(running, max_network_retries=0)


def test_platform_transfer_list_expands_the_payment_on_the_connected_account(client):
    page = client.v1.transfers.list({"expand": ["data.destination_payment.balance_transaction"]})
    (tr,) = page.data
    payment = tr.destination_payment
    assert (payment.id, payment.object, payment.amount, payment.currency) == ("py_1", "charge", 1000, "eur")
    assert payment.source_transfer == "tr_1"
    # the balance transaction exactly as the account's own list gives it
    listed = client.v1.balance_transactions.list(options={"stripe_account": ACCT})
    by_id = {t.id: t.to_dict() for t in listed.data}
    assert payment.balance_transaction.to_dict() == by_id["txn_py1"]
    # unexpanded, the transfer names the payment by id
    assert client.v1.transfers.retrieve("tr_1").destination_payment == "py_1"


def test_reversal_expands_the_refund_of_the_payment(client):
    rev = client.v1.transfers.reversals.retrieve(
        "tr_1", "trr_1", {"expand": ["destination_payment_refund.balance_transaction"]})
    refund = rev.destination_payment_refund
    assert (refund.id, refund.object, refund.amount) == ("pyr_1", "refund", 270)
    assert (refund.balance_transaction.id, refund.balance_transaction.amount) == ("txn_pyr1", -270)


def test_connected_payouts_expand_their_balance_transactions(client):
    page = client.v1.payouts.list({"expand": ["data.balance_transaction",
                                              "data.failure_balance_transaction"]},
                                  options={"stripe_account": ACCT})
    (po,) = page.data
    assert (po.balance_transaction.id, po.balance_transaction.amount) == ("txn_po1", -730)
    assert po.failure_balance_transaction is None


def test_expansion_depth_is_at_most_four_levels_data_counted(client):
    # data.reversals.data.destination_payment_refund.balance_transaction: five levels
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.transfers.list({"expand": [
            "data.reversals.data.destination_payment_refund.balance_transaction"]})
    assert err.value.param == "expand" and "4 levels" in str(err.value)
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.transfers.retrieve("tr_1", {"expand": ["a.b.c.d.e"]})
    assert err.value.param == "expand"
    # four levels are allowed
    page = client.v1.balance_transactions.list(
        {"expand": ["data.source.destination_payment.balance_transaction"]})
    (plat,) = [t for t in page.data if t.id == "txn_plat1"]
    assert plat.source.destination_payment.balance_transaction.id == "txn_py1"
