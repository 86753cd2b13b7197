"""Daily rates for a sandbox world whose simulator has not filled `fx_rates` yet: the same seeded
walk (`pipelines.sandbox.fx.FxWalk`) the simulator converts with, one row per day and currency."""
from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta, timezone

from pipelines.sandbox.fx import FxWalk


def ensure_fx_rates(world_path, seed: int = 42) -> int:
    """Fill `fx_rates` over the world's history when it is empty; returns the rows present."""
    conn = sqlite3.connect(world_path)
    try:
        (count,) = conn.execute("SELECT COUNT(*) FROM fx_rates").fetchone()
        if count:
            return count
        first, last = conn.execute("SELECT MIN(created), MAX(created) FROM objects").fetchone()
        day = datetime.fromtimestamp(first, timezone.utc).date() - timedelta(days=400)
        end = datetime.fromtimestamp(last, timezone.utc).date() + timedelta(days=7)
        walk, rows = FxWalk(seed), []
        while day <= end:
            rows += [(day.isoformat(), c, str(r)) for c, r in walk.per_usd.items()]
            walk.step()
            day += timedelta(days=1)
        conn.executemany("INSERT INTO fx_rates(day, currency, per_usd) VALUES (?, ?, ?)", rows)
        conn.commit()
        return len(rows)
    finally:
        conn.close()
