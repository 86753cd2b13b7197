"""The `raw_stripe` landing contract, shared by the DuckDB and PostgreSQL writers.

Tables (one per `pipelines.catalog` type): id (primary key), account (NULL = platform),
created, livemode, api_version, payload (JSON/JSONB), synced_at, source (list/event/retrieve),
is_deleted, plus `state_version` = observed_at * 2 + (1 for list/retrieve, 0 for event), where
observed_at is the server time the copy was true (the answer's `Date`, or the event's created).
An upsert replaces a row only with a version at least as new AND a different payload or deletion
flag, so newest wins and re-landing an unchanged object changes nothing (not even synced_at).

`_sync_state` (stream, account '' = platform) holds the cursors of `pipelines.stripe.state`,
written in the same transaction as the rows they cover. `_rejected` holds what failed
validation, one row per (type, account, object or raw text, field).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from pipelines.catalog import OBJECT_TYPES
from pipelines.stripe.accounts import AccountActivity
from pipelines.stripe.records import Row, payload_hash
from pipelines.stripe.rejects import Rejected
from pipelines.stripe.state import StreamState

SCHEMA = "raw_stripe"
TABLES = tuple(t.table for t in OBJECT_TYPES)
ROW_COLUMNS = ("id", "account", "created", "livemode", "api_version", "payload", "source",
               "is_deleted", "state_version")
STATE_COLUMNS = ("stream", "account", "cursor", "synced_through", "full_started", "pass_full",
                 "pass_floor", "pass_started", "pass_max", "pass_after")
SOURCE_RANK = {"event": 0, "list": 1, "retrieve": 1}


def state_version(observed_at: int, source: str) -> int:
    return observed_at * 2 + SOURCE_RANK[source]


def reject_key(r: Rejected) -> str:
    ident = r.object_id if r.object_id is not None else r.raw
    raw = "\x1f".join((r.object_type, r.account or "", ident, r.field))
    return hashlib.sha1(raw.encode()).hexdigest()


def state_tuple(s: StreamState) -> tuple:
    return tuple(getattr(s, c) for c in STATE_COLUMNS)


def latest_states(states: list[StreamState]) -> list[StreamState]:
    """The last state of each (stream, account): a write lands its states in one statement, which
    may not update a row twice, and a stream's later state in the same write supersedes."""
    return list({s.key: s for s in states}.values())


@dataclass
class WriteResult:
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)


def columns_of(rows: list[Row]) -> dict[str, list]:
    if not rows:
        return {c: [] for c in ROW_COLUMNS + ("payload_hash",)}
    # a Row is a tuple: zip(*rows) transposes in C, one pass instead of one per column
    _table, ids, account, created, livemode, api_version, payload, source, is_deleted, observed, \
        hashes = zip(*rows)
    rank = SOURCE_RANK
    return {
        "id": list(ids),
        "account": list(account),
        "created": list(created),
        "livemode": list(livemode),
        "api_version": list(api_version),
        "payload": list(payload),
        "source": list(source),
        "is_deleted": list(is_deleted),
        "state_version": [o * 2 + rank[s] for o, s in zip(observed, source)],
        # `records.payload_hash`, made with the payload; a row built without it gets it here
        "payload_hash": list(hashes) if None not in hashes else
                        [h if h is not None else payload_hash(p if isinstance(p, bytes) else p.encode())
                         for h, p in zip(hashes, payload)],
    }


# SQL that both engines accept, given `payload ->> 'key'` text extraction. {now}: the run's
# server time; {streams}: the streams read on every visit of an account.
ACTIVITY_SQL = f"""
WITH conn AS (
    SELECT id AS account,
           payload -> 'settings' -> 'payouts' -> 'schedule' ->> 'interval' AS payout_interval,
           payload -> 'settings' -> 'payouts' -> 'schedule' ->> 'weekly_anchor' AS weekly_anchor,
           payload -> 'settings' -> 'payouts' -> 'schedule' ->> 'monthly_anchor' AS monthly_anchor,
           payload ->> 'payouts_enabled' AS payouts_enabled
    FROM {SCHEMA}.account WHERE NOT is_deleted
), st AS (
    SELECT account,
           MIN(synced_through) FILTER (WHERE stream IN ({{streams}})) AS synced_through,
           BOOL_OR(pass_full IS NOT NULL) AS open_pass,
           COUNT(*) FILTER (WHERE stream IN ({{streams}})) AS n,
           MAX(synced_through) FILTER (WHERE stream = 'balance_transaction') AS balance_synced,
           MAX(synced_through) FILTER (WHERE stream = 'event') AS events_synced
    FROM {SCHEMA}._sync_state
    WHERE account <> '' AND stream IN ('balance_transaction', 'payout', 'event')
    GROUP BY account
), platform AS (
    SELECT payload ->> 'destination' AS account, MAX(state_version) AS v
    FROM {SCHEMA}.transfer GROUP BY 1
    UNION ALL
    SELECT payload ->> 'account', MAX(state_version) FROM {SCHEMA}.application_fee GROUP BY 1
    UNION ALL
    SELECT id, MAX(state_version) FROM {SCHEMA}.account GROUP BY 1
), bal AS (
    SELECT account, SUM(CAST(payload ->> 'net' AS BIGINT)) AS available
    FROM {SCHEMA}.balance_transaction
    WHERE account IS NOT NULL AND CAST(payload ->> 'available_on' AS BIGINT) <= {{now}}
    GROUP BY account
), settling AS (
    SELECT DISTINCT account FROM {SCHEMA}.payout
    WHERE account IS NOT NULL AND (payload ->> 'status' = 'pending'
          OR (payload ->> 'status' = 'in_transit'
              AND CAST(payload ->> 'arrival_date' AS BIGINT) <= {{now}} + 86400))
)
SELECT conn.account,
       CASE WHEN st.n >= {{n_streams}} THEN st.synced_through END,
       COALESCE(st.open_pass, FALSE),
       (SELECT MAX(v) FROM platform p WHERE p.account = conn.account) / 2,
       COALESCE(bal.available, 0) > 0,
       settling.account IS NOT NULL,
       conn.payout_interval, conn.weekly_anchor, conn.monthly_anchor, conn.payouts_enabled,
       {{balance_synced}}, {{events_synced}}
FROM conn
LEFT JOIN st ON st.account = conn.account
LEFT JOIN bal ON bal.account = conn.account
LEFT JOIN settling ON settling.account = conn.account
ORDER BY conn.account
"""


def activity_sql(streams: list[str], now: int) -> str:
    # a stream this run does not visit has no say in when the account is read
    return ACTIVITY_SQL.format(streams=", ".join(f"'{s}'" for s in streams),
                               n_streams=len(streams), now=int(now),
                               balance_synced="st.balance_synced" if "balance_transaction" in streams else "NULL",
                               events_synced="st.events_synced" if "event" in streams else "NULL")


class Landing(Protocol):
    kind: str

    def ensure_schema(self) -> None: ...
    def load_states(self) -> dict[tuple[str, str], StreamState]: ...
    def write(self, rows: list[Row], rejects: list[Rejected], states: list[StreamState],
              run_id: str) -> WriteResult: ...
    def account_activity(self, streams: list[str], now: int) -> list[AccountActivity]: ...
    def fetch(self, sql: str) -> list[tuple]: ...   # a read-only query's rows (both warehouses' SQL)
    def close(self) -> None: ...


def _anchor(value) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def activities_from(result_rows) -> list[AccountActivity]:
    def num(v):
        return None if v is None else int(v)

    return [AccountActivity(a, num(s), bool(o), num(p), bool(b), bool(f),
                            interval, weekly, _anchor(monthly), enabled != "false", num(bs), num(es))
            for a, s, o, p, b, f, interval, weekly, monthly, enabled, bs, es in result_rows]
