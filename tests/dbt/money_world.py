"""The small sandbox world in a warehouse, fast: the raw tables are filled in bulk (one Arrow
insert per table on DuckDB, execute_values on PostgreSQL) instead of row by row, and the ECB
rates come from the world's own FX table."""
from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from pipelines.catalog import BY_OBJECT
from tests.dbt.raw_loader import load_world, load_world_ecb_rates

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
    """The shared bulk loaders: raw tables and the world's ECB rates."""
    counts = load_world(world_path, conn, kind)
    load_world_ecb_rates(world_path, conn)
    return counts

