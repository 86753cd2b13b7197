"""The execution journal: one entry per plan line, written BEFORE the API call (the intent) and
again after it (the answer). An entry with an intent and no answer is exactly the case of a crash
between the call and the record; the executor resolves it by asking Stripe, never by guessing.

`PayoutJournal` is the interface; `InMemoryJournal` serves tests, `SqliteJournal` the command
line. A warehouse-table journal for the Dagster job implements the same five methods.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Iterable, Protocol

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


_COLUMNS = ("key", "creator", "currency", "day", "plan_version", "method", "amount", "fee", "net",
            "state", "intent_at", "attempts", "payout_id", "payout_status", "answered_at",
            "error_code", "error_message")


class SqliteJournal:
    """Each write is committed before the method returns: the intent is on disk before the call."""

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS payout_journal ("
            " key TEXT PRIMARY KEY, creator TEXT NOT NULL, currency TEXT NOT NULL, day TEXT NOT NULL,"
            " plan_version INTEGER NOT NULL, method TEXT NOT NULL, amount INTEGER NOT NULL,"
            " fee INTEGER NOT NULL, net INTEGER NOT NULL, state TEXT NOT NULL,"
            " intent_at INTEGER NOT NULL, attempts INTEGER NOT NULL, payout_id TEXT,"
            " payout_status TEXT, answered_at INTEGER, error_code TEXT, error_message TEXT)")
        self._conn.commit()

    def close(self) -> None:
        self._conn.close()

    def _row(self, row) -> JournalEntry:
        values = dict(zip(_COLUMNS, row))
        values["day"] = date.fromisoformat(values["day"])
        return JournalEntry(**values)

    def get(self, key: str) -> JournalEntry | None:
        row = self._conn.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM payout_journal WHERE key = ?", (key,)).fetchone()
        return self._row(row) if row else None

    def record_intent(self, entry: JournalEntry) -> JournalEntry:
        with self._conn:
            self._conn.execute(
                f"INSERT INTO payout_journal ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
                " ON CONFLICT(key) DO UPDATE SET attempts = attempts + 1",
                tuple(getattr(replace(entry, attempts=1), c) if c != "day" else entry.day.isoformat()
                      for c in _COLUMNS))
        return self.get(entry.key)

    def record_answer(self, key: str, payout_id: str, payout_status: str | None, at: int) -> JournalEntry:
        with self._conn:
            self._conn.execute(
                "UPDATE payout_journal SET state = ?, payout_id = ?, payout_status = ?,"
                " answered_at = ?, error_code = NULL, error_message = NULL WHERE key = ?",
                (SENT, payout_id, payout_status, at, key))
        return self.get(key)

    def record_error(self, key: str, state: str, code: str | None, message: str, at: int) -> JournalEntry:
        with self._conn:
            self._conn.execute(
                "UPDATE payout_journal SET state = ?, error_code = ?, error_message = ?,"
                " answered_at = ? WHERE key = ?", (state, code, message, at, key))
        return self.get(key)

    def entries(self, day: date | None = None) -> list[JournalEntry]:
        sql = f"SELECT {', '.join(_COLUMNS)} FROM payout_journal"
        args: Iterable = ()
        if day is not None:
            sql, args = sql + " WHERE day = ?", (day.isoformat(),)
        return [self._row(r) for r in self._conn.execute(sql + " ORDER BY key", tuple(args))]
