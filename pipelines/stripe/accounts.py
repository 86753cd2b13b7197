"""Which connected accounts an incremental run must visit (pure).

Visiting every creator every run would cost 3 calls x accounts and break the 5% budget, so an
account is read only when something can have changed there since its last sync (server times):
1. it was never synced completely, or a pass on it is still open (a killed run);
2. no server time has passed since its last sync -> skip (nothing can have happened);
3. the platform saw activity naming it since then: a transfer to it (new, or reversed/updated),
   an application fee from it, or a change to the account object itself;
4. money can still move by itself: its landed balance transactions do not sum to zero (funds
   pending or available: a payout will come), or one of its payouts is not final
   (pending / in_transit: `payout.paid` / `payout.failed` will come);
5. its last sync is older than `sweep_days` (before events expire at 30 days).
Anything else on a connected account follows from 3 or 4 in the Connect money flow (destination
charges: funds arrive only by transfers; leave only by payouts or reversals).
"""
from __future__ import annotations

from dataclasses import dataclass

from pipelines.stripe.state import DAY, DEFAULT_OVERLAP_SECONDS


@dataclass(frozen=True)
class AccountActivity:
    account: str
    synced_through: int | None          # oldest synced_through over its streams; None = never
    open_pass: bool                     # a pass on one of its streams is unfinished
    platform_activity_at: int | None    # newest server time a platform row naming it changed
    balance_nonzero: bool
    payouts_in_flight: bool


def accounts_to_sync(activities: list[AccountActivity], now: int, *,
                     overlap: int = DEFAULT_OVERLAP_SECONDS, sweep_days: int = 25) -> list[str]:
    chosen = []
    for a in activities:
        if a.synced_through is None or a.open_pass:
            chosen.append(a.account)
        elif now <= a.synced_through:
            continue
        elif a.platform_activity_at is not None and a.platform_activity_at >= a.synced_through - overlap:
            chosen.append(a.account)
        elif a.balance_nonzero or a.payouts_in_flight:
            chosen.append(a.account)
        elif a.synced_through < now - sweep_days * DAY:
            chosen.append(a.account)
    return chosen
