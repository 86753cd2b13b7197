"""Objects whose money fields would corrupt every sum are quarantined at landing, with the field."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.stripe.rejects import problem_with

FIXTURES = json.loads(
    (Path(__file__).resolve().parents[2].parent / "shared" / "stripe" / "fixtures3.json").read_text()
)["resources"]


@pytest.mark.parametrize("object_name", [
    "charge", "payment_intent", "refund", "dispute", "transfer", "transfer_reversal",
    "application_fee", "payout", "invoice", "credit_note", "balance_transaction",
])
def test_stripes_own_examples_land(object_name):
    assert problem_with(FIXTURES[object_name], object_name) is None


@pytest.mark.parametrize("change, expected", [
    ({"amount": -4200}, ("amount", "negative (-4200), Stripe never sends a negative amount on a charge")),
    ({"amount": None}, ("amount", "missing")),
    ({"amount": 12.5}, ("amount", "not an integer amount in minor units (float)")),
    ({"amount": "1000"}, ("amount", "not an integer amount in minor units (str)")),
    ({"currency": "xxx"}, ("currency", "'xxx' is not an ISO 4217 currency")),
    ({"currency": None}, ("currency", "missing")),
])
def test_bad_charge_money_is_rejected_with_its_field(change, expected):
    charge = {**FIXTURES["charge"], **change}
    assert problem_with(charge, "charge") == expected


def test_negative_balance_transactions_and_other_currencies_land():
    payout_txn = {**FIXTURES["balance_transaction"], "amount": -2500, "net": -2500, "currency": "nzd"}
    assert problem_with(payout_txn, "balance_transaction") is None


def test_stripes_example_event_lands_and_an_event_without_type_or_object_is_quarantined():
    event = FIXTURES["event"]
    assert problem_with(event, "event") is None
    assert problem_with({k: v for k, v in event.items() if k != "type"}, "event") == ("type", "missing")
    assert problem_with(dict(event, type=""), "event") == ("type", "not a non-empty string ('')")
    assert problem_with(dict(event, data={}), "event") == ("data.object", "missing")
    assert problem_with(dict(event, data={"object": "ch_1"}), "event") == (
        "data.object", "not a JSON object (str)")
