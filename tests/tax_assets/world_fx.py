"""Daily rates before a sandbox world's first day. The simulator fills `fx_rates` over the
world's own history; the hand-made charges of the tax tests reach back into 2025, so the same
seeded walk the simulator uses (`pipelines.sandbox.fx.FxWalk`) is extended backwards from a
fixed start, for the days the world does not cover."""
from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from pipelines.sandbox.fx import FxWalk


def ensure_fx_rates(world_path, seed: int = 42, since: date = date(2025, 1, 1)) -> int:
    """Add rates for every day from `since` to the world's first rate day (or its last object
    when it has none); returns the number of rows added."""
    conn = sqlite3.connect(world_path)
    try:
        (first,) = conn.execute("SELECT MIN(day) FROM fx_rates").fetchone()
        if first is None:
            (last_created,) = conn.execute("SELECT MAX(created) FROM objects").fetchone()
            end = date.fromtimestamp(last_created) + timedelta(days=7)
        else:
            end = date.fromisoformat(first[:10]) - timedelta(days=1)
        walk, rows, day = FxWalk(seed), [], since
        while day <= end:
            rows += [(day.isoformat(), c, str(r)) for c, r in walk.per_usd.items()]
            walk.step()
            day += timedelta(days=1)
        conn.executemany("INSERT OR IGNORE INTO fx_rates(day, currency, per_usd) VALUES (?, ?, ?)", rows)
        conn.commit()
        return len(rows)
    finally:
        conn.close()
