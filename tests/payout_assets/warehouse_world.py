"""A DuckDB warehouse filled from a sandbox world the way the dbt tests fill it (`load_world`),
plus the world's FX as ECB-format rates, and the payout marts built on it."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from pipelines.sandbox.fx import BASE_PER_USD
from tests.dbt.conftest import DuckWarehouse, make_duck_warehouse, run_dbt
from tests.dbt.raw_loader import create_raw_tables, load_world

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
    """The shared bulk loader (kept under this name for the callers)."""
    return load_world(world_path, conn)

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
