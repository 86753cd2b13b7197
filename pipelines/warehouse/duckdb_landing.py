"""DuckDB landing: one writer connection; each batch is Arrow columns registered as a view and
landed with one statement per table, state and rejects in the same transaction. A table that was
empty when the run opened it takes plain INSERTs (a first full read: every row is new) until one
meets an id it already holds; then that transaction is rolled back and written again with
INSERT ... ON CONFLICT DO UPDATE, which every other table uses. A file lock next to the database
serialises concurrent ingest runs (DuckDB allows one writing process per file)."""
from __future__ import annotations

import fcntl
import time
from operator import attrgetter
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.stripe.accounts import AccountActivity
from pipelines.stripe.records import Row
from pipelines.stripe.rejects import Rejected
from pipelines.stripe.state import StreamState
from pipelines.warehouse.landing import (
    SCHEMA, STATE_COLUMNS, TABLES, WriteResult, activities_from, activity_sql, columns_of,
    latest_states, reject_key,
)

ARROW_SCHEMA = pa.schema([
    ("id", pa.string()), ("account", pa.string()), ("created", pa.int64()),
    ("livemode", pa.bool_()), ("api_version", pa.string()), ("payload", pa.string()),
    ("source", pa.string()), ("is_deleted", pa.bool_()), ("state_version", pa.int64()),
    ("payload_hash", pa.uint64()),
])

DDL_TABLE = """
CREATE TABLE IF NOT EXISTS {schema}.{table} (
    id VARCHAR PRIMARY KEY,
    account VARCHAR,
    created BIGINT NOT NULL,
    livemode BOOLEAN,
    api_version VARCHAR,
    payload VARCHAR NOT NULL,
    synced_at TIMESTAMPTZ NOT NULL,
    source VARCHAR NOT NULL,
    is_deleted BOOLEAN NOT NULL DEFAULT FALSE,
    state_version BIGINT NOT NULL,
    payload_hash UBIGINT
)"""
DDL_STATE = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}._sync_state (
    stream VARCHAR NOT NULL, account VARCHAR NOT NULL, cursor BIGINT, synced_through BIGINT,
    full_started BIGINT, pass_full BOOLEAN, pass_floor BIGINT, pass_started BIGINT,
    pass_max BIGINT, pass_after VARCHAR, updated_at TIMESTAMPTZ NOT NULL, run_id VARCHAR,
    PRIMARY KEY (stream, account))"""
DDL_REJECTED = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}._rejected (
    reject_key VARCHAR PRIMARY KEY, object_type VARCHAR NOT NULL, account VARCHAR,
    object_id VARCHAR, field VARCHAR NOT NULL, reason VARCHAR NOT NULL, raw_payload VARCHAR,
    rejected_at TIMESTAMPTZ NOT NULL, run_id VARCHAR)"""


# Measured on recorded demo pages (bench/ingest.py replay): with the default 16 MB threshold
# DuckDB checkpoints every few batches and each checkpoint recompresses (FSST) what it writes,
# about 30 us of CPU per 2.5 KB row; one checkpoint per 128 MB of WAL and zstd for strings cut
# the landing to a third and the file to a quarter. These are settings of this process's
# connection only: dbt and readers keep DuckDB's defaults.
SESSION_SETTINGS = (
    "SET checkpoint_threshold = '128MB'",
    "SET force_compression = 'zstd'",
    "SET enable_progress_bar = false",   # its bars would land in the run's log
)

# The memory limit keeps DuckDB's share of an ingest's peak small: working memory for batches,
# joins and updated rows, plus the primary-key indexes. An upsert loads a table's whole ART index
# into memory, and an incremental run upserts into every table at once; DuckDB fills whatever the
# limit leaves over with cached table blocks. On the large world (6.5 M rows) the day's upserts held
# 489 MB of ART (75 bytes a row) and 290 MB of cached blocks under the old limit (384 MiB + 96 B a
# row = 980 MiB), and DuckDB's 960 MB were most of the run's peak (1,835 MB RSS). 192 MiB + 80 B a
# row (688 MiB there) took 320 MB off that peak at the same speed.
# A first full ingest into empty tables keeps at least MIN_MEMORY_MB: its plain inserts have run
# under that limit on large (757 MB peak for the whole ingesting process).
MIN_MEMORY_MB = 384
WORKING_MEMORY_MB = 192
INDEX_BYTES_PER_ROW = 80


def memory_limit_mb(rows_landed: int) -> int:
    """The landing connection's DuckDB limit (MiB) for a warehouse holding `rows_landed` rows."""
    return max(MIN_MEMORY_MB, WORKING_MEMORY_MB + -(-rows_landed * INDEX_BYTES_PER_ROW // (1024 * 1024)))


# Updated rows (an upsert that changes a payload) stay in DuckDB's memory until a checkpoint
# writes them out, and a checkpoint comes only with 128 MB of WAL: a run that updates many wide
# payloads (invoices with their lines) ran out of the limit in the upsert. They cost about three
# times their payload bytes; a checkpoint after this many bytes of updated payloads keeps that
# memory bounded (tests/ingestion/test_landing.py).
UPDATED_BYTES_PER_CHECKPOINT = 32 * 1024 * 1024


# payload_hash: the low 64 bits of the payload's MD5 (`md5_number_lower(payload)`), computed with
# the payload (`records.payload_hash`, outside the writer). An upsert decides "changed" on it instead of
# on the payloads: comparing payloads fetched each conflicting row's payload from its zstd vector
# (about 2,048 payloads decompressed per row), 0.5-0.65 s per batch of a few hundred re-read rows
# on the large world, most of an incremental day's landing time. A changed payload whose hash
# stays equal would need a 64-bit collision (about 1 in 10^19 per change).
COLUMNS = ("id, account, created, livemode, api_version, payload, synced_at, source, is_deleted, "
           "state_version, payload_hash")
SELECT_BATCH = ("SELECT id, account, created, livemode, api_version, payload, ?, source, "
                "is_deleted, state_version, payload_hash FROM _landing_batch")
INSERT = f"INSERT INTO {{target}} ({COLUMNS}) {SELECT_BATCH}"

# Newest version wins, and only a changed payload or deletion flag counts as an update. The
# statement's row count is inserted + updated rows (rows left as they were are not counted).
UPSERT = (
    f"INSERT INTO {{target}} AS t ({COLUMNS}) {SELECT_BATCH} "
    "ON CONFLICT (id) DO UPDATE SET account = excluded.account, created = excluded.created, "
    "livemode = excluded.livemode, api_version = excluded.api_version, payload = excluded.payload, "
    "synced_at = excluded.synced_at, source = excluded.source, is_deleted = excluded.is_deleted, "
    "state_version = excluded.state_version, payload_hash = excluded.payload_hash "
    "WHERE excluded.state_version >= t.state_version AND "
    "(t.payload_hash IS DISTINCT FROM excluded.payload_hash OR t.is_deleted <> excluded.is_deleted)")


_STATE_UPDATES = ", ".join(f"{c} = excluded.{c}" for c in STATE_COLUMNS[2:])
UPSERT_STATES = (
    f"INSERT INTO {SCHEMA}._sync_state ({', '.join(STATE_COLUMNS)}, updated_at, run_id) "
    f"SELECT {', '.join(STATE_COLUMNS)}, ?, ? FROM _landing_states "
    f"ON CONFLICT (stream, account) DO UPDATE SET {_STATE_UPDATES}, "
    "updated_at = excluded.updated_at, run_id = excluded.run_id")


def states_table(states: list[StreamState]) -> pa.Table:
    """The write's states as one Arrow batch, a column per _sync_state column."""
    latest = latest_states(states)
    return pa.table({c: [getattr(s, c) for s in latest] for c in STATE_COLUMNS})


_TABLE_OF = attrgetter("table")


class DuckDBLanding:
    kind = "duckdb"

    def __init__(self, path: Path, *, lock_timeout: float = 600.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(str(self.path) + ".ingest.lock", "w")
        deadline = time.monotonic() + lock_timeout
        while True:
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"another ingest run holds {self.path}; gave up waiting")
                time.sleep(0.5)
        self.con = duckdb.connect(str(self.path))
        for setting in SESSION_SETTINGS:
            self.con.execute(setting)
        self._set_memory_limit(0)                       # until ensure_schema counts the rows
        self._upsert_tables: set[str] = set(TABLES)   # until ensure_schema finds them empty
        self._trying: str | None = None
        self._updated_bytes = 0                         # updated payload bytes since a checkpoint

    def ensure_schema(self) -> None:
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        for table in TABLES:
            self.con.execute(DDL_TABLE.format(schema=SCHEMA, table=table))
        self._add_payload_hash()
        self.con.execute(DDL_STATE)
        self.con.execute(DDL_REJECTED)
        counts = {table: self.con.execute(f"SELECT COUNT(*) FROM {SCHEMA}.{table}").fetchall()[0][0]
                  for table in TABLES}
        self._upsert_tables = {table for table, n in counts.items() if n}
        self._set_memory_limit(sum(counts.values()))

    def _add_payload_hash(self) -> None:
        """A warehouse landed before payload_hash existed gets the column, filled once."""
        hashed = {t for (t,) in self.con.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = ? "
            "AND column_name = 'payload_hash'", [SCHEMA]).fetchall()}
        for table in TABLES:
            if table not in hashed:
                self.con.execute(f"ALTER TABLE {SCHEMA}.{table} ADD COLUMN payload_hash UBIGINT")
                self.con.execute(f"UPDATE {SCHEMA}.{table} SET payload_hash = md5_number_lower(payload)")

    def _set_memory_limit(self, rows_landed: int) -> None:
        self.con.execute(f"SET memory_limit = '{memory_limit_mb(rows_landed)}MiB'")

    def load_states(self) -> dict[tuple[str, str], StreamState]:
        cols = ", ".join(STATE_COLUMNS)
        out = {}
        for row in self.con.execute(f"SELECT {cols} FROM {SCHEMA}._sync_state").fetchall():
            s = StreamState(*row)
            out[s.key] = s
        return out

    def write(self, rows: list[Row], rejects: list[Rejected], states: list[StreamState],
              run_id: str) -> WriteResult:
        tables = set(map(_TABLE_OF, rows))
        if len(tables) == 1:                 # the usual batch: one stream's pages
            by_table: dict[str, list[Row]] = {tables.pop(): rows}
        else:
            by_table = {}
            for r in rows:
                by_table.setdefault(r.table, []).append(r)
        batches = {table: pa.Table.from_pydict(columns_of(trows), schema=ARROW_SCHEMA)
                   for table, trows in by_table.items()}
        while True:
            try:
                result = self._write_once(batches, rejects, states, run_id)
            except duckdb.ConstraintException:
                # a plain insert met an id the table holds: the whole transaction was rolled
                # back; land it again with that table upserted, as it will be from now on
                if self._trying is None or self._trying in self._upsert_tables:
                    raise
                self._upsert_tables.add(self._trying)
                continue
            for table, n in result.updated.items():
                if n:
                    batch = batches[table]
                    self._updated_bytes += n * batch.column("payload").nbytes // max(batch.num_rows, 1)
            if self._updated_bytes >= UPDATED_BYTES_PER_CHECKPOINT:
                self.con.execute("CHECKPOINT")
                self._updated_bytes = 0
            return result

    def _write_once(self, batches: dict[str, pa.Table], rejects: list[Rejected],
                    states: list[StreamState], run_id: str) -> WriteResult:
        result = WriteResult()
        con = self.con
        self._trying = None
        con.begin()
        try:
            now = con.execute("SELECT current_timestamp").fetchall()[0][0]
            for table, batch in batches.items():
                con.register("_landing_batch", batch)
                target = f"{SCHEMA}.{table}"
                if table not in self._upsert_tables:
                    # rows expected new (a table empty when the run began, e.g. a first full
                    # read): a plain insert costs a third less than the upsert's conflict check
                    self._trying = table
                    con.execute(INSERT.format(target=target), [now])
                    self._trying = None
                    inserted, updated = batch.num_rows, 0
                else:
                    # count(*) is read from the table's metadata; a join of the batch against
                    # the table to classify rows would scan every id of it per batch (quadratic)
                    before = con.execute(f"SELECT COUNT(*) FROM {target}").fetchall()[0][0]
                    touched = con.execute(UPSERT.format(target=target), [now]).fetchall()[0][0]
                    after = con.execute(f"SELECT COUNT(*) FROM {target}").fetchall()[0][0]
                    inserted, updated = after - before, touched - (after - before)
                con.unregister("_landing_batch")
                result.inserted[table] = result.inserted.get(table, 0) + inserted
                result.updated[table] = result.updated.get(table, 0) + updated
            if rejects:
                con.executemany(
                    f"INSERT INTO {SCHEMA}._rejected VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    f"ON CONFLICT (reject_key) DO UPDATE SET reason = excluded.reason, "
                    f"raw_payload = excluded.raw_payload, rejected_at = excluded.rejected_at, "
                    f"run_id = excluded.run_id",
                    [(reject_key(r), r.object_type, r.account, r.object_id, r.field, r.reason,
                      r.raw, now, run_id) for r in rejects])
            if states:
                # one statement over an Arrow batch: executemany ran the upsert once per state
                # (0.6 s a write with a few thousand accounts' states, 28 s of the large day)
                con.register("_landing_states", states_table(states))
                con.execute(UPSERT_STATES, [now, run_id])
                con.unregister("_landing_states")
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return result

    def account_activity(self, streams: list[str], now: int) -> list[AccountActivity]:
        return activities_from(self.fetch(activity_sql(streams, now)))

    def fetch(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
