"""A small world written object by object, so tests know exactly what the API lists:
3 connected accounts, 230 customers (3 pages), 120 charges, one invoice with 25 lines (10
embedded, the rest paged), transfers with embedded and paged reversals, connected balance
transactions, payouts and events, and platform events in the pinned and an older API version."""
from __future__ import annotations

from typing import Any

import stripe

CLOCK = 1_790_000_000
DAY = 86_400
OLD_VERSION = "2024-06-20"
ACCOUNTS = ("acct_A0000000000001", "acct_B0000000000002", "acct_C0000000000003")


def hand_objects() -> list[dict[str, Any]]:
    t0 = CLOCK - 20 * DAY
    objs: list[dict[str, Any]] = []
    for i, acct in enumerate(ACCOUNTS):
        objs.append({"id": acct, "object": "account", "created": t0 + i, "country": "US",
                     "type": "express", "metadata": {}})
    for i in range(230):
        objs.append({"id": f"cus_{i:06d}", "object": "customer", "created": t0 + 100 + i,
                     "livemode": False, "email": f"c{i}@example.com", "metadata": {}})
    objs.append({"id": "prod_1", "object": "product", "created": t0 + 50, "livemode": False,
                 "name": "Fan"})
    objs.append({"id": "price_1", "object": "price", "created": t0 + 51, "livemode": False,
                 "unit_amount": 1500, "currency": "usd", "product": "prod_1"})
    for i in range(120):
        objs.append({"id": f"ch_{i:06d}", "object": "charge", "created": t0 + 1000 + i * 60,
                     "livemode": False, "amount": 1500, "currency": "usd", "refunded": False,
                     "customer": f"cus_{i:06d}",
                     "transfer_data": {"destination": ACCOUNTS[i % 2]}})
    lines = [{"id": f"il_{k:04d}", "object": "line_item", "amount": 100 + k, "currency": "usd",
              "invoice": "in_1"} for k in range(25)]
    objs.append({"id": "in_1", "object": "invoice", "created": t0 + 9000, "livemode": False,
                 "status": "paid", "currency": "usd", "total": sum(l["amount"] for l in lines),
                 "amount_due": sum(l["amount"] for l in lines),
                 "amount_paid": sum(l["amount"] for l in lines),
                 "lines": {"object": "list", "data": lines[:10], "has_more": True,
                           "total_count": 25, "url": "/v1/invoices/in_1/lines"}})
    for line in lines:
        objs.append({**line, "created": t0 + 9000, "_parent": "in_1"})
    # transfers: tr_0 two embedded reversals; tr_1 one embedded of three (has_more)
    for k in range(4):
        tr = {"id": f"tr_{k}", "object": "transfer", "created": t0 + 10_000 + k, "livemode": False,
              "amount": 1000, "currency": "usd", "destination": ACCOUNTS[k % 2],
              "reversals": {"object": "list", "data": [], "has_more": False,
                            "url": f"/v1/transfers/tr_{k}/reversals"}}
        revs = []
        if k == 0:
            revs = [{"id": f"trr_0{j}", "object": "transfer_reversal", "created": t0 + 11_000 + j,
                     "amount": 100, "currency": "usd", "transfer": "tr_0"} for j in range(2)]
            tr["reversals"]["data"] = revs
        if k == 1:
            revs = [{"id": f"trr_1{j}", "object": "transfer_reversal", "created": t0 + 11_100 + j,
                     "amount": 50, "currency": "usd", "transfer": "tr_1"} for j in range(3)]
            tr["reversals"]["data"] = revs[-1:]
            tr["reversals"]["has_more"] = True
        objs.append(tr)
        objs.extend({**r, "_parent": f"tr_{k}"} for r in revs)
    # connected account A: money in, a pending payout, its events
    a = ACCOUNTS[0]
    for k in range(3):
        objs.append({"id": f"txn_A{k}", "object": "balance_transaction", "created": t0 + 12_000 + k,
                     "amount": 1000, "net": 1000, "fee": 0, "currency": "usd", "type": "payment",
                     "reporting_category": "charge", "status": "available", "_account": a})
    objs.append({"id": "po_A1", "object": "payout", "created": t0 + 13_000, "livemode": False,
                 "amount": 3000, "currency": "usd", "status": "pending", "_account": a})
    objs.append({"id": "txn_Apo", "object": "balance_transaction", "created": t0 + 13_000,
                 "amount": -3000, "net": -3000, "fee": 0, "currency": "usd", "type": "payout",
                 "reporting_category": "payout", "status": "available", "_account": a})
    objs.append({"id": "evt_A1", "object": "event", "type": "payout.created", "created": t0 + 13_000,
                 "livemode": False, "api_version": stripe.api_version, "account": a,
                 "data": {"object": {"id": "po_A1", "object": "payout", "created": t0 + 13_000,
                                     "livemode": False, "amount": 3000, "currency": "usd",
                                     "status": "pending"}}, "_account": a})
    # connected account B: one transfer in, no payout yet
    objs.append({"id": "txn_B0", "object": "balance_transaction", "created": t0 + 12_500,
                 "amount": 1000, "net": 1000, "fee": 0, "currency": "usd", "type": "payment",
                 "reporting_category": "charge", "status": "pending", "_account": ACCOUNTS[1]})
    # platform events (creation events for a few objects)
    for i in range(5):
        objs.append({"id": f"evt_c{i}", "object": "event", "type": "charge.succeeded",
                     "created": t0 + 1000 + i * 60, "livemode": False,
                     "api_version": stripe.api_version if i % 2 else OLD_VERSION,
                     "data": {"object": {"id": f"ch_{i:06d}", "object": "charge",
                                         "created": t0 + 1000 + i * 60, "livemode": False,
                                         "amount": 1500, "currency": "usd", "refunded": False}}})
    objs.sort(key=lambda o: o["created"])
    return objs
