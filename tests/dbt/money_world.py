"""The small sandbox world in a warehouse, fast: the raw tables are filled in bulk (one Arrow
insert per table on DuckDB, execute_values on PostgreSQL) instead of row by row, and the ECB
rates come from the world's own FX table."""
from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from pipelines.catalog import BY_OBJECT

SYNCED_AT = datetime(2026, 11, 1, tzinfo=timezone.utc)


def world_objects(world_path) -> dict[tuple[str, str | None], list[dict]]:
    """{(table, account or None): [objects]} with each invoice's complete lines, like load_world."""
    src = sqlite3.connect(f"file:{world_path}?mode=ro", uri=True)
    lines: dict[str, list[dict]] = {}
    for parent, payload in src.execute("SELECT parent, payload FROM objects WHERE object = 'line_item' ORDER BY seq"):
        lines.setdefault(parent, []).append(json.loads(payload))
    batch: dict[tuple[str, str | None], list[dict]] = {}
    for object_name, account, payload in src.execute(
        "SELECT object, account, payload FROM objects WHERE object != 'line_item' ORDER BY seq"
    ):
        t = BY_OBJECT.get(object_name)
        if t is None:
            continue
        obj = json.loads(payload)
        if object_name == "invoice" and obj["id"] in lines:
            obj["lines"]["data"] = lines[obj["id"]]
            obj["lines"]["has_more"] = False
        batch.setdefault((t.table, account or None), []).append(obj)
    src.close()
    return batch


def ecb_rates(world_path) -> list[tuple[date, str, Decimal]]:
    """The world's FX as ECB rows (business days, units per EUR); a seeded walk when the world
    has no FX table of its own."""
    from pipelines.sandbox.ecb_export import is_target_business_day, per_eur_rates, read_fx_rates

    by_day = read_fx_rates(world_path)
    if not by_day:
        from pipelines.sandbox.fx import FxWalk

        walk, day = FxWalk(42), date(2025, 1, 1)
        while day <= date(2026, 12, 31):
            by_day[day] = dict(walk.per_usd)
            walk.step()
            day += timedelta(days=1)
    return [(day, currency, rate) for day, per_usd in sorted(by_day.items()) if is_target_business_day(day)
            for currency, rate in per_eur_rates(per_usd, day).items()]


def load_world_fast(world_path, conn, kind: str) -> dict[str, int]:
    batch = world_objects(world_path)
    counts: dict[str, int] = {}
    rows_by_table: dict[str, list[tuple]] = {}
    for (table, account), objs in batch.items():
        for obj in objs:
            rows_by_table.setdefault(table, []).append(
                (obj["id"], account, int(obj["created"]), bool(obj.get("livemode", False)),
                 "2026-10-28.endive", json.dumps(obj), SYNCED_AT, "list", False))
        counts[table] = counts.get(table, 0) + len(objs)
    rates = ecb_rates(world_path)
    if kind == "duckdb":
        import pyarrow as pa

        names = ["id", "account", "created", "livemode", "api_version", "payload", "synced_at", "source", "is_deleted"]
        for table, rows in rows_by_table.items():
            arrow_rows = pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})  # noqa: F841
            conn.execute(f"INSERT INTO raw_stripe.{table} SELECT id, account, created, livemode, api_version, "
                         "payload::JSON, synced_at, source, is_deleted FROM arrow_rows")
        conn.execute("CREATE SCHEMA IF NOT EXISTS raw_fx")
        conn.execute("CREATE OR REPLACE TABLE raw_fx.ecb_rates (rate_date DATE, currency TEXT, rate DECIMAL(18, 6))")
        fx = pa.table({"rate_date": [r[0] for r in rates], "currency": [r[1] for r in rates],  # noqa: F841
                       "rate": [str(r[2]) for r in rates]})
        conn.execute("INSERT INTO raw_fx.ecb_rates SELECT rate_date, currency, CAST(rate AS DECIMAL(18, 6)) FROM fx")
    else:
        from psycopg2.extras import execute_values

        cur = conn.cursor()
        for table, rows in rows_by_table.items():
            execute_values(cur, f"INSERT INTO raw_stripe.{table} (id, account, created, livemode, api_version, "
                                "payload, synced_at, source, is_deleted) VALUES %s", rows, page_size=2000)
        cur.execute("CREATE SCHEMA IF NOT EXISTS raw_fx")
        cur.execute("DROP TABLE IF EXISTS raw_fx.ecb_rates")
        cur.execute("CREATE TABLE raw_fx.ecb_rates (rate_date DATE, currency TEXT, rate NUMERIC(18, 6))")
        execute_values(cur, "INSERT INTO raw_fx.ecb_rates VALUES %s", rates, page_size=5000)
    return counts
