"""Background fraud carries the signals real fraud does (issue 2: "fraud patterns with signal").

Stolen-card fraudsters are new fans whose card or IP country is not their billing country, who
pay big soon after signing up, often after declined tries; fans' accounts taken over pay big tips
from an IP abroad; only a small share of fraud reports (friendly fraud) falls on ordinary payments.
Every fraud-labelled charge (fraudulent dispute or early fraud warning) is in the simulator's
ground truth (`fraud_labels`).

One `small` world for the module (~10 s).
"""
from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from decimal import Decimal
from statistics import median

import orjson
import pytest

from pipelines.sandbox.generate import generate_world
from pipelines.sandbox.world import DAY


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("fraud_signal") / "small-42.sqlite"
    generate_world(path, size="small", seed=42)
    conn = sqlite3.connect(path)
    charges = [orjson.loads(p) for (p,) in conn.execute(
        "SELECT payload FROM objects WHERE object = 'charge' ORDER BY seq")]
    customers = {c["id"]: c for c in (orjson.loads(p) for (p,) in conn.execute(
        "SELECT payload FROM objects WHERE object = 'customer'"))}
    disputes = [orjson.loads(p) for (p,) in conn.execute("SELECT payload FROM objects WHERE object = 'dispute'")]
    efws = [orjson.loads(p) for (p,) in conn.execute(
        "SELECT payload FROM objects WHERE object = 'radar.early_fraud_warning'")]
    labels = dict(conn.execute("SELECT id, label FROM fraud_labels"))
    conn.close()
    positives = {d["charge"] for d in disputes if d["reason"] == "fraudulent"} | {e["charge"] for e in efws}
    return charges, customers, labels, positives


def _kind(label: str | None) -> str | None:
    return None if label is None else label.rsplit("_", 1)[0] if label.startswith("fraud_ring_") else label


def _mismatch(ch: dict) -> bool:
    billing = ch["billing_details"]["address"]["country"]
    return billing != ch["payment_method_details"]["card"]["country"] or billing != ch["metadata"]["ip_country"]


def test_every_fraud_report_is_in_the_ground_truth(world):
    charges, _, labels, positives = world
    assert positives
    unlabelled = sorted(p for p in positives if p not in labels)
    assert unlabelled == []
    kinds = Counter(_kind(labels[p]) for p in positives)
    assert {"fraud_ring", "card_testing", "stolen_card"} <= set(kinds)
    # ordinary-looking (friendly) fraud is a small share of the reports, not the background
    assert kinds["friendly_fraud"] <= 0.15 * sum(kinds.values()), kinds


def test_stolen_card_fraudsters_look_like_fraud(world):
    charges, customers, labels, _ = world
    fraudsters = {i for i, lab in labels.items() if lab == "stolen_card" and i.startswith("cus_")}
    assert len(fraudsters) >= 5
    stolen = [c for c in charges if c["customer"] in fraudsters]
    ordinary = [c for c in charges if c["id"] not in labels and c["customer"] not in labels]
    paid = [c for c in stolen if c["status"] == "succeeded"]
    assert len(paid) >= 10 and all(labels.get(c["id"]) == "stolen_card" for c in paid)

    def share(rows, test):
        return sum(map(test, rows)) / len(rows)

    # countries: card or IP elsewhere than the billing address, far more often than for fans
    assert share(paid, _mismatch) >= 0.5 > 0.2 >= share(ordinary, _mismatch)
    # new: every payment within a month of the customer's creation, most on the first day
    age = [(c["created"] - customers[c["customer"]]["created"]) / DAY for c in paid]
    assert max(age) <= 31 and sum(a < 1 for a in age) >= len(age) / 2
    # declined tries before a success: some fraudsters have failed charges before their first payment
    first_paid = {}
    for c in paid:
        first_paid.setdefault(c["customer"], c["created"])
    tried = {c["customer"] for c in stolen if c["status"] == "failed"
             and c["created"] <= first_paid.get(c["customer"], c["created"])}
    assert tried and len(tried) < len(fraudsters)  # some, not all
    # expensive: the median fraudster payment is well above the median ordinary payment (in USD terms
    # only USD charges are compared, so currencies do not blur it)
    usd = [Decimal(c["amount"]) for c in paid if c["currency"] == "usd"]
    usd_ordinary = [Decimal(c["amount"]) for c in ordinary if c["currency"] == "usd" and c["status"] == "succeeded"]
    assert usd and median(usd) >= 2 * median(usd_ordinary)


def test_fraudsters_cards_get_blocked(world):
    charges, _, labels, _ = world
    by_customer = defaultdict(list)
    for c in charges:
        if labels.get(c["customer"]) == "stolen_card":
            by_customer[c["customer"]].append(c)
    declined_later = [c for rows in by_customer.values() for c in rows
                      if c["status"] == "failed" and c["outcome"]["reason"] in ("stolen_card", "lost_card", "do_not_honor")]
    # after the bank blocks the card, renewals fail: no fraudster keeps paying month after month
    for rows in by_customer.values():
        paid = [c["created"] for c in rows if c["status"] == "succeeded"]
        if paid:
            assert max(paid) - min(paid) <= 35 * DAY
    assert declined_later


def test_worlds_saved_before_the_fraud_fields_still_load():
    """`advance` unpickles the simulation: a customer pickled without `fraud`/`blocked` (an older
    world) gets their defaults instead of failing on first use."""
    import pickle

    from pipelines.sandbox.simulate import Customer

    old = Customer("cus_1", "Ava Smith", "ava@fans.example", "US", "usd", {}, {"funding": "credit"},
                   "pm_1", "11.2.3.4", "US", None, "ABCD1234", ring=2)
    del old.fraud, old.blocked  # as saved by the simulator before these fields existed
    loaded = pickle.loads(pickle.dumps(old))
    assert (loaded.ring, loaded.fraud, loaded.blocked, loaded.fake) == (2, None, False, True)
    fraudster = Customer("cus_2", "Bo Li", "bo@fans.example", "GB", "gbp", {}, {"funding": "prepaid"},
                         "pm_2", "12.2.3.4", "NG", None, "EFGH5678", fraud="stolen_card", blocked=True)
    assert pickle.loads(pickle.dumps(fraudster)) == fraudster
