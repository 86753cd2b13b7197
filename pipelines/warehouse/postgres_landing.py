"""PostgreSQL landing: per batch, COPY into a temporary table and upsert from it, state and
rejects in the same transaction. A session advisory lock serialises concurrent ingest runs."""
from __future__ import annotations

import csv
import io

import psycopg2
from psycopg2.extras import execute_values

from pipelines.stripe.accounts import AccountActivity
from pipelines.stripe.records import Row
from pipelines.stripe.rejects import Rejected
from pipelines.stripe.state import StreamState
from pipelines.warehouse.landing import (
    ROW_COLUMNS, SCHEMA, STATE_COLUMNS, TABLES, WriteResult, activities_from,
    activity_sql, columns_of, latest_states, reject_key, state_tuple,
)
from pipelines.warehouse.url import WarehouseTarget

INGEST_LOCK_ID = 0x5354524950  # "STRIP": one ingest at a time per database

DDL_TABLE = """
CREATE TABLE IF NOT EXISTS {schema}.{table} (
    id TEXT PRIMARY KEY,
    account TEXT,
    created BIGINT NOT NULL,
    livemode BOOLEAN,
    api_version TEXT,
    payload JSONB NOT NULL,
    synced_at TIMESTAMPTZ NOT NULL,
    source TEXT NOT NULL,
    is_deleted BOOLEAN NOT NULL DEFAULT FALSE,
    state_version BIGINT NOT NULL
)"""
DDL_STATE = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}._sync_state (
    stream TEXT NOT NULL, account TEXT NOT NULL, cursor BIGINT, synced_through BIGINT,
    full_started BIGINT, pass_full BOOLEAN, pass_floor BIGINT, pass_started BIGINT,
    pass_max BIGINT, pass_after TEXT, updated_at TIMESTAMPTZ NOT NULL, run_id TEXT,
    PRIMARY KEY (stream, account))"""
DDL_REJECTED = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}._rejected (
    reject_key TEXT PRIMARY KEY, object_type TEXT NOT NULL, account TEXT,
    object_id TEXT, field TEXT NOT NULL, reason TEXT NOT NULL, raw_payload TEXT,
    rejected_at TIMESTAMPTZ NOT NULL, run_id TEXT)"""


def _csv(rows: list[Row]) -> io.StringIO:
    buf = io.StringIO()
    w = csv.writer(buf)
    cols = columns_of(rows)
    for values in zip(*(cols[c] for c in ROW_COLUMNS)):
        # NULL is the unquoted empty field; text never is (csv quotes empty strings); a payload
        # comes as UTF-8 bytes (records.Row)
        w.writerow(["" if v is None else ("t" if v is True else "f" if v is False else
                                          v.decode() if isinstance(v, bytes) else v)
                    for v in values])
    buf.seek(0)
    return buf


class PostgresLanding:
    kind = "postgres"

    def __init__(self, target: WarehouseTarget):
        self.con = psycopg2.connect(host=target.host, port=target.port, user=target.user,
                                    password=target.password or None, dbname=target.dbname)
        self.con.autocommit = True
        with self.con.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (INGEST_LOCK_ID,))
        self.con.autocommit = False

    def ensure_schema(self) -> None:
        with self.con.cursor() as cur:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            for table in TABLES:
                cur.execute(DDL_TABLE.format(schema=SCHEMA, table=table))
            cur.execute(DDL_STATE)
            cur.execute(DDL_REJECTED)
        self.con.commit()

    def load_states(self) -> dict[tuple[str, str], StreamState]:
        with self.con.cursor() as cur:
            cur.execute(f"SELECT {', '.join(STATE_COLUMNS)} FROM {SCHEMA}._sync_state")
            rows = cur.fetchall()
        self.con.commit()
        return {(r[0], r[1]): StreamState(*r) for r in rows}

    def write(self, rows: list[Row], rejects: list[Rejected], states: list[StreamState],
              run_id: str) -> WriteResult:
        result = WriteResult()
        by_table: dict[str, list[Row]] = {}
        for r in rows:
            by_table.setdefault(r.table, []).append(r)
        try:
            with self.con.cursor() as cur:
                cur.execute("SELECT now()")
                now = cur.fetchone()[0]
                for table, trows in by_table.items():
                    cur.execute(
                        "CREATE TEMP TABLE IF NOT EXISTS _landing_batch (id TEXT, account TEXT, "
                        "created BIGINT, livemode BOOLEAN, api_version TEXT, payload TEXT, "
                        "source TEXT, is_deleted BOOLEAN, state_version BIGINT) ON COMMIT DELETE ROWS")
                    cur.execute("TRUNCATE _landing_batch")
                    cur.copy_expert(
                        f"COPY _landing_batch ({', '.join(ROW_COLUMNS)}) FROM STDIN WITH (FORMAT csv)",
                        _csv(trows))
                    cur.execute(
                        f"INSERT INTO {SCHEMA}.{table} AS t (id, account, created, livemode, "
                        f"api_version, payload, synced_at, source, is_deleted, state_version) "
                        f"SELECT id, account, created, livemode, api_version, payload::jsonb, %s, "
                        f"source, is_deleted, state_version FROM _landing_batch "
                        f"ON CONFLICT (id) DO UPDATE SET account = excluded.account, "
                        f"created = excluded.created, livemode = excluded.livemode, "
                        f"api_version = excluded.api_version, payload = excluded.payload, "
                        f"synced_at = excluded.synced_at, source = excluded.source, "
                        f"is_deleted = excluded.is_deleted, state_version = excluded.state_version "
                        f"WHERE excluded.state_version >= t.state_version AND "
                        f"(t.payload IS DISTINCT FROM excluded.payload "
                        f"OR t.is_deleted IS DISTINCT FROM excluded.is_deleted) "
                        f"RETURNING (xmax = 0)", (now,))
                    flags = [r[0] for r in cur.fetchall()]
                    result.inserted[table] = result.inserted.get(table, 0) + sum(flags)
                    result.updated[table] = result.updated.get(table, 0) + len(flags) - sum(flags)
                if rejects:
                    cur.executemany(
                        f"INSERT INTO {SCHEMA}._rejected VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                        f"ON CONFLICT (reject_key) DO UPDATE SET reason = excluded.reason, "
                        f"raw_payload = excluded.raw_payload, rejected_at = excluded.rejected_at, "
                        f"run_id = excluded.run_id",
                        [(reject_key(r), r.object_type, r.account, r.object_id, r.field,
                          r.reason, r.raw, now, run_id) for r in rejects])
                if states:
                    # a statement per 1,000 states, not one per state (executemany)
                    updates = ", ".join(f"{c} = excluded.{c}" for c in STATE_COLUMNS[2:])
                    execute_values(
                        cur,
                        f"INSERT INTO {SCHEMA}._sync_state ({', '.join(STATE_COLUMNS)}, "
                        f"updated_at, run_id) VALUES %s ON CONFLICT (stream, account) "
                        f"DO UPDATE SET {updates}, updated_at = excluded.updated_at, "
                        f"run_id = excluded.run_id",
                        [state_tuple(s) + (now, run_id) for s in latest_states(states)], page_size=1000)
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        return result

    def account_activity(self, streams: list[str], now: int) -> list[AccountActivity]:
        return activities_from(self.fetch(activity_sql(streams, now)))

    def fetch(self, sql: str) -> list[tuple]:
        with self.con.cursor() as cur:
            cur.execute(sql)
            rows = cur.fetchall()
        self.con.commit()
        return rows

    def close(self) -> None:
        try:
            self.con.rollback()
            with self.con.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", (INGEST_LOCK_ID,))
            self.con.commit()
        finally:
            self.con.close()
