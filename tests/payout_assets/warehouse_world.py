"""A DuckDB warehouse filled from a sandbox world the way the dbt tests fill it (`load_world`),
plus the world's FX as ECB-format rates, and the payout marts built on it."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from pipelines.sandbox.fx import BASE_PER_USD
from tests.dbt.conftest import DuckWarehouse, make_duck_warehouse, run_dbt
from tests.dbt.raw_loader import create_raw_tables

PAYOUT_SELECTION = "+marts.payouts"


def ecb_rates_from_sandbox(first: date, last: date) -> list[tuple[date, str, Decimal]]:
    """The sandbox's reference levels (units per USD) restated per EUR, as the ECB publishes them:
    business days only, six decimals."""
    eur = Decimal(BASE_PER_USD["EUR"])
    rows = []
    day = first
    while day <= last:
        if day.weekday() < 5:
            for currency, per_usd in sorted(BASE_PER_USD.items()):
                if currency != "EUR":
                    rows.append((day, currency, (Decimal(per_usd) / eur).quantize(Decimal("0.000001"))))
        day += timedelta(days=1)
    return rows


def load_world_fast(world_path: Path, conn) -> dict[str, int]:
    """`tests.dbt.raw_loader.load_world` in bulk: the same rows (each invoice with all its lines,
    account NULL on the platform), inserted through one Arrow table per landing table instead of
    one INSERT per object, which takes minutes for a small world on a loaded machine."""
    import json
    import sqlite3

    import pyarrow as pa

    from pipelines.catalog import BY_OBJECT

    src = sqlite3.connect(f"file:{world_path}?mode=ro", uri=True)
    lines: dict[str, list] = {}
    for parent, payload in src.execute(
            "SELECT parent, payload FROM objects WHERE object = 'line_item' ORDER BY seq"):
        lines.setdefault(parent, []).append(json.loads(payload))
    columns: dict[str, dict[str, list]] = {}
    for object_name, account, created, payload in src.execute(
            "SELECT object, account, created, payload FROM objects WHERE object != 'line_item' ORDER BY seq"):
        t = BY_OBJECT.get(object_name)
        if t is None:
            continue
        obj = json.loads(payload)
        if object_name == "invoice" and obj["id"] in lines:
            obj["lines"]["data"] = lines[obj["id"]]
            obj["lines"]["has_more"] = False
            payload = json.dumps(obj)
        cols = columns.setdefault(t.table, {"id": [], "account": [], "created": [], "livemode": [],
                                            "payload": []})
        cols["id"].append(obj["id"])
        cols["account"].append(account or None)
        cols["created"].append(int(obj["created"]))
        cols["livemode"].append(bool(obj.get("livemode", False)))
        cols["payload"].append(payload)
    src.close()
    counts = {}
    for table, cols in columns.items():
        batch = pa.table({"id": pa.array(cols["id"], pa.string()),
                          "account": pa.array(cols["account"], pa.string()),
                          "created": pa.array(cols["created"], pa.int64()),
                          "livemode": pa.array(cols["livemode"], pa.bool_()),
                          "payload": pa.array(cols["payload"], pa.string())})
        conn.register("world_batch", batch)
        conn.execute(
            f"INSERT INTO raw_stripe.{table} (id, account, created, livemode, api_version, payload,"
            " synced_at, source, is_deleted) SELECT id, account, created, livemode, '2026-10-28.endive',"
            " cast(payload AS JSON), TIMESTAMPTZ '2026-11-01 00:00:00+00', 'list', FALSE FROM world_batch")
        conn.unregister("world_batch")
        counts[table] = len(cols["id"])
    return counts


def fill_raw(wh: DuckWarehouse, world_path: Path, fx_first: date, fx_last: date) -> dict[str, int]:
    """Replace the raw landing with the world's objects (a fresh ingest of the whole world)."""
    with wh.connect() as conn:
        create_raw_tables(conn, "duckdb")
        counts = load_world_fast(world_path, conn)
        conn.execute("CREATE SCHEMA IF NOT EXISTS raw_fx")
        conn.execute("DROP TABLE IF EXISTS raw_fx.ecb_rates")
        conn.execute("CREATE TABLE raw_fx.ecb_rates (rate_date DATE, currency TEXT, rate DECIMAL(18, 6))")
        conn.executemany("INSERT INTO raw_fx.ecb_rates VALUES (?, ?, ?)",
                         ecb_rates_from_sandbox(fx_first, fx_last))
    return counts


def build_payout_marts(wh: DuckWarehouse) -> None:
    run_dbt(wh.env, "build", "--select", PAYOUT_SELECTION, "--full-refresh")


def new_warehouse(directory: Path) -> DuckWarehouse:
    directory.mkdir(parents=True, exist_ok=True)
    return make_duck_warehouse(directory)
