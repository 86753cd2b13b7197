"""Raw landing tables filled with hand-made Stripe objects, so dbt models can be tested without the
sandbox. The DDL mirrors DESIGN section 5 (the ingestion's landing contract)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from pipelines.catalog import OBJECT_TYPES

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "stripe" / "fixtures3.json"


def stripe_fixture(object_name: str) -> dict:
    """Stripe's own example object of `object_name` (a fresh copy each call)."""
    return json.loads(json.dumps(json.loads(FIXTURES.read_text())["resources"][object_name]))


def create_raw_tables(conn, kind: str) -> None:
    json_type = "JSONB" if kind == "postgres" else "JSON"
    ts_type = "TIMESTAMPTZ" if kind == "postgres" else "TIMESTAMP WITH TIME ZONE"
    cur = conn.cursor()
    cur.execute("CREATE SCHEMA IF NOT EXISTS raw_stripe")
    for t in OBJECT_TYPES:
        cur.execute(f"DROP TABLE IF EXISTS raw_stripe.{t.table}")
        cur.execute(
            f"""CREATE TABLE raw_stripe.{t.table} (
                id TEXT PRIMARY KEY, account TEXT, created BIGINT NOT NULL, livemode BOOLEAN NOT NULL,
                api_version TEXT, payload {json_type} NOT NULL, synced_at {ts_type} NOT NULL,
                source TEXT NOT NULL, is_deleted BOOLEAN NOT NULL DEFAULT FALSE)"""
        )


def insert_objects(conn, table: str, objects: list[dict], *, account: str | None = None,
                   api_version: str = "2026-10-28.endive") -> None:
    """Hand-made objects into a raw table, in one bulk insert."""
    insert_rows(conn, table, [(obj["id"], account, obj["created"], bool(obj.get("livemode", False)),
                               json.dumps(obj)) for obj in objects], api_version=api_version)


def insert_rows(conn, table: str, rows: list[tuple], *, api_version: str = "2026-10-28.endive") -> None:
    """Rows of (id, account, created, livemode, payload JSON text) in one bulk insert (Arrow into
    DuckDB, execute_values into PostgreSQL): row-by-row inserts took minutes for the small world."""
    if not rows:
        return
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    columns = "id, account, created, livemode, api_version, payload, synced_at, source, is_deleted"
    if _is_pg(conn):
        from psycopg2.extras import execute_values

        execute_values(
            conn.cursor(),
            f"INSERT INTO raw_stripe.{table} ({columns}) VALUES %s",
            [(*row[:4], api_version, row[4], now, "list", False) for row in rows],
            template="(%s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s)",
            page_size=1000,
        )
        return
    import pyarrow as pa

    batch = pa.table({name: list(col) for name, col in zip(
        ("id", "account", "created", "livemode", "payload"), zip(*rows))})
    conn.register("_raw_batch", batch)
    try:
        conn.execute(
            f"INSERT INTO raw_stripe.{table} ({columns}) SELECT id, account, created, livemode, "
            "?, cast(payload AS JSON), ?, 'list', FALSE FROM _raw_batch", [api_version, now])
    finally:
        conn.unregister("_raw_batch")


def _is_pg(conn) -> bool:
    return type(conn).__module__.startswith("psycopg2")


def load_world(world_path, conn, kind: str = "duckdb") -> dict[str, int]:
    """Copy a sandbox world's objects straight into the raw tables (bypassing the API), with
    each invoice's complete `lines` list, as the ingestion lands it. For dbt tests that must not
    depend on the ingestion engine; the end-to-end tests go through the real ingestion.
    Payloads pass through as stored text; only invoices are parsed, to attach their lines."""
    import sqlite3

    from pipelines.catalog import BY_OBJECT

    src = sqlite3.connect(f"file:{world_path}?mode=ro", uri=True)
    try:
        lines: dict[str, list[dict]] = {}
        for parent, payload in src.execute(
            "SELECT parent, payload FROM objects WHERE object = 'line_item' ORDER BY seq"
        ):
            lines.setdefault(parent, []).append(json.loads(payload))
        batch: dict[str, list[tuple]] = {}
        for object_name, account, object_id, created, payload in src.execute(
            "SELECT object, account, id, created, payload FROM objects "
            "WHERE object != 'line_item' ORDER BY seq"
        ):
            t = BY_OBJECT.get(object_name)
            if t is None:
                continue
            if object_name == "invoice" and object_id in lines:
                obj = json.loads(payload)
                obj["lines"]["data"] = lines[object_id]
                obj["lines"]["has_more"] = False
                payload = json.dumps(obj)
            batch.setdefault(t.table, []).append((object_id, account or None, created, False, payload))
    finally:
        src.close()
    for table, rows in batch.items():
        insert_rows(conn, table, rows)
    return {table: len(rows) for table, rows in batch.items()}


def load_world_ecb_rates(world_path, conn) -> int:
    """The world's daily rates as the ECB would publish them (the sandbox's own export, parsed by
    the same loader the FX asset uses) into raw_fx.ecb_rates; returns the rows written."""
    from pipelines.sandbox.ecb_export import ecb_csv, read_fx_rates
    from tax_forms.ecb import parse

    by_day = parse(ecb_csv(read_fx_rates(world_path)))
    rows = [(day, currency, str(rate)) for day, rates in sorted(by_day.items())
            for currency, rate in sorted(rates.items())]
    cur = conn.cursor()
    cur.execute("CREATE SCHEMA IF NOT EXISTS raw_fx")
    cur.execute("DROP TABLE IF EXISTS raw_fx.ecb_rates")
    cur.execute("CREATE TABLE raw_fx.ecb_rates (rate_date DATE NOT NULL, currency TEXT NOT NULL, "
                "rate DECIMAL(18, 6) NOT NULL, PRIMARY KEY (rate_date, currency))")
    if _is_pg(conn):
        from psycopg2.extras import execute_values

        execute_values(cur, "INSERT INTO raw_fx.ecb_rates VALUES %s", rows, page_size=2000)
    else:
        cur.executemany("INSERT INTO raw_fx.ecb_rates VALUES (?, ?, ?)", rows)
    return len(rows)
