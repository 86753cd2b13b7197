"""A small seeded world of charges with fraud that has signal, for the model tests.

Legitimate customers pay a few times a month from their own country; fraudsters arrive as new
customers and run short bursts on stolen cards from another country, with failed attempts first
and amounts well above the creator's usual. 15% of fraud looks clean, 20% of legitimate customers
sign up just before paying and 4% of legitimate charges come from abroad, so the separation is
good but not perfect.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

COUNTRIES = ["US", "GB", "DE", "FR", "CA", "BR", "JP"]


def world(seed: int = 11, customers: int = 300, fraudsters: int = 60):
    rng = np.random.default_rng(seed)
    start = datetime(2026, 1, 1)
    charges, cust_rows, efws = [], [], []
    creators = [f"acct_{i}" for i in range(5)]
    n = 0
    for c in range(customers):
        cid, country = f"cus_{c}", COUNTRIES[rng.integers(len(COUNTRIES))]
        base = int(rng.integers(5, 50)) * 100
        creator = creators[rng.integers(len(creators))]
        times = sorted(start + timedelta(minutes=int(rng.integers(0, 120 * 24 * 60)))
                       for _ in range(int(rng.integers(4, 12))))
        if rng.random() < 0.2:  # a new fan: signs up minutes before the first payment
            cust_rows.append((cid, times[0] - timedelta(minutes=int(rng.integers(5, 120)))))
        else:
            cust_rows.append((cid, start - timedelta(days=int(rng.integers(30, 400)))))
        for at in times:
            ip_country = COUNTRIES[rng.integers(len(COUNTRIES))] if rng.random() < 0.04 else country
            charges.append((f"ch_{n}", at, cid, creator, f"card_{c}", f"ip_{c}", country, ip_country,
                            country, "visa", int(base * rng.uniform(0.8, 1.2)), "usd",
                            "failed" if rng.random() < 0.03 else "succeeded"))
            n += 1
    for f in range(fraudsters):
        cid = f"cus_f{f}"
        at = start + timedelta(minutes=int(rng.integers(0, 120 * 24 * 60)))
        cust_rows.append((cid, at - timedelta(minutes=int(rng.integers(5, 120)))))
        clean = rng.random() < 0.15
        card_country = "US" if clean else COUNTRIES[rng.integers(len(COUNTRIES))]
        ip_country = card_country if clean else "BR" if card_country != "BR" else "JP"
        creator = creators[rng.integers(len(creators))]
        attempts = 1 if clean else int(rng.integers(3, 7))
        for k in range(attempts):
            failed = (k < attempts - 1) and not clean
            amount = int(rng.integers(5, 50) if clean else rng.integers(20, 80)) * 100
            charges.append((f"ch_{n}", at + timedelta(minutes=3 * k), cid, creator, f"card_f{f}",
                            f"ip_f{f % 7}", card_country, ip_country, card_country, "visa", amount,
                            "usd", "failed" if failed else "succeeded"))
            if not failed:
                efws.append((f"ch_{n}", at + timedelta(days=int(rng.integers(3, 20)))))
            n += 1
    schema = ["charge_id", "created_at", "customer_id", "creator_account", "card_fingerprint",
              "ip_address", "card_country", "ip_country", "billing_country", "card_network",
              "amount", "currency", "status"]
    charges_df = pl.DataFrame(charges, schema=schema, orient="row")
    customers_df = pl.DataFrame(cust_rows, schema=["customer_id", "created_at"], orient="row")
    efw_df = pl.DataFrame(efws, schema=["charge_id", "created_at"], orient="row")
    return charges_df, customers_df, efw_df
