"""Time travel: `advance_world(path, days)` continues the pickled simulation for N more days.

Only the new days are simulated; objects that change (a subscription renewed or canceled, a
charge refunded, a dispute closed, a payout paid) are read back by id, updated in place and get
an `*.updated`-style event with `previous_attributes`. Payouts the server created through
`POST /v1/payouts` since the last clock are adopted, booked and settled like the simulator's own.
Balance transactions still `pending` become `available` once the clock passes their
`available_on` (Stripe sends no event for that).
"""
from __future__ import annotations

import time
from pathlib import Path

from . import store
from .generate import WorldSummary, summarize
from .world import DAY, load_world


def advance_world(path: str | Path, days: int) -> WorldSummary:
    if days < 0:
        raise ValueError(f"advance: days must be >= 0, got {days}")
    began = time.perf_counter()
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no sandbox world at {path}; run `cashbook sandbox generate` first")
    conn = store.connect(path)
    try:
        sim = load_world(conn)
        old_clock = sim.clock
        sim.event_from = old_clock
        sim.track_pending_balance_transactions(conn)
        sim.adopt_foreign_payouts(conn, old_clock)
        sim.run_until(old_clock + days * DAY)
        sim.flush(conn, final=True)
    finally:
        conn.close()
    return summarize(path, time.perf_counter() - began)
