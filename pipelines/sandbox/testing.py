"""How tests, benchmarks and the demo talk to the sandbox: start a server on a free port and get
an official `stripe.StripeClient` pointed at it. Nothing talks to the sandbox any other way, so
what passes here passes against api.stripe.com.

`write_world` builds a world file from plain objects (for tests that need exact, hand-checked
contents, and for the server benchmark before a generated world exists).
"""
from __future__ import annotations

import random
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

import orjson
import stripe

from pipelines.sandbox import store
from pipelines.sandbox.server import RunningServer, start_in_thread

TEST_API_KEY = "sk_test_51SandboxTestKey000000000000000000000000000000abcd"


@contextmanager
def running_sandbox(world_path: str | Path, **kw: Any) -> Iterator[RunningServer]:
    """`start_in_thread` as a context manager (rate limit off unless asked for)."""
    running = start_in_thread(world_path, **kw)
    try:
        yield running
    finally:
        running.stop()


def stripe_client(running: RunningServer, *, max_network_retries: int = 3,
                  stripe_account: str | None = None, api_key: str | None = None) -> stripe.StripeClient:
    """The official SDK client aimed at the sandbox; the API version is the SDK's pinned one."""
    return stripe.StripeClient(
        api_key or running.api_key,
        base_addresses={"api": running.base_url},
        max_network_retries=max_network_retries,
        stripe_account=stripe_account,
    )


def write_world(path: str | Path, objects: Iterable[dict[str, Any]], *, clock: int,
                api_key: str = TEST_API_KEY, api_version: str | None = None,
                seed: int = 0, size: str = "custom") -> Path:
    """Write a world: each object is a Stripe-shaped dict; the store columns come from its fields
    and from the helper keys `_account` (connected account), `_parent` (invoice of a line item,
    transfer of a reversal), which are removed from the stored payload. Order = creation order."""
    path = Path(path)
    if path.exists():
        path.unlink()
    conn = store.connect(path)
    rows = []
    for seq, obj in enumerate(objects, start=1):
        obj = dict(obj)
        account = obj.pop("_account", "")
        parent = obj.pop("_parent", None)
        rows.append((seq, obj["id"], obj["object"], account, int(obj["created"]), parent,
                     obj.get("type") if obj["object"] == "event" else None,
                     orjson.dumps(obj).decode()))
    with conn:
        conn.executemany("INSERT INTO objects(seq, id, object, account, created, parent, type, payload)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        for key, value in (("clock", clock), ("start", min((r[4] for r in rows), default=clock)),
                           ("seed", seed), ("size", size), ("api_key", api_key),
                           ("api_version", api_version or stripe.api_version)):
            store.set_meta(conn, key, value)
    conn.close()
    return path


def synthetic_objects(n_charges: int, *, seed: int = 1, clock: int = 1_790_000_000,
                      accounts: int = 10) -> list[dict[str, Any]]:
    """A plausible bulk world for speed measurements: accounts, customers and charges with their
    balance transactions, each charge about the size of a real one. Not a simulation."""
    rng = random.Random(seed)
    span = 180 * 86_400
    objects: list[dict[str, Any]] = []
    for a in range(accounts):
        objects.append({"id": f"acct_{a:016d}", "object": "account", "created": clock - span - 10,
                        "country": "US", "default_currency": "usd", "payouts_enabled": True,
                        "type": "express", "metadata": {}})
    times = sorted(clock - rng.randrange(span) for _ in range(n_charges))
    for i, created in enumerate(times):
        amount = rng.choice((500, 1500, 3000, 5000))
        fee = amount * 29 // 1000 + 30
        cus = f"cus_{i % 997:020d}"
        objects.append({
            "id": f"ch_{i:022d}", "object": "charge", "amount": amount, "amount_captured": amount,
            "amount_refunded": 0, "application_fee_amount": amount // 10,
            "balance_transaction": f"txn_{i:021d}", "billing_details": {
                "address": {"city": None, "country": "US", "line1": None, "line2": None,
                            "postal_code": "94107", "state": "CA"},
                "email": None, "name": "Jenny Rosen", "phone": None},
            "captured": True, "created": created, "currency": "usd", "customer": cus,
            "description": "Subscription update", "disputed": False, "livemode": False,
            "metadata": {"creator": f"acct_{i % accounts:016d}"}, "outcome": {
                "network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                "risk_score": rng.randrange(100), "seller_message": "Payment complete.",
                "type": "authorized"},
            "paid": True, "payment_intent": f"pi_{i:022d}", "payment_method_details": {
                "card": {"brand": "visa", "country": "US", "exp_month": 8, "exp_year": 2030,
                         "fingerprint": f"fp{rng.randrange(10**12):014d}", "funding": "credit",
                         "last4": "4242", "network": "visa"}, "type": "card"},
            "refunded": False, "status": "succeeded",
            "transfer_data": {"amount": None, "destination": f"acct_{i % accounts:016d}"},
        })
        objects.append({
            "id": f"txn_{i:021d}", "object": "balance_transaction", "amount": amount,
            "available_on": created + 2 * 86_400, "created": created, "currency": "usd",
            "description": None, "exchange_rate": None, "fee": fee,
            "fee_details": [{"amount": fee, "application": None, "currency": "usd",
                             "description": "Stripe processing fees", "type": "stripe_fee"}],
            "net": amount - fee, "reporting_category": "charge", "source": f"ch_{i:022d}",
            "status": "available", "type": "charge", "balance_type": "payments",
        })
    objects.sort(key=lambda o: o["created"])
    return objects
