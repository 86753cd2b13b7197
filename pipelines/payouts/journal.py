"""The execution journal: one entry per plan line, written BEFORE the API call (the intent) and
again after it (the answer). An entry with an intent and no answer is exactly the case of a crash
between the call and the record; the executor resolves it by asking Stripe, never by guessing.

`PayoutJournal` is the interface; `InMemoryJournal` serves tests. The one journal that moves
money is `warehouse.WarehouseJournal` (`finance.payout_journal`), shared by the Dagster job and
the `cashbook payouts` command: a second journal could not see the first's intents.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

INTENT = "intent"        # recorded, call not (known to be) answered
SENT = "sent"            # Stripe answered with a payout
ERROR = "error"          # Stripe refused the request; a re-run retries with the same key
CONFLICT = "conflict"    # the key was already used with other parameters: needs a person


@dataclass(frozen=True)
class JournalEntry:
    key: str
    creator: str
    currency: str
    day: date
    plan_version: int
    method: str
    amount: int          # gross from the plan
    fee: int
    net: int             # what the payout request sends
    state: str = INTENT
    intent_at: int = 0
    attempts: int = 0
    payout_id: str | None = None
    payout_status: str | None = None
    answered_at: int | None = None
    error_code: str | None = None
    error_message: str | None = None


class PayoutJournal(Protocol):
    def get(self, key: str) -> JournalEntry | None: ...
    def record_intent(self, entry: JournalEntry) -> JournalEntry: ...
    def record_answer(self, key: str, payout_id: str, payout_status: str | None, at: int) -> JournalEntry: ...
    def record_error(self, key: str, state: str, code: str | None, message: str, at: int) -> JournalEntry: ...
    def entries(self, day: date | None = None) -> list[JournalEntry]: ...


class InMemoryJournal:
    def __init__(self) -> None:
        self._rows: dict[str, JournalEntry] = {}

    def get(self, key: str) -> JournalEntry | None:
        return self._rows.get(key)

    def record_intent(self, entry: JournalEntry) -> JournalEntry:
        old = self._rows.get(entry.key)
        new = replace(old, attempts=old.attempts + 1) if old else replace(entry, attempts=1)
        self._rows[entry.key] = new
        return new

    def record_answer(self, key: str, payout_id: str, payout_status: str | None, at: int) -> JournalEntry:
        new = replace(self._rows[key], state=SENT, payout_id=payout_id, payout_status=payout_status,
                      answered_at=at, error_code=None, error_message=None)
        self._rows[key] = new
        return new

    def record_error(self, key: str, state: str, code: str | None, message: str, at: int) -> JournalEntry:
        new = replace(self._rows[key], state=state, error_code=code, error_message=message,
                      answered_at=at)
        self._rows[key] = new
        return new

    def entries(self, day: date | None = None) -> list[JournalEntry]:
        return [e for k, e in sorted(self._rows.items()) if day is None or e.day == day]
