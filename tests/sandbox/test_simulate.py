"""The simulated world: shapes, money invariants, determinism, time travel, tax profiles.

One `small` world per test session (generated once, ~10 s), a `tiny` one twice for determinism.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import orjson
import pytest
from stdnum.us import ein, ssn

from pipelines.catalog import OBJECT_TYPES
from pipelines.money import to_major, to_minor
from pipelines.sandbox.advance import advance_world
from pipelines.sandbox.generate import DEFAULT_END, generate_world
from pipelines.sandbox.people import VAT_RATES, vat_number_is_valid
from pipelines.sandbox.world import DAY

FIXTURES = Path("/work/shared/stripe/fixtures3.json")
TEMPLATES = Path(__file__).resolve().parents[2] / "pipelines" / "sandbox" / "stripe_templates.json"


def fixture_resources() -> dict:
    source = FIXTURES if FIXTURES.exists() else TEMPLATES
    data = json.loads(source.read_text())
    return data.get("resources", data)


@pytest.fixture(scope="session")
def small_world(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sim") / "small-42.sqlite"
    generate_world(path, size="small", seed=42)
    return path


@pytest.fixture(scope="session")
def db(small_world):
    conn = sqlite3.connect(small_world)
    yield conn
    conn.close()


def payloads(conn, obj: str, account: str | None = None) -> list[dict]:
    if account is None:
        rows = conn.execute("SELECT payload FROM objects WHERE object = ? ORDER BY seq", (obj,))
    else:
        rows = conn.execute("SELECT payload FROM objects WHERE object = ? AND account = ? ORDER BY seq",
                            (obj, account))
    return [orjson.loads(r[0]) for r in rows]


def test_meta_and_clock(db):
    meta = dict(db.execute("SELECT key, value FROM meta"))
    assert int(meta["clock"]) == DEFAULT_END == 1793491200  # 2026-11-01T00:00:00Z
    assert meta["size"] == "small" and meta["seed"] == "42"
    assert meta["api_version"] == "2026-10-28.endive"
    assert meta["api_key"].startswith("sk_test_51Sbx") and len(meta["api_key"]) > 90
    # 6 months of history: 2026-05-01
    assert int(meta["start"]) == 1777593600
    lo, hi = db.execute("SELECT MIN(created), MAX(created) FROM objects").fetchone()
    assert int(meta["start"]) <= lo and hi < int(meta["clock"])


def test_every_object_type_present_with_every_fixture_key(db):
    resources = fixture_resources()
    for kind in [t.object for t in OBJECT_TYPES] + ["line_item"]:
        rows = payloads(db, kind)
        assert rows, f"no {kind} objects"
        expected = set(resources[kind])
        for obj in rows:
            missing = expected - set(obj)
            assert not missing, f"{kind} {obj['id']} misses {sorted(missing)}"
            assert obj["object"] == kind
            assert obj["livemode"] is False if "livemode" in obj else True


def test_ids_have_catalog_prefixes_and_are_unique(db):
    for t in OBJECT_TYPES:
        ids = [r[0] for r in db.execute("SELECT id FROM objects WHERE object = ?", (t.object,))]
        assert all(i.startswith(t.id_prefix) for i in ids), t.object
    total, distinct = db.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM objects").fetchone()
    assert total == distinct


def test_scale_of_the_small_world(db):
    subs = payloads(db, "subscription")
    assert 50 <= len(payloads(db, "account")) <= 60
    assert 800 <= len(subs) <= 1400
    active = sum(s["status"] in ("active", "past_due", "trialing") for s in subs)
    assert 550 <= active <= 1100
    statuses = {s["status"] for s in subs}
    assert {"active", "canceled", "trialing"} <= statuses


def test_destination_charges_split_exactly(db):
    transfers = {t["id"]: t for t in payloads(db, "transfer")}
    fees = {f["id"]: f for f in payloads(db, "application_fee")}
    bts = {b["id"]: b for b in payloads(db, "balance_transaction", "")}
    succeeded = [c for c in payloads(db, "charge") if c["status"] == "succeeded"]
    assert len(succeeded) > 1500
    for ch in succeeded:
        tr = transfers[ch["transfer"]]
        assert ch["application_fee_amount"] + tr["amount"] == ch["amount"], ch["id"]
        assert fees[ch["application_fee"]]["amount"] == ch["application_fee_amount"]
        assert tr["destination"] == ch["transfer_data"]["destination"]
        assert ch["transfer_data"]["amount"] == tr["amount"]
        assert tr["currency"] == ch["currency"] and tr["source_transaction"] == ch["id"]
        bt = bts[ch["balance_transaction"]]  # every succeeded charge has its platform BT
        assert bt["source"] == ch["id"] and bt["currency"] == "usd" and bt["reporting_category"] == "charge"
        assert (bt["exchange_rate"] is None) == (ch["currency"] == "usd")
    failed = [c for c in payloads(db, "charge") if c["status"] == "failed"]
    assert failed and all(c["balance_transaction"] is None and c["failure_code"] for c in failed)


def test_no_payment_for_a_zero_or_negative_total(db):
    """Stripe never charges a non-positive amount: a downgrade whose credit outweighs the new
    price leaves a negative total, paid at zero with the credit on the customer's balance. (The
    demo world once charged -1.62 USD for one; ingestion rightly quarantined the charge.)"""
    assert all(c["amount"] > 0 for c in payloads(db, "charge"))
    assert all(p["amount"] > 0 for p in payloads(db, "payment_intent"))
    for inv in payloads(db, "invoice"):
        assert inv["amount_due"] >= 0 and inv["ending_balance"] == min(inv["total"], 0), inv["id"]
        if inv["total"] <= 0 and inv["status"] != "void":
            assert inv["status"] == "paid" and inv["amount_paid"] == 0, inv["id"]


def test_stripe_fee_is_card_price_on_the_settled_amount(db):
    charges = {c["id"]: c for c in payloads(db, "charge")}
    checked = 0
    for bt in payloads(db, "balance_transaction", ""):
        if bt["type"] != "charge":
            continue
        ch = charges[bt["source"]]
        card = ch["payment_method_details"]["card"]
        pct = 290 + (150 if card["country"] != "US" else 0) + (100 if ch["currency"] != "usd" else 0)
        # half-up of amount x pct / 10000, plus 30 cents: integer arithmetic
        expected = (bt["amount"] * pct * 2 + 10000) // 20000 + 30
        assert bt["fee"] == expected, bt["id"]
        checked += 1
    assert checked > 1500


def test_balance_transactions_net_and_fee_details(db):
    rows = db.execute("SELECT account, payload FROM objects WHERE object = 'balance_transaction'").fetchall()
    categories = defaultdict(set)
    for account, payload in rows:
        bt = orjson.loads(payload)
        for key in ("amount", "fee", "net"):
            assert type(bt[key]) is int, (bt["id"], key)
        assert bt["net"] == bt["amount"] - bt["fee"], bt["id"]
        assert bt["fee"] == sum(d["amount"] for d in bt["fee_details"]), bt["id"]
        categories["platform" if account == "" else "connected"].add(bt["reporting_category"])
    assert {"charge", "refund", "dispute", "transfer", "transfer_reversal", "payout"} <= categories["platform"]
    assert {"charge", "refund", "payout", "transfer"} <= categories["connected"]


def test_connected_balances_add_up_to_payouts_plus_balance(db):
    balances = {a: (c, av, pe) for a, c, av, pe in db.execute("SELECT account, currency, available, pending FROM balances")}
    accounts = [a["id"] for a in payloads(db, "account")]
    assert set(accounts) <= set(balances)
    for acct in accounts + [""]:
        currency, available, pending = balances[acct]
        bts = payloads(db, "balance_transaction", acct)
        assert all(b["currency"] == currency for b in bts)
        payouts = payloads(db, "payout", acct)
        paid_out = sum(p["amount"] for p in payouts if p["status"] != "failed")
        activity = sum(b["net"] for b in bts if b["reporting_category"] not in ("payout", "payout_reversal"))
        assert activity == paid_out + available + pending, acct
        assert sum(b["net"] for b in bts) == available + pending, acct
        for p in payouts:
            assert p["currency"] == currency


def test_invoices_add_up_with_vat_and_reverse_charge(db):
    customers = {c["id"]: c for c in payloads(db, "customer")}
    lines_by_invoice = defaultdict(list)
    for row in db.execute("SELECT parent, payload FROM objects WHERE object = 'line_item' ORDER BY seq"):
        lines_by_invoice[row[0]].append(orjson.loads(row[1]))
    seen = set()
    for inv in payloads(db, "invoice"):
        lines = lines_by_invoice[inv["id"]]
        assert lines and inv["subtotal"] == sum(li["amount"] for li in lines)
        discount = sum(d["amount"] for d in inv["total_discount_amounts"])
        tax = sum(t["amount"] for t in inv["total_taxes"])
        assert inv["total"] == inv["subtotal"] - discount + tax
        assert inv["total_excluding_tax"] == inv["subtotal"] - discount
        country = inv["customer_address"]["country"]
        if inv["customer_tax_exempt"] == "reverse":
            assert tax == 0 and inv["total_taxes"][0]["taxability_reason"] == "reverse_charge"
            assert vat_number_is_valid(inv["customer_tax_ids"][0]["value"])
            seen.add("reverse")
        elif country in VAT_RATES:
            if inv["customer_tax_ids"]:  # a VAT number that fails its check digit: consumer VAT
                assert not vat_number_is_valid(inv["customer_tax_ids"][0]["value"])
                seen.add("invalid_vat_charged")
            for li in lines:
                net = li["amount"] - sum(d["amount"] for d in li["discount_amounts"])
                rate = VAT_RATES[country]
                expected = int((Decimal(net) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
                assert li["taxes"][0]["amount"] == expected, (inv["id"], country)
            seen.add("vat")
        else:
            assert inv["total_taxes"] == []
        if inv["status"] == "paid":
            assert inv["amount_paid"] == inv["total"]
    assert seen == {"vat", "reverse", "invalid_vat_charged"}
    invalid = [c for c in customers.values() for t in c["tax_ids"]["data"] if not vat_number_is_valid(t["value"])]
    assert invalid and all(c["tax_exempt"] == "none" for c in invalid)


def test_prices_make_sense_per_currency(db):
    by_currency = defaultdict(set)
    for p in payloads(db, "price"):
        assert p["unit_amount"] > 0 and p["unit_amount_decimal"] == str(p["unit_amount"])
        if p["metadata"]["tier"] == "supporter" and p["recurring"] == {**p["recurring"], "interval": "month", "interval_count": 1}:
            by_currency[p["currency"]].add(p["unit_amount"])
    assert by_currency["usd"] == {500}          # $5.00
    if "jpy" in by_currency:
        assert by_currency["jpy"] == {750}      # ¥750, no decimals
    if "eur" in by_currency:
        assert by_currency["eur"] == {450}      # €4.50
    assert len(by_currency) >= 3


def test_refunds_reverse_transfers_and_disputes_have_balance_transactions(db):
    reversals = {r["id"]: r for r in payloads(db, "transfer_reversal")}
    fees = {f["charge"]: f for f in payloads(db, "application_fee")}
    for re in payloads(db, "refund"):
        rev = reversals[re["transfer_reversal"]]
        assert rev["amount"] <= re["amount"] and rev["source_refund"] == re["id"]
    full = [re for re in payloads(db, "refund") if fees[re["charge"]]["refunded"]]
    assert full
    reasons, statuses = set(), set()
    for dp in payloads(db, "dispute"):
        reasons.add(dp["reason"])
        statuses.add(dp["status"])
        if dp["status"].startswith("warning"):
            assert dp["balance_transactions"] == []
        else:
            first = dp["balance_transactions"][0]
            assert first["amount"] < 0 and first["fee"] == 1500 and first["reporting_category"] == "dispute"
            if dp["status"] == "won":
                assert dp["balance_transactions"][1]["reporting_category"] == "dispute_reversal"
    assert "fraudulent" in reasons and len(reasons) >= 3
    assert {"won", "lost"} <= statuses
    efw_charges = {e["charge"] for e in payloads(db, "radar.early_fraud_warning")}
    disputed = {d["charge"] for d in payloads(db, "dispute")}
    assert efw_charges & disputed


def test_fraud_signals(db):
    labels = dict(db.execute("SELECT id, label FROM fraud_labels"))
    charges = {c["id"]: c for c in payloads(db, "charge")}
    testing = [charges[i] for i, lab in labels.items() if lab == "card_testing" and i.startswith("ch_")]
    assert len(testing) >= 20
    assert sum(c["status"] == "failed" for c in testing) / len(testing) > 0.75
    by_burst = defaultdict(list)
    for c in testing:
        by_burst[c["metadata"]["client_ip"]].append(c["created"])
    assert any(len(v) >= 20 and max(v) - min(v) < 3600 for v in by_burst.values())
    ring = [charges[i] for i, lab in labels.items() if lab.startswith("fraud_ring") and i in charges]
    fingerprints = defaultdict(set)
    for c in ring:
        fingerprints[c["payment_method_details"]["card"]["fingerprint"]].add(c["customer"])
    assert max(len(v) for v in fingerprints.values()) >= 2   # shared cards across ring members
    disputed = {d["charge"]: d for d in payloads(db, "dispute")}
    assert sum(c["id"] in disputed and disputed[c["id"]]["reason"] == "fraudulent" for c in ring) >= 3


def test_subscription_life(db):
    subs = payloads(db, "subscription")
    customers = {c["id"]: c for c in payloads(db, "customer")}
    assert all(customers[s["customer"]]["currency"] for s in subs)
    assert any(s["trial_end"] for s in subs)
    assert any(s["discounts"] for s in subs)
    assert any(s["cancel_at_period_end"] for s in subs)
    assert any(s["cancellation_details"]["reason"] == "payment_failed" for s in subs if s["cancellation_details"])
    lines = payloads(db, "line_item")
    prorations = [li for li in lines if li["parent"]["subscription_item_details"]["proration"]]
    assert any(li["amount"] < 0 for li in prorations) and any(li["amount"] > 0 for li in prorations)
    tips = [p for p in payloads(db, "payment_intent") if p["metadata"].get("kind") == "tip"]
    assert len(tips) > 50
    bonuses = [t for t in payloads(db, "transfer") if t["metadata"].get("kind") == "bonus"]
    assert bonuses and all(t["source_transaction"] is None for t in bonuses)
    failed = [p for p in payloads(db, "payout") if p["status"] == "failed"]
    assert all(p["failure_code"] and p["failure_balance_transaction"] for p in failed)


def test_events_cover_the_last_30_days(db):
    clock = int(db.execute("SELECT value FROM meta WHERE key = 'clock'").fetchone()[0])
    lo, hi = db.execute("SELECT MIN(created), MAX(created) FROM objects WHERE object = 'event'").fetchone()
    assert lo >= clock - 30 * DAY and hi < clock
    types = {r[0] for r in db.execute("SELECT DISTINCT type FROM objects WHERE object = 'event'")}
    assert {"invoice.paid", "charge.succeeded", "customer.subscription.created",
            "customer.subscription.updated", "payout.paid"} <= types
    versions = dict(db.execute("SELECT json_extract(payload, '$.api_version'), COUNT(*) FROM objects "
                               "WHERE object = 'event' GROUP BY 1"))
    assert versions.get("2025-03-31.basil", 0) > 0 and versions["2026-10-28.endive"] > 10 * versions["2025-03-31.basil"]
    for account, payload in db.execute("SELECT account, payload FROM objects WHERE object = 'event' AND type LIKE 'payout.%'"):
        ev = orjson.loads(payload)
        assert ev.get("account", "") == account
    updated = [orjson.loads(p) for (p,) in db.execute(
        "SELECT payload FROM objects WHERE object = 'event' AND type = 'customer.subscription.updated' LIMIT 50")]
    assert all(ev["data"]["previous_attributes"] for ev in updated)


def test_tax_profiles(db):
    rows = db.execute("SELECT account, legal_name, tin_type, tin, is_us, country, backup_withholding "
                      "FROM tax_profiles").fetchall()
    accounts = {a["id"]: a for a in payloads(db, "account")}
    assert {r[0] for r in rows} == set(accounts)
    us = [r for r in rows if r[4]]
    assert us
    for account, name, tin_type, tin, is_us, country, backup in rows:
        assert (country == "US") == bool(is_us) == (accounts[account]["country"] == "US")
        if tin_type == "SSN":
            assert ssn.is_valid(tin)
        elif tin_type == "EIN":
            assert ein.is_valid(tin)
        else:
            assert tin is None
    # never inside a Stripe object
    tins = [r[3] for r in rows if r[3]]
    blob = "".join(p for (p,) in db.execute("SELECT payload FROM objects WHERE object IN ('account', 'event')"))
    assert not any(t in blob for t in tins)


def test_same_seed_same_bytes(tmp_path):
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    generate_world(a, size="tiny", seed=7)
    generate_world(b, size="tiny", seed=7)
    query = "SELECT seq, id, object, account, created, parent, type, payload FROM objects ORDER BY seq"
    rows_a = sqlite3.connect(a).execute(query).fetchall()
    rows_b = sqlite3.connect(b).execute(query).fetchall()
    assert len(rows_a) > 500 and rows_a == rows_b
    c = tmp_path / "c.sqlite"
    generate_world(c, size="tiny", seed=8)
    assert sqlite3.connect(c).execute(query).fetchall() != rows_a
    # another process with another string-hash seed writes the same bytes
    d = tmp_path / "d.sqlite"
    code = f"from pipelines.sandbox.generate import generate_world; generate_world({str(d)!r}, size='tiny', seed=7)"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=Path(__file__).resolve().parents[2])
    assert sqlite3.connect(d).execute(query).fetchall() == rows_a


def test_advance_one_day(small_world, tmp_path):
    path = tmp_path / "adv.sqlite"
    shutil.copy(small_world, path)
    conn = sqlite3.connect(path)
    clock = int(conn.execute("SELECT value FROM meta WHERE key = 'clock'").fetchone()[0])
    max_seq = conn.execute("SELECT MAX(seq) FROM objects").fetchone()[0]
    conn.close()
    summary = advance_world(path, 1)
    assert summary.clock == clock + DAY
    conn = sqlite3.connect(path)
    new = conn.execute("SELECT object, created FROM objects WHERE seq > ?", (max_seq,)).fetchall()
    kinds = {o for o, _ in new}
    assert {"event", "invoice", "charge", "balance_transaction"} <= kinds
    # everything new is dated inside the new day (a server payout adopted could be older)
    assert all(clock <= created < clock + DAY for _, created in new)
    events = [orjson.loads(p) for (p,) in conn.execute(
        "SELECT payload FROM objects WHERE seq > ? AND object = 'event'", (max_seq,))]
    updates = [e for e in events if "previous_attributes" in e["data"]]
    assert updates
    # an updated object older than the new day now carries the new state in the store
    old_updated = [e for e in updates if e["data"]["object"]["created"] < clock]
    assert old_updated
    ev = old_updated[0]
    stored = orjson.loads(conn.execute("SELECT payload FROM objects WHERE id = ?",
                                       (ev["data"]["object"]["id"],)).fetchone()[0])
    for key in ev["data"]["previous_attributes"]:
        assert stored[key] == ev["data"]["object"][key]
    conn.close()


@pytest.mark.parametrize("server_booked_fee", [None, 50])
def test_advance_adopts_a_server_created_payout(small_world, tmp_path, server_booked_fee):
    path = tmp_path / "po.sqlite"
    shutil.copy(small_world, path)
    conn = sqlite3.connect(path)
    clock = int(conn.execute("SELECT value FROM meta WHERE key = 'clock'").fetchone()[0])
    acct, currency, available = conn.execute(
        "SELECT account, currency, available FROM balances WHERE account != '' ORDER BY available DESC LIMIT 1").fetchone()
    assert available > 100
    amount = available // 2
    payout = payloads(conn, "payout")[0]  # any payout as the shape; the server writes its own
    payout.update({"id": "po_server0000000000000000000", "amount": amount, "currency": currency, "created": clock + 10,
                   "arrival_date": clock + 2 * DAY, "status": "pending", "automatic": False,
                   "balance_transaction": None, "failure_code": None, "failure_balance_transaction": None})
    seq = conn.execute("SELECT MAX(seq) FROM objects").fetchone()[0] + 1
    if server_booked_fee is not None:  # the server wrote the payout's BT itself (instant fee)
        fee = server_booked_fee
        payout["balance_transaction"] = "txn_server000000000000000000"
        txn = {"id": payout["balance_transaction"], "object": "balance_transaction", "amount": -amount,
               "fee": fee, "net": -amount - fee, "currency": currency, "source": payout["id"],
               "fee_details": [{"amount": fee, "currency": currency, "type": "stripe_fee"}],
               "reporting_category": "payout", "type": "payout", "status": "available",
               "available_on": clock + 10, "created": clock + 10}
        conn.execute("INSERT INTO objects(seq, id, object, account, created, payload) "
                     "VALUES (?, ?, 'balance_transaction', ?, ?, ?)", (seq, txn["id"], acct, clock + 10, json.dumps(txn)))
        seq += 1
    conn.execute("INSERT INTO objects(seq, id, object, account, created, payload) VALUES (?, ?, 'payout', ?, ?, ?)",
                 (seq, payout["id"], acct, clock + 10, json.dumps(payout)))
    conn.commit()
    conn.close()
    advance_world(path, 3)
    conn = sqlite3.connect(path)
    stored = orjson.loads(conn.execute("SELECT payload FROM objects WHERE id = ?", (payout["id"],)).fetchone()[0])
    assert stored["status"] in ("paid", "failed") and stored["balance_transaction"]
    bt = orjson.loads(conn.execute("SELECT payload FROM objects WHERE id = ?", (stored["balance_transaction"],)).fetchone()[0])
    assert bt["amount"] == -amount and bt["source"] == payout["id"]
    assert bt["net"] == -amount - (server_booked_fee or 0)
    types = {r[0] for r in conn.execute("SELECT type FROM objects WHERE object = 'event' AND account = ? "
                                        "AND json_extract(payload, '$.data.object.id') = ?", (acct, payout["id"]))}
    assert types & {"payout.paid", "payout.failed"}
    # balances still reconcile for that account
    bal = conn.execute("SELECT available + pending FROM balances WHERE account = ?", (acct,)).fetchone()[0]
    total = sum(orjson.loads(p)["net"] for (p,) in conn.execute(
        "SELECT payload FROM objects WHERE object = 'balance_transaction' AND account = ?", (acct,)))
    assert total == bal
    conn.close()


def test_fx_rates_table_drives_the_conversions(db):
    rates = defaultdict(dict)
    for day, currency, per_usd in db.execute("SELECT day, currency, per_usd FROM fx_rates"):
        rates[day][currency] = Decimal(per_usd)
    meta = dict(db.execute("SELECT key, value FROM meta"))
    days = (int(meta["clock"]) - int(meta["start"])) // DAY
    assert len(rates) == days and all(len(r) == 24 and r["USD"] == 1 and "HRK" not in r for r in rates.values())
    charges = {c["id"]: c for c in payloads(db, "charge")}
    checked = 0
    for bt in payloads(db, "balance_transaction", ""):
        if bt["type"] != "charge" or bt["exchange_rate"] is None:
            continue
        ch = charges[bt["source"]]
        day = datetime.fromtimestamp(bt["created"], timezone.utc).strftime("%Y-%m-%d")
        per_usd = rates[day][ch["currency"].upper()]
        rate = Decimal(f"{float(Decimal(1) / per_usd):.6g}")  # USD per unit, six significant digits
        assert bt["exchange_rate"] == float(rate)
        expected = to_minor(to_major(ch["amount"], ch["currency"]) * rate, "USD")
        assert bt["amount"] == expected, bt["id"]
        checked += 1
    assert checked > 100


def test_application_fee_is_vat_plus_commission_plus_card_price(db):
    """Every destination charge of the small world (all creators under 1,000 fans: 5%)."""
    rates = defaultdict(dict)
    for day, currency, per_usd in db.execute("SELECT day, currency, per_usd FROM fx_rates"):
        rates[day][currency] = Decimal(per_usd)
    invoices = {i["id"]: i for i in payloads(db, "invoice")}
    intents = {p["id"]: p for p in payloads(db, "payment_intent")}
    checked = 0
    for ch in payloads(db, "charge"):
        if ch["status"] != "succeeded":
            continue
        invoice = intents[ch["payment_intent"]]["metadata"].get("invoice")
        tax = sum(t["amount"] for t in invoices[invoice]["total_taxes"]) if invoice else 0
        day = datetime.fromtimestamp(ch["created"], timezone.utc).strftime("%Y-%m-%d")
        currency = ch["currency"].upper()
        fixed = to_minor(to_major(30, "USD") * rates[day][currency], currency)
        half_up = lambda x: int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))  # noqa: E731
        expected = tax + half_up(Decimal(ch["amount"] - tax) * Decimal("0.05")) \
            + half_up(Decimal(ch["amount"]) * Decimal("0.029")) + fixed
        assert ch["application_fee_amount"] == min(expected, ch["amount"]), ch["id"]
        checked += 1
    assert checked > 1500


def last_event_objects(conn) -> dict[str, dict]:
    """Each object's state in its newest event (by creation order of the events)."""
    last = {}
    for (payload,) in conn.execute("SELECT payload FROM objects WHERE object = 'event' ORDER BY seq"):
        obj = orjson.loads(payload)["data"]["object"]
        last[obj["id"]] = obj
    return last


def assert_objects_end_as_their_last_event(conn) -> int:
    """No silent change: an object with events is stored exactly as its newest event shows it
    (incremental ingestion takes mutable objects from events)."""
    last = last_event_objects(conn)
    stale = []
    for oid, payload in conn.execute("SELECT id, payload FROM objects WHERE object != 'event'"):
        seen = last.get(oid)
        if seen is not None and orjson.loads(payload) != seen:
            stale.append(oid)
    assert not stale, f"{len(stale)} objects changed after their last event, e.g. {stale[:5]}"
    return len(last)


def assert_latest_invoice_changes_have_events(conn) -> int:
    """A subscription whose latest_invoice moved on since customer.subscription.created has a
    customer.subscription.updated event whose previous_attributes carry latest_invoice."""
    created, moved = {}, set()
    for type_, payload in conn.execute("SELECT type, payload FROM objects WHERE object = 'event' "
                                       "AND type LIKE 'customer.subscription.%' ORDER BY seq"):
        data = orjson.loads(payload)["data"]
        sid = data["object"]["id"]
        if type_ == "customer.subscription.created":
            created[sid] = data["object"]["latest_invoice"]
        elif "latest_invoice" in data.get("previous_attributes", {}):
            moved.add(sid)
    assert all(latest for latest in created.values())  # the first invoice is made with it
    changed = [sid for sid, payload in conn.execute("SELECT id, payload FROM objects WHERE object = 'subscription'")
               if sid in created and orjson.loads(payload)["latest_invoice"] != created[sid]]
    assert changed and set(changed) <= moved
    return len(changed)


def test_every_change_has_its_event(db):
    assert assert_objects_end_as_their_last_event(db) > 1000
    assert assert_latest_invoice_changes_have_events(db) > 10


def test_one_event_per_object_type_and_second(db):
    """A renewal's period roll, latest_invoice and status change arrive as one event."""
    dupes = db.execute(
        "SELECT COUNT(*) FROM (SELECT json_extract(payload, '$.data.object.id'), type, created "
        "FROM objects WHERE object = 'event' AND type LIKE '%.updated' GROUP BY 1, 2, 3 HAVING COUNT(*) > 1)"
    ).fetchone()[0]
    assert dupes == 0
    renewals = [orjson.loads(p)["data"]["previous_attributes"] for (p,) in db.execute(
        "SELECT payload FROM objects WHERE object = 'event' AND type = 'customer.subscription.updated'")]
    assert any({"items", "latest_invoice"} <= set(prev) for prev in renewals)


def forget_pending_tracking(path: Path) -> None:
    """Make the world look like one saved before pending balance transactions were tracked."""
    import pickle
    conn = sqlite3.connect(path)
    state = pickle.loads(conn.execute("SELECT value FROM sim_state WHERE key = 'world'").fetchone()[0])
    del state.pending_bts
    conn.execute("UPDATE sim_state SET value = ? WHERE key = 'world'", (pickle.dumps(state),))
    conn.commit()
    conn.close()


@pytest.mark.parametrize("old_world", [False, True])
def test_advance_makes_due_balance_transactions_available(small_world, tmp_path, old_world):
    path = tmp_path / "bt.sqlite"
    shutil.copy(small_world, path)
    if old_world:
        forget_pending_tracking(path)
    conn = sqlite3.connect(path)
    clock = int(conn.execute("SELECT value FROM meta WHERE key = 'clock'").fetchone()[0])
    pending_query = ("SELECT account, id FROM objects WHERE object = 'balance_transaction' "
                     "AND json_extract(payload, '$.status') = 'pending' AND json_extract(payload, '$.available_on') <= ?")
    due = conn.execute(pending_query, (clock + 3 * DAY,)).fetchall()
    conn.close()
    # some are due within the 3 days, on the platform and on connected accounts
    assert any(a == "" for a, _ in due) and any(a != "" for a, _ in due)
    advance_world(path, 3)
    conn = sqlite3.connect(path)
    assert conn.execute(pending_query, (clock + 3 * DAY,)).fetchall() == []
    # ones not yet due (made in the last new day) are still pending
    assert conn.execute("SELECT COUNT(*) FROM objects WHERE object = 'balance_transaction' "
                        "AND json_extract(payload, '$.status') = 'pending'").fetchone()[0] > 0
    assert_objects_end_as_their_last_event(conn)
    assert_latest_invoice_changes_have_events(conn)
    conn.close()
