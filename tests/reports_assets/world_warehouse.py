"""A DuckDB warehouse built from a small sandbox world: the raw landing filled in bulk (the same
rows `tests.dbt.raw_loader.load_world` inserts one by one, which takes minutes on a loaded
machine), the world's FX restated as ECB rates, and the marts the reports read built by dbt."""
from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from pipelines.catalog import BY_OBJECT
from pipelines.sandbox.fx import BASE_PER_USD
from tests.dbt.conftest import DuckWarehouse, make_duck_warehouse, run_dbt

# the marts assets/report_inputs.py reads, with everything upstream
REPORT_SELECTION = (
    "+fct_revenue_monthly", "+subscription_metrics_monthly", "+cohort_retention",
    "+fct_creator_earnings_monthly", "+dim_creators", "+dim_creator_tiers_monthly",
    "+fct_payout_reconciliation_itemized", "+fct_creator_payouts",
)


def _ecb_rates(first: date, last: date) -> list[tuple[date, str, Decimal]]:
    """The sandbox's reference levels (units per USD) restated per EUR, business days only."""
    eur = Decimal(str(BASE_PER_USD["EUR"]))
    rows, day = [], first
    while day <= last:
        if day.weekday() < 5:
            rows += [(day, c, (Decimal(str(v)) / eur).quantize(Decimal("0.000001")))
                     for c, v in sorted(BASE_PER_USD.items()) if c != "EUR"]
        day += timedelta(days=1)
    return rows


def load_world_bulk(world_path: Path, conn) -> dict[str, int]:
    """Each landing table in one Arrow insert; invoices carry all their lines."""
    src = sqlite3.connect(f"file:{world_path}?mode=ro", uri=True)
    lines: dict[str, list] = {}
    for parent, payload in src.execute(
            "SELECT parent, payload FROM objects WHERE object = 'line_item' ORDER BY seq"):
        lines.setdefault(parent, []).append(json.loads(payload))
    columns: dict[str, dict[str, list]] = {}
    for object_name, account, payload in src.execute(
            "SELECT object, account, payload FROM objects WHERE object != 'line_item' ORDER BY seq"):
        t = BY_OBJECT.get(object_name)
        if t is None:
            continue
        obj = json.loads(payload)
        if object_name == "invoice" and obj["id"] in lines:
            obj["lines"]["data"] = lines[obj["id"]]
            obj["lines"]["has_more"] = False
            payload = json.dumps(obj)
        cols = columns.setdefault(t.table, {"id": [], "account": [], "created": [], "livemode": [], "payload": []})
        cols["id"].append(obj["id"])
        cols["account"].append(account or None)
        cols["created"].append(int(obj["created"]))
        cols["livemode"].append(bool(obj.get("livemode", False)))
        cols["payload"].append(payload)
    src.close()
    for table, cols in columns.items():
        batch = pa.table({"id": pa.array(cols["id"], pa.string()), "account": pa.array(cols["account"], pa.string()),
                          "created": pa.array(cols["created"], pa.int64()),
                          "livemode": pa.array(cols["livemode"], pa.bool_()),
                          "payload": pa.array(cols["payload"], pa.string())})
        conn.register("world_batch", batch)
        conn.execute(
            f"INSERT INTO raw_stripe.{table} (id, account, created, livemode, api_version, payload, synced_at,"
            " source, is_deleted) SELECT id, account, created, livemode, '2026-10-28.endive', cast(payload AS JSON),"
            " TIMESTAMPTZ '2026-11-01 00:00:00+00', 'list', FALSE FROM world_batch")
        conn.unregister("world_batch")
    return {table: len(cols["id"]) for table, cols in columns.items()}


def build_report_warehouse(world_path: Path, directory: Path) -> DuckWarehouse:
    directory.mkdir(parents=True, exist_ok=True)
    wh = make_duck_warehouse(directory)
    with wh.connect() as conn:
        load_world_bulk(world_path, conn)
        first, last = conn.execute("SELECT min(created), max(created) FROM raw_stripe.balance_transaction").fetchone()
        conn.execute("CREATE SCHEMA IF NOT EXISTS raw_fx")
        conn.execute("CREATE TABLE raw_fx.ecb_rates (rate_date DATE, currency TEXT, rate DECIMAL(18, 6))")
        conn.executemany("INSERT INTO raw_fx.ecb_rates VALUES (?, ?, ?)", _ecb_rates(
            datetime.fromtimestamp(first, timezone.utc).date() - timedelta(days=10),
            datetime.fromtimestamp(last, timezone.utc).date()))
    run_dbt(wh.env, "build", "--select", *REPORT_SELECTION, "--exclude", "resource_type:test", "resource_type:unit_test")
    return wh


def _inputs_digest() -> str:
    """Changes whenever the world generator, the dbt project or this builder changes."""
    import hashlib

    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    files = [*sorted((root / "pipelines" / "sandbox").glob("*.py")), *sorted((root / "pipelines" / "sandbox").glob("*.json")),
             Path(__file__), root / "dbt_project" / "dbt_project.yml"]
    for folder in ("models", "macros", "seeds"):
        files += sorted(p for p in (root / "dbt_project" / folder).rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def shared_report_warehouse(tmp_path_factory) -> DuckWarehouse:
    """One small world and its warehouse, shared by the report and UI tests and kept between
    sessions (under pytest's temp root, keyed by a digest of the generator and dbt project, so
    any change rebuilds it). Building takes minutes on a loaded machine; reusing it, nothing."""
    import fcntl

    from pipelines.sandbox.generate import generate_world

    folder = tmp_path_factory.getbasetemp().parent / f"cashbook-report-world-{_inputs_digest()}"
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / "built.ok"
    wh = DuckWarehouse(folder / "warehouse.duckdb")
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel workers wait for one build
        if done.exists():
            return wh
        for stale in ("warehouse.duckdb", "warehouse.duckdb.wal"):
            (folder / stale).unlink(missing_ok=True)
        world = folder / "world.sqlite"
        if not world.exists():
            generate_world(world, size="small", seed=42)
        wh = build_report_warehouse(world, folder)
        # a few real data tests, so the report's data-quality section has results to show
        run_dbt(wh.env, "test", "--select", "fct_revenue_monthly", "--exclude", "test_type:unit")
        done.write_text("ok")
    return wh
