"""Which connected accounts an incremental run must visit (pure).

Visiting every creator every run would cost 2 calls x accounts and break the 5% budget, so an
account is read only when something can have changed there since its last sync (server times):
1. it was never synced completely, or a pass on it is still open (a killed run);
2. no server time has passed since its last sync -> skip (nothing can have happened);
3. the platform saw activity naming it after that sync began: a transfer to it (new, or
   reversed/updated), an application fee from it, or a change to the account object itself. A
   row's time is the server time of the answer that listed it, or its event's `created`; rows
   landed by the run that synced the account (its platform phase comes first) are no news,
   which with an overlap they would be on the next run, and after a full read for every account.
   Rows whose effect on the account's balance the warehouse already shows are no news either
   (`coverage`): a transfer without reversals whose payment's balance transaction has landed
   (the platform's transfer list expands it), an application fee without refunds taken from a
   destination charge whose transfer names the account (the fee stays on the platform);
4. one of its payouts will change by itself: it is `pending` (it goes `in_transit` within hours)
   or `in_transit` and due to arrive (`payout.paid` / `payout.failed` come on the arrival date);
5. its payout schedule had a payout date since its last sync and its landed balance transactions
   leave funds available by now (an automatic payout can have been created; `manual` schedules
   and accounts with payouts disabled never pay out by themselves);
6. its last sync is older than `sweep_days` (before events expire at 30 days).
Anything else on a connected account follows from 3, 4 or 5 in the Connect money flow
(destination charges: funds arrive only by transfers; leave only by payouts or reversals).

Which of its streams a visit reads follows from why (`plan_account_visits`): platform activity
alone (3) means new balance transactions and no payout news, so only the balance transactions
are listed; a payout reason (4, 5) reads the account's events, and its balance transactions only
when those events show money moving (`events_move_balance`: a payout created, failed or
canceled); a first visit, an open pass and the sweep (1, 6) read everything. Each rule compares
with the stream it is about (3 with the balance transactions' sync, 4 and 5 with the events'),
so a stream left unread on one visit is not a reason for the next. On the demo world this cut
the account calls of a day by a third.
Why rule 3 may skip a transfer it has seen: on the connected account a transfer books exactly
one balance transaction (`payment`, source its `destination_payment`), at the transfer's time; a
reversal one more (`payment_refund`), which changes the transfer's row (`amount_reversed`) and so
is never shown. Whether the transfer arrived by the list (expanded) or by an event (not), its
row is newer than the account's listing until a listing follows, and rule 3 reads the account
unless that balance transaction is in the warehouse: no transfer's booking can be missed. The
balance transactions stream's cursor and sync time move only when it is listed (expanded rows
never claim a listing), so the sweep (6) and the rules compare with real listings.

Rule 5 replaces "its balance is not zero", which sent nearly every creator with money pending
to be read on every run (8.7% of a full run's calls on the demo world after one day).

Payout dates are calendar days in the account's time zone, which the list answers do not give:
a date D is taken to run from 14 hours before its UTC start (UTC+14) to 12 hours after its UTC
end (UTC-12), so that no time zone can hide a payout date from the window.
"""
from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.stripe.state import DAY, DEFAULT_OVERLAP_SECONDS

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EPOCH_WEEKDAY = 3               # 1970-01-01 was a Thursday
EAST, WEST = 14 * 3600, 12 * 3600   # the farthest UTC offsets: +14 h and -12 h


@dataclass(frozen=True)
class AccountActivity:
    account: str
    synced_through: int | None          # oldest synced_through over its streams; None = never
    open_pass: bool                     # a pass on one of its streams is unfinished
    platform_activity_at: int | None    # newest server time a platform row naming it changed
    funds_available: bool               # landed balance transactions available by now sum > 0
    payouts_settling: bool              # a payout pending, or in transit and due to arrive
    payout_interval: str | None = None  # daily / weekly / monthly / manual; None = unknown
    weekly_anchor: str | None = None
    monthly_anchor: int | None = None
    payouts_enabled: bool = True
    balance_synced_through: int | None = None   # its balance transactions' stream; None = as above
    events_synced_through: int | None = None    # its events' stream (payouts follow them)


@dataclass(frozen=True)
class AccountVisit:
    """Which of a connected account's streams a run reads. `events` without `balance`: read the
    balance transactions afterwards only if the events show money moving."""
    account: str
    events: bool
    balance: bool


# Event types on a connected account that never come with a balance transaction of their own:
# a payout moving on to in_transit or paid, funds becoming available. Anything else (a payout
# created, failed or canceled, or a type not known here) may have moved money.
BALANCE_NEUTRAL_EVENTS = frozenset({"payout.updated", "payout.paid", "balance.available"})


def events_move_balance(event_types) -> bool:
    return any(t not in BALANCE_NEUTRAL_EVENTS for t in event_types)


def is_payout_day(day: int, interval: str | None, weekly_anchor: str | None,
                  monthly_anchor: int | None) -> bool:
    """Whether UTC day number `day` (epoch seconds // DAY) is a payout date of the schedule.
    An unknown schedule counts every day (read rather than miss a payout)."""
    if interval == "manual":
        return False
    if interval == "weekly" and weekly_anchor in WEEKDAYS:
        return (day + EPOCH_WEEKDAY) % 7 == WEEKDAYS.index(weekly_anchor)
    if interval == "monthly" and isinstance(monthly_anchor, int):
        d = date(1970, 1, 1) + timedelta(days=day)
        # an anchor past the month's end pays on its last day
        return d.day == min(monthly_anchor, monthrange(d.year, d.month)[1])
    return True


def payout_day_between(start: int, end: int, interval: str | None, weekly_anchor: str | None,
                       monthly_anchor: int | None) -> bool:
    """A payout date of the schedule whose day, widened to every time zone, meets (start, end]."""
    if end <= start:
        return False
    first = (start - WEST) // DAY - 1
    last = (end + EAST) // DAY
    for day in range(first, last + 1):
        lo, hi = day * DAY - EAST, (day + 1) * DAY + WEST
        if lo < end and hi > start and is_payout_day(day, interval, weekly_anchor, monthly_anchor):
            return True
    return False


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def plan_account_visits(activities: list[AccountActivity], now: int, *,
                        overlap: int = DEFAULT_OVERLAP_SECONDS,
                        sweep_days: int = 25) -> list[AccountVisit]:
    visits = []
    for a in activities:
        if a.synced_through is None or a.open_pass:
            visits.append(AccountVisit(a.account, True, True))
            continue
        if now <= a.synced_through:
            continue
        if a.synced_through < now - sweep_days * DAY:
            visits.append(AccountVisit(a.account, True, True))
            continue
        # each rule against its own stream's sync time when known, else the account's oldest
        balance_synced = _or(a.balance_synced_through, a.synced_through)
        events_synced = _or(a.events_synced_through, a.synced_through)
        transfers = a.platform_activity_at is not None and a.platform_activity_at > balance_synced
        payouts = a.payouts_settling or (
            a.funds_available and a.payouts_enabled
            and payout_day_between(events_synced - overlap, now, a.payout_interval,
                                   a.weekly_anchor, a.monthly_anchor))
        if transfers or payouts:
            visits.append(AccountVisit(a.account, events=payouts, balance=transfers))
    return visits


def accounts_to_sync(activities: list[AccountActivity], now: int, *,
                     overlap: int = DEFAULT_OVERLAP_SECONDS, sweep_days: int = 25) -> list[str]:
    return [v.account for v in plan_account_visits(activities, now, overlap=overlap,
                                                   sweep_days=sweep_days)]
