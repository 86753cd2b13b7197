"""Which platform rows naming a connected account the warehouse already shows on that account's
balance (rule 3 of `accounts`), so that the account need not be listed for them.

The platform's transfer list is read with its payment's balance transaction expanded
(`EXPANSIONS`); `take_expanded` lands that balance transaction on the destination account and
puts the transfer back as the list gives it unexpanded. Then, per account, a platform row newer
than the account's last balance transactions listing is *shown* when:
- a transfer: it has no reversals (`amount_reversed` 0) and a balance transaction of the account
  whose `source` is the transfer's `destination_payment` has landed;
- an application fee: it has no refunds and a transfer to the account whose `source_transaction`
  is the fee's charge is among those rows (a destination charge: the fee is kept out of the
  transfer on the platform and books nothing on the connected account);
- an account object change: never (what changed is not known from here).
Proofs read landed rows only, so they hold however those rows arrived (this run, an earlier or a
killed one); anything not proven keeps the visit.

SQL that DuckDB and PostgreSQL both accept (`payload ->> 'key'`), run by the landing's `fetch`.
"""
from __future__ import annotations

from typing import Any

SCHEMA = "raw_stripe"

# (table, on a connected account) -> expand[] of an incremental list pass. At most 4 levels,
# `data` counted (Stripe's limit), so a reversal's refund balance transaction
# (data.reversals.data.destination_payment_refund.balance_transaction) cannot come this way.
EXPANSIONS: dict[tuple[str, bool], tuple[str, ...]] = {
    ("transfer", False): ("data.destination_payment.balance_transaction",),
}

# One booking window either side of a transfer's time for its payment's balance transaction:
# the two are made together; a booking found outside it is only a visit more.
BOOKING_WINDOW = 86_400

ROWS_SQL = f"""
WITH bs AS (
    SELECT account, MAX(synced_through) AS s FROM {SCHEMA}._sync_state
    WHERE stream = 'balance_transaction' AND account <> '' AND synced_through IS NOT NULL
    GROUP BY account
), tr AS (
    SELECT bs.account, t.state_version AS v, t.created,
           t.payload ->> 'destination_payment' AS py,
           t.payload ->> 'amount_reversed' AS reversed,
           t.payload ->> 'source_transaction' AS source_tx
    FROM {SCHEMA}.transfer t JOIN bs ON bs.account = t.payload ->> 'destination'
    WHERE t.state_version >= 2 * bs.s + 2
), fee AS (
    SELECT bs.account, f.state_version AS v, f.payload ->> 'charge' AS charge,
           f.payload ->> 'amount_refunded' AS refunded
    FROM {SCHEMA}.application_fee f JOIN bs ON bs.account = f.payload ->> 'account'
    WHERE f.state_version >= 2 * bs.s + 2
), pay AS (
    SELECT b.account, b.created, b.payload ->> 'source' AS source
    FROM {SCHEMA}.balance_transaction b
    WHERE b.account IS NOT NULL
      AND b.created >= (SELECT MIN(created) FROM tr WHERE reversed = '0') - {BOOKING_WINDOW}
)
SELECT tr.account, tr.v, 'transfer',
       tr.reversed = '0' AND EXISTS (
           SELECT 1 FROM pay WHERE pay.account = tr.account AND pay.source = tr.py
             AND pay.created BETWEEN tr.created - {BOOKING_WINDOW} AND tr.created + {BOOKING_WINDOW})
FROM tr
UNION ALL
SELECT fee.account, fee.v, 'application_fee',
       fee.refunded = '0' AND EXISTS (
           SELECT 1 FROM tr WHERE tr.account = fee.account AND tr.source_tx = fee.charge)
FROM fee
UNION ALL
SELECT a.id, a.state_version, 'account', FALSE
FROM {SCHEMA}.account a JOIN bs ON bs.account = a.id
WHERE a.state_version >= 2 * bs.s + 2
"""

LISTED_SQL = f"""
SELECT account FROM {SCHEMA}._sync_state
WHERE stream = 'balance_transaction' AND account <> '' AND synced_through IS NOT NULL
GROUP BY account
"""


def take_expanded(obj: Any, object_type: str, account: str | None) -> list[tuple[dict, str]]:
    """Puts the expanded objects of `obj` back to their ids (the row lands as the unexpanded list
    gives it) and returns the balance transactions they carried, each with its account."""
    if not isinstance(obj, dict) or object_type != "transfer" or account:
        return []
    payment = obj.get("destination_payment")
    if not isinstance(payment, dict):
        return []
    obj["destination_payment"] = payment.get("id")
    txn, destination = payment.get("balance_transaction"), obj.get("destination")
    if isinstance(txn, dict) and isinstance(destination, str) and destination:
        return [(txn, destination)]
    return []


def unshown_activity(rows) -> dict[str, int | None]:
    """account -> newest time (state_version // 2) of its rows not shown, None when every row
    newer than its listing is shown. Rows: (account, state_version, kind, shown)."""
    out: dict[str, int | None] = {}
    for account, version, _kind, shown in rows:
        at = None if shown else int(version) // 2
        old = out.get(account)
        out[account] = at if old is None else (old if at is None else max(old, at))
    return out


def platform_activity(landing) -> dict[str, int | None]:
    """For every account whose balance transactions were listed once: the newest time of a
    platform row naming it, newer than that listing, that the warehouse does not show (None:
    none)."""
    shown = unshown_activity(landing.fetch(ROWS_SQL))
    return {account: shown.get(account) for (account,) in landing.fetch(LISTED_SQL)}
