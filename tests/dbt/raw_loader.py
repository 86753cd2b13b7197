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
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    cur = conn.cursor()
    for obj in objects:
        cur.execute(
            f"INSERT INTO raw_stripe.{table} (id, account, created, livemode, api_version, payload, "
            "synced_at, source, is_deleted) VALUES (%s, %s, %s, %s, %s, %s, %s, 'list', FALSE)"
            if _is_pg(conn) else
            f"INSERT INTO raw_stripe.{table} (id, account, created, livemode, api_version, payload, "
            "synced_at, source, is_deleted) VALUES (?, ?, ?, ?, ?, ?, ?, 'list', FALSE)",
            (obj["id"], account, obj["created"], bool(obj.get("livemode", False)), api_version,
             json.dumps(obj), now),
        )


def _is_pg(conn) -> bool:
    return type(conn).__module__.startswith("psycopg2")


def load_world(world_path, conn, kind: str = "duckdb") -> dict[str, int]:
    """Copy a sandbox world's objects straight into the raw tables (bypassing the API), with
    each invoice's complete `lines` list, as the ingestion lands it. For dbt tests that must not
    depend on the ingestion engine; the end-to-end tests go through the real ingestion."""
    import sqlite3

    from pipelines.catalog import BY_OBJECT

    src = sqlite3.connect(f"file:{world_path}?mode=ro", uri=True)
    lines: dict[str, list[dict]] = {}
    for parent, payload in src.execute(
        "SELECT parent, payload FROM objects WHERE object = 'line_item' ORDER BY seq"
    ):
        lines.setdefault(parent, []).append(json.loads(payload))
    counts: dict[str, int] = {}
    rows = src.execute(
        "SELECT object, account, payload FROM objects WHERE object != 'line_item' ORDER BY seq"
    )
    batch: dict[str, list[dict]] = {}
    for object_name, account, payload in rows:
        t = BY_OBJECT.get(object_name)
        if t is None:
            continue
        obj = json.loads(payload)
        if object_name == "invoice" and obj["id"] in lines:
            obj["lines"]["data"] = lines[obj["id"]]
            obj["lines"]["has_more"] = False
        batch.setdefault((t.table, account or None), []).append(obj)
    for (table, account), objs in batch.items():
        insert_objects(conn, table, objs, account=account)
        counts[table] = counts.get(table, 0) + len(objs)
    return counts
