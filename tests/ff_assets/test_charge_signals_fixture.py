"""int_fraud__charge_signals on Stripe's own example charge, on both warehouses: the same SQL
reads the card fingerprint, network, the IP from metadata and the creator."""
import pytest

from tests.dbt.conftest import run_dbt
from tests.dbt.raw_loader import insert_objects, stripe_fixture


def _charges():
    a = stripe_fixture("charge")
    a["id"], a["created"], a["status"] = "ch_ff_a", 1790000000, "succeeded"
    a["metadata"] = {"client_ip": "203.0.113.7", "ip_country": "br", "creator": "acct_meta"}
    a["payment_method_details"] = {"type": "card", "card": {
        "fingerprint": "fpAAA", "network": "visa", "brand": "visa", "country": "US"}}
    a["transfer_data"] = {"destination": "acct_dest", "amount": 900}
    b = stripe_fixture("charge")
    b["id"], b["created"], b["status"] = "ch_ff_b", 1790000100, "failed"
    b["metadata"] = {"creator": "acct_meta"}
    b["payment_method_details"] = {"type": "card", "card": {"fingerprint": "fpBBB", "brand": "MasterCard"}}
    b["transfer_data"] = None
    b["on_behalf_of"] = None
    return [a, b]


def _check(wh):
    conn = wh.connect()
    insert_objects(conn, "charge", _charges())
    if wh.kind == "duckdb":
        conn.close()
    run_dbt(wh.env, "build", "--select", "stg_stripe__charges", "int_fraud__charge_signals",
            "--resource-type", "model")
    run_dbt(wh.env, "test", "--select", "int_fraud__charge_signals")
    rows = wh.query("SELECT charge_id, card_fingerprint, card_network, ip_address, ip_country, "
                    "creator_account_id, status FROM intermediate.int_fraud__charge_signals ORDER BY charge_id")
    assert [tuple(r) for r in rows] == [
        ("ch_ff_a", "fpAAA", "visa", "203.0.113.7", "BR", "acct_dest", "succeeded"),  # destination first
        ("ch_ff_b", "fpBBB", "mastercard", None, None, "acct_meta", "failed"),        # brand, metadata creator
    ]


def test_signals_duckdb(duck_warehouse):
    _check(duck_warehouse)


@pytest.mark.postgres
def test_signals_postgres(pg_warehouse):
    _check(pg_warehouse)
