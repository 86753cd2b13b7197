"""The simulator's object book: creates and updates Stripe objects, writes their events, keeps
connected-account balances, and saves/loads itself to the SQLite world (store.py).

Events: only events dated inside the last 30 days of the clock are ever served (Stripe keeps 30
days), so `generate` writes events only from `event_from` = end - 30 days on; `advance` writes all.
Objects live in `self.objs` (every object in generate; in advance only the ones loaded to change).
After a flush they are read back from the store when changed again, except the objects that change
all their life (`HOT_OBJECTS`: subscriptions, renewed every period), which stay in memory until
they end: a renewal then costs no SELECT and no JSON parse. Either way a changed object is
rewritten at the next flush, so the world file is the same.

Every change of an object the API already shows gets its event: several changes of one object
at the same second with the same event type (a renewal rolls the period, sets `latest_invoice`
and perhaps the status) become one event whose `previous_attributes` are the values before the
first change and whose `data.object` is the state after the last, as Stripe sends them.
"""
from __future__ import annotations

import pickle
import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal

import orjson

from . import store
from .ids import IdMaker

DAY = 86_400
OLD_API_VERSION = "2025-03-31.basil"

CREATED_EVENT = {
    "customer": "customer.created", "product": "product.created", "price": "price.created",
    "coupon": "coupon.created", "promotion_code": "promotion_code.created",
    "subscription": "customer.subscription.created", "invoice": "invoice.created",
    "credit_note": "credit_note.created", "payment_intent": "payment_intent.created",
    "refund": "refund.created", "dispute": "charge.dispute.created",
    "radar.early_fraud_warning": "radar.early_fraud_warning.created",
    "transfer": "transfer.created", "application_fee": "application_fee.created",
    "payout": "payout.created", "account": "account.updated",
}
UPDATED_EVENT = {"subscription": "customer.subscription.updated", "dispute": "charge.dispute.updated"}
HOT_OBJECTS = frozenset({"subscription"})
ENDED_STATUSES = frozenset({"canceled", "incomplete_expired"})
HOT_MAX = 40_000  # about 300 MB of subscriptions; beyond that they are read back like the rest

# Generation only: a fresh file nobody reads until it is renamed (no journal, no syncs, no zeroing
# of freed cells, one lock for the whole build; a big page cache for the random-id index inserts).
BULK_PRAGMAS = ("PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF", "PRAGMA secure_delete=OFF",
                "PRAGMA locking_mode=EXCLUSIVE", "PRAGMA temp_store=MEMORY", "PRAGMA cache_size=-131072")
INSERT_OBJECTS = ("INSERT INTO objects(seq, id, object, account, created, parent, type, payload) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT))")  # orjson's UTF-8 bytes, stored as TEXT
UPDATE_PAYLOAD = "UPDATE objects SET payload = CAST(? AS TEXT) WHERE id = ?"
INSERT_LABELS = "INSERT OR REPLACE INTO fraud_labels(id, label) VALUES (?, ?)"
INSERT_TAX_PROFILES = ("INSERT OR REPLACE INTO tax_profiles(account, legal_name, tin_type, tin, is_us, "
                       "address_line1, city, state, postal_code, country, backup_withholding) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
INSERT_FX_RATES = "INSERT OR REPLACE INTO fx_rates(day, currency, per_usd) VALUES (?, ?, ?)"

STATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS sim_state (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS balances (
    account   TEXT NOT NULL, currency TEXT NOT NULL,
    available INTEGER NOT NULL, pending INTEGER NOT NULL,
    PRIMARY KEY (account, currency)
);
CREATE TABLE IF NOT EXISTS fraud_labels (id TEXT PRIMARY KEY, label TEXT NOT NULL);
"""


@dataclass
class Balance:
    """One account's balance in its settlement currency; pending amounts by availability time."""
    currency: str
    available: int = 0
    pending: dict[int, int] = field(default_factory=dict)  # available_on -> amount

    def add(self, amount: int, available_on: int, now: int) -> None:
        if amount < 0 or available_on <= now:
            self.available += amount
        else:
            self.pending[available_on] = self.pending.get(available_on, 0) + amount

    def release(self, now: int) -> None:
        for when in sorted(k for k in self.pending if k <= now):
            self.available += self.pending.pop(when)

    @property
    def pending_total(self) -> int:
        return sum(self.pending.values())


def rate_number(rate: Decimal) -> float:
    """Stripe serialises exchange_rate as a JSON number; money itself never becomes a float."""
    return float(rate)


class WorldBook:
    """Object store + events + balances; subclassed by the simulation."""

    def __init__(self, seed: int):
        self.seed = seed
        self.ids = IdMaker(seed)
        self.clock = 0
        self.event_from = 0
        self.api_version = ""
        self.balances: dict[str, Balance] = {}
        self._reset_session()

    # ------------------------------------------------------------------ session (not pickled)
    def _reset_session(self) -> None:
        self.objs: dict[str, dict] = {}
        self.hot: dict[str, dict] = {}       # written HOT_OBJECTS kept in memory across flushes
        self.new_rows: list[tuple] = []      # (id, object, account, created, parent, type)
        self.event_bytes: dict[str, bytes] = {}
        self.loaded: set[str] = set()        # existing objects loaded from the store to change
        self.conn: sqlite3.Connection | None = None
        self.new_labels: dict[str, str] = {}
        self.new_tax_profiles: list[tuple] = []
        self.new_fx_rates: list[tuple] = []  # (day, currency, per_usd) for the fx_rates table
        self.last_event: dict[str, tuple] = {}  # object id -> (when, type, event) of its newest event

    def __getstate__(self):
        state = dict(self.__dict__)
        for key in ("objs", "hot", "new_rows", "event_bytes", "loaded", "conn", "new_labels",
                    "new_tax_profiles", "new_fx_rates", "last_event"):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._reset_session()

    # ------------------------------------------------------------------ objects
    def get(self, object_id: str) -> dict:
        obj = self.objs.get(object_id)
        if obj is not None:
            return obj
        obj = self.hot.pop(object_id, None)
        if obj is not None:  # as if read back from the store: it will be rewritten
            self.objs[object_id] = obj
            self.loaded.add(object_id)
            return obj
        if self.conn is None:
            raise KeyError(f"sandbox object {object_id} not found")
        row = self.conn.execute("SELECT payload FROM objects WHERE id = ?", (object_id,)).fetchone()
        if row is None:
            raise KeyError(f"sandbox object {object_id} not found in the world file")
        obj = orjson.loads(row[0])
        self.objs[object_id] = obj
        self.loaded.add(object_id)
        return obj

    def add(self, obj: dict, *, account: str = "", parent: str | None = None,
            event: str | None = "auto", created: int | None = None) -> dict:
        """Record a new object (and its creation event unless `event` is None)."""
        oid = obj["id"]
        when = obj.get("created") if created is None else created
        self.objs[oid] = obj
        self.new_rows.append((oid, obj["object"], account, when, parent, None))
        if event == "auto":
            event = CREATED_EVENT.get(obj["object"])
        if event:
            self.emit(event, obj, when, account=account)
        return obj

    def update(self, obj: dict, when: int, changes: dict, *, event: str | None = "auto",
               account: str = "") -> None:
        """Replace top-level fields and write the `.updated` event with previous_attributes."""
        previous = {k: obj.get(k) for k in changes if obj.get(k) != changes[k]}
        if obj["id"] not in self.objs:
            self.objs[obj["id"]] = obj
        obj.update(changes)
        if event == "auto":
            event = UPDATED_EVENT.get(obj["object"], f"{obj['object']}.updated")
        if not (event and previous):
            return
        last = self.last_event.get(obj["id"])
        if last is not None and last[0] == when and last[1] == event and "previous_attributes" in last[2]["data"]:
            self._merge(last[2], previous, obj)
        else:
            self.emit(event, obj, when, previous=previous, account=account)

    def _merge(self, ev: dict, previous: dict, obj: dict) -> None:
        """Fold a change into the object's event of the same second and type: the oldest value
        of each key is kept, a key changed back to where it was drops out (unless none is left)."""
        merged = {**previous, **ev["data"]["previous_attributes"]}
        changed = {k: v for k, v in merged.items() if obj.get(k) != v}
        ev["data"]["previous_attributes"] = changed or merged
        self.event_bytes[ev["id"]] = orjson.dumps(ev)  # the snapshot becomes the latest state

    def emit(self, event_type: str, obj: dict, when: int, *, previous: dict | None = None,
             account: str = "") -> None:
        if when < self.event_from:
            return
        ev = {
            "id": self.ids.new("evt_"),
            "object": "event",
            "api_version": OLD_API_VERSION if self.ids.rng.random() < 0.03 else self.api_version,
            "created": when,
            "data": {"object": obj} if previous is None else {"object": obj, "previous_attributes": previous},
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        if account:
            ev["account"] = account
        self.event_bytes[ev["id"]] = orjson.dumps(ev)  # snapshot of the object at event time
        self.new_rows.append((ev["id"], "event", account, when, None, event_type))
        self.last_event[obj["id"]] = (when, event_type, ev)

    def label(self, object_id: str, label: str) -> None:
        """Ground truth for fraud models (kept out of Stripe objects)."""
        self.new_labels[object_id] = label

    # ------------------------------------------------------------------ persistence
    def flush(self, conn: sqlite3.Connection, *, final: bool = True) -> int:
        """Insert the new objects in creation order, rewrite the changed old ones; at the end
        also save balances and the simulation state. Afterwards objects are read back on demand."""
        conn.executescript(STATE_SCHEMA)
        dumps = orjson.dumps
        objs, evb = self.objs, self.event_bytes

        def rows():
            for i, (oid, obj_type, account, created, parent, etype) in enumerate(self.new_rows, 1):
                payload = evb[oid] if obj_type == "event" else dumps(objs[oid])
                yield (start_seq + i, oid, obj_type, account, created, parent, etype, payload)

        with conn:
            # the server may append rows (POST /v1/payouts) concurrently: take the write lock first
            conn.execute("BEGIN IMMEDIATE")
            start_seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM objects").fetchone()[0]
            write_batch(conn, (rows(), ((dumps(objs[i]), i) for i in sorted(self.loaded)),
                               sorted(self.new_labels.items()), self.new_tax_profiles, self.new_fx_rates))
        self.new_tax_profiles = []
        self.new_fx_rates = []
        written = len(self.new_rows)
        self.new_rows.clear()
        self.event_bytes.clear()
        self.last_event.clear()
        self.loaded.clear()
        self.new_labels.clear()
        hot = self.hot
        if not final:
            room = HOT_MAX - len(hot)
            for oid, obj in objs.items():
                if room <= 0:
                    break
                if obj["object"] in HOT_OBJECTS and obj.get("status") not in ENDED_STATUSES:
                    hot[oid] = obj
                    room -= 1
        else:
            hot.clear()
        self.objs.clear()
        self.conn = conn
        if not final:
            return written
        with conn:
            conn.execute("DELETE FROM balances")
            conn.executemany(
                "INSERT INTO balances(account, currency, available, pending) VALUES (?, ?, ?, ?)",
                ((acct, b.currency, b.available, b.pending_total) for acct, b in sorted(self.balances.items())))
            conn.execute("INSERT OR REPLACE INTO sim_state(key, value) VALUES ('world', ?)",
                         (pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL),))
            store.set_meta(conn, "clock", self.clock)
        return written


def write_batch(conn: sqlite3.Connection, batch: tuple) -> None:
    """One flushed batch (new rows, payload updates, labels, tax profiles, FX rates) into the
    store, inside the caller's transaction."""
    rows, updates, labels, tax_profiles, fx_rates = batch
    conn.executemany(INSERT_OBJECTS, rows)
    conn.executemany(UPDATE_PAYLOAD, updates)
    conn.executemany(INSERT_LABELS, labels)
    conn.executemany(INSERT_TAX_PROFILES, tax_profiles)
    conn.executemany(INSERT_FX_RATES, fx_rates)


def load_world(conn: sqlite3.Connection) -> "WorldBook":
    conn.executescript(STATE_SCHEMA)
    row = conn.execute("SELECT value FROM sim_state WHERE key = 'world'").fetchone()
    if row is None:
        raise RuntimeError("this sandbox world has no simulation state; generate it again")
    world = pickle.loads(row[0])
    world.conn = conn
    return world

