"""Each executed plan line against the Stripe payout that came of it and the balance transactions
inside it, to the cent.

What left the creator's balance for a line is minus the sum of `net` over the payout's balance
transactions (the payout's own, which carries Stripe's instant fee, plus a failure or cancel
transaction that returns the money). A live or paid payout should have taken the line's gross
`amount`; a failed or canceled one, once its money is back, nothing. Every line whose difference
is not zero, or whose payout is not what was planned, is listed with its reasons.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterable, Mapping

from .journal import JournalEntry
from .model import RecentPayout

LIVE = ("pending", "in_transit", "paid")
RETURNED = ("failed", "canceled")


@dataclass(frozen=True)
class ReconciledLine:
    key: str
    creator: str
    currency: str
    day: date
    method: str
    planned_amount: int       # gross: net + fee
    planned_fee: int
    planned_net: int
    state: str                # paid / in_transit / pending / failed / canceled / not_sent / missing
    payout_id: str | None = None
    payout_amount: int | None = None
    stripe_fee: int | None = None
    failure_code: str | None = None
    expected_debit: int = 0
    debited: int = 0
    difference: int = 0
    reasons: tuple[str, ...] = ()

    @property
    def matched(self) -> bool:
        return not self.reasons

    @property
    def final(self) -> bool:
        return self.state in ("paid",) + RETURNED


def _ref(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return value.get("id")
    return value


def payout_transactions(payout: Mapping[str, Any],
                        balance_transactions: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The payout's own balance transaction, its failure transaction, and any other whose source
    is the payout (a cancel), each once."""
    wanted = {_ref(payout.get("balance_transaction")), _ref(payout.get("failure_balance_transaction"))}
    wanted.discard(None)
    found: dict[str, Mapping[str, Any]] = {}
    for txn in balance_transactions:
        if txn.get("id") in wanted or _ref(txn.get("source")) == payout["id"]:
            found[txn["id"]] = txn
    for ref in (payout.get("balance_transaction"), payout.get("failure_balance_transaction")):
        if isinstance(ref, Mapping) and ref.get("id") not in found:
            found[ref["id"]] = ref   # expanded in the payout itself
    return [found[k] for k in sorted(found)]


def reconcile_line(entry: JournalEntry, payout: Mapping[str, Any] | None,
                   balance_transactions: Iterable[Mapping[str, Any]]) -> ReconciledLine:
    base = dict(key=entry.key, creator=entry.creator, currency=entry.currency, day=entry.day,
                method=entry.method, planned_amount=entry.amount, planned_fee=entry.fee,
                planned_net=entry.net)
    if not entry.payout_id:
        why = entry.error_message or "intent recorded, no answer (run execute again)"
        return ReconciledLine(**base, state="not_sent",
                              reasons=(f"no payout: {entry.error_code or entry.state}: {why}",))
    if payout is None:
        return ReconciledLine(**base, state="missing", payout_id=entry.payout_id,
                              reasons=(f"payout {entry.payout_id} not found in Stripe data",))
    reasons: list[str] = []
    status = payout.get("status")
    if status not in LIVE + RETURNED:
        raise ValueError(f"payout {payout.get('id')}: unknown status {status!r}")
    if int(payout["amount"]) != entry.net:
        reasons.append(f"payout amount {payout['amount']} differs from planned net {entry.net}")
    if str(payout.get("currency", "")).upper() != entry.currency:
        reasons.append(f"payout currency {payout.get('currency')} differs from planned {entry.currency}")
    txns = payout_transactions(payout, balance_transactions)
    own = [t for t in txns if t.get("id") == _ref(payout.get("balance_transaction"))]
    stripe_fee = int(own[0].get("fee", 0)) if own else None
    debited = -sum(int(t["net"]) for t in txns)
    expected = entry.amount if status in LIVE else 0
    if not own:
        reasons.append(f"balance transaction of payout {payout['id']} not found")
    elif stripe_fee != entry.fee:
        reasons.append(f"Stripe fee {stripe_fee} differs from planned fee {entry.fee}")
    if status in RETURNED:
        reasons.append(f"payout {status}: {payout.get('failure_code') or 'no failure code'}")
        if debited and not payout.get("failure_balance_transaction"):
            reasons.append("money not yet returned to the balance")
    difference = debited - expected
    if difference and own:
        reasons.append(f"balance moved {debited}, plan expects {expected}")
    return ReconciledLine(**base, state=status, payout_id=payout["id"],
                          payout_amount=int(payout["amount"]), stripe_fee=stripe_fee,
                          failure_code=payout.get("failure_code"), expected_debit=expected,
                          debited=debited, difference=difference, reasons=tuple(reasons))


def reconcile(entries: Iterable[JournalEntry], payouts: Iterable[Mapping[str, Any]],
              balance_transactions: Iterable[Mapping[str, Any]]) -> list[ReconciledLine]:
    by_id = {p["id"]: p for p in payouts}
    txns = list(balance_transactions)
    return [reconcile_line(e, by_id.get(e.payout_id) if e.payout_id else None, txns)
            for e in entries]


def recent_payout_from_stripe(payout: Mapping[str, Any], creator: str) -> RecentPayout:
    """A Stripe payout as the plan's `RecentPayout` (failed ones carry their failure code into
    the next plan)."""
    created = datetime.fromtimestamp(int(payout["created"]), tz=timezone.utc).date()
    return RecentPayout(creator=creator, currency=str(payout["currency"]).upper(),
                        payout_id=payout["id"], created=created, status=payout["status"],
                        amount=int(payout["amount"]), destination=_ref(payout.get("destination")),
                        failure_code=payout.get("failure_code"))


@dataclass(frozen=True)
class ItemizedRow:
    creator: str
    month: str
    currency: str
    payouts: int
    paid: int         # net reached the bank (status paid)
    in_flight: int    # pending or in transit
    returned: int     # failed or canceled
    fees: int         # instant fees on live or paid payouts
    unreconciled: int  # lines listed with reasons other than a failure


def itemize(lines: Iterable[ReconciledLine]) -> list[ItemizedRow]:
    """The payout report per creator and month (and currency)."""
    acc: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0] * 6)
    for line in lines:
        row = acc[(line.creator, line.day.strftime("%Y-%m"), line.currency)]
        row[0] += 1
        if line.state == "paid":
            row[1] += line.planned_net
        elif line.state in ("pending", "in_transit"):
            row[2] += line.planned_net
        elif line.state in RETURNED:
            row[3] += line.planned_net
        if line.state in LIVE:
            row[4] += line.stripe_fee or 0
        if any(not r.startswith("payout failed") and not r.startswith("payout canceled")
               for r in line.reasons):
            row[5] += 1
    return [ItemizedRow(c, m, cur, *acc[(c, m, cur)]) for c, m, cur in sorted(acc)]
