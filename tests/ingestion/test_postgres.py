"""The same landing on PostgreSQL, in a database of its own: exact rows, re-run changes nothing,
a killed run resumes to the clean result, and the content equals DuckDB's."""
from __future__ import annotations

import uuid

import orjson
import psycopg2
import pytest

from pipelines.stripe.errors import SyncAborted
from pipelines.warehouse.landing import TABLES
from tests.ingestion.conftest import ingest

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url():
    name = f"cashbook_ingest_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def pg_snapshot(url: str) -> dict:
    con = psycopg2.connect(url)
    try:
        out = {}
        with con.cursor() as cur:
            for table in TABLES:
                cur.execute(f"SELECT id, account, created, livemode, api_version, payload::text, "
                            f"source, is_deleted, state_version FROM raw_stripe.{table} ORDER BY id")
                out[table] = [r[:5] + (orjson.loads(r[5]),) + r[6:] for r in cur.fetchall()]
            cur.execute("SELECT stream, account, cursor, synced_through, full_started, pass_full, "
                        "pass_floor, pass_started, pass_max, pass_after FROM raw_stripe._sync_state "
                        "ORDER BY 1, 2")
            out["_sync_state"] = cur.fetchall()
            cur.execute("SELECT max(synced_at) FROM raw_stripe.charge")
            out["_last_synced_at"] = cur.fetchone()[0]
        return out
    finally:
        con.close()


def test_postgres_matches_duckdb_reruns_clean_and_resumes(tiny_world, tiny_clean, pg_url):
    with pytest.raises(SyncAborted):
        ingest(tiny_world, pg_url, crash_after_commits=4, batch_rows=40, queue_pages=2, workers=3)
    first = ingest(tiny_world, pg_url)
    assert sum(s.inserted for s in first.tables.values()) > 0
    snap = pg_snapshot(pg_url)
    duck = tiny_clean[1]
    for table in TABLES:
        assert snap[table] == duck[table], table
    assert snap["_sync_state"] == duck["_sync_state"]

    again = ingest(tiny_world, pg_url)
    assert sum(s.inserted + s.updated for s in again.tables.values()) == 0
    assert pg_snapshot(pg_url) == snap          # not even synced_at moved


@pytest.mark.postgres
def test_stream_states_land_in_pages_the_last_of_a_stream_winning(pg_url):
    """The PostgreSQL landing writes states a page of 1,000 per statement (execute_values), not
    one statement per state; one statement may not update a row twice, so the last state of a
    stream in a write is the one kept, as the per-state loop kept it."""
    from pipelines.stripe.state import StreamState
    from pipelines.warehouse.postgres_landing import PostgresLanding
    from pipelines.warehouse.url import parse_warehouse_url

    landing = PostgresLanding(parse_warehouse_url(pg_url))
    try:
        landing.ensure_schema()
        landing.write([], [], [StreamState("balance_transaction", f"acct_{i}", cursor=i)
                               for i in range(2500)], "r1")
        landing.write([], [], [StreamState("charge", "", cursor=100, pass_full=True, pass_after="ch_0"),
                               StreamState("balance_transaction", "acct_7", cursor=70),
                               StreamState("charge", "", cursor=200, synced_through=250)], "r2")
        states = landing.load_states()
    finally:
        landing.close()
    assert len(states) == 2501
    assert states[("charge", "")] == StreamState("charge", "", cursor=200, synced_through=250)
    assert states[("balance_transaction", "acct_7")].cursor == 70
    assert states[("balance_transaction", "acct_2499")].cursor == 2499
