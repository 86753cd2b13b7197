"""Write a fresh sandbox world: `generate_world(path, size=..., seed=..., end=...)`.

The same (size, seed, end) gives byte-identical objects: every random draw comes from RNGs
seeded from those, ordering is stable, and no wall-clock time is read.
"""
from __future__ import annotations

import calendar
import gc
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import stripe

from . import store
from .catalogue import add_months
from .ids import IdMaker
from .presets import get_preset
from .simulate import Simulation
from .world import BULK_PRAGMAS

DEFAULT_END = calendar.timegm((2026, 11, 1, 0, 0, 0))
FLUSH_EVERY_DAYS = {"large": 3}  # days between writes: bounds memory (default 10)


@dataclass(frozen=True)
class WorldSummary:
    path: str
    size: str
    seed: int
    start: int
    clock: int
    objects: int
    events: int
    counts: dict
    seconds: float


def api_key_for(seed: int) -> str:
    """A deterministic key shaped like a real test secret key (it unlocks only the sandbox)."""
    return "sk_test_51Sbx" + IdMaker(seed * 1_000_003 + 17).token(24) + IdMaker(seed + 5).token(60)


def summarize(path: str | Path, seconds: float) -> WorldSummary:
    conn = store.connect(path, readonly=True)
    try:
        counts = dict(conn.execute("SELECT object, COUNT(*) FROM objects GROUP BY object ORDER BY object").fetchall())
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    finally:
        conn.close()
    return WorldSummary(str(path), meta.get("size", ""), int(meta.get("seed", 0)), int(meta.get("start", 0)),
                        int(meta.get("clock", 0)), sum(counts.values()), counts.get("event", 0), counts, seconds)


def history_start(end: int, months: int) -> int:
    dt = datetime.fromtimestamp(end, timezone.utc)
    return add_months(end, -months, dt.day)


@contextmanager
def few_collections():
    """The simulation allocates millions of short-lived dicts (objects, events, rows) and makes
    hardly any reference cycles, while the cycle collector would walk every live one again and
    again: objects alive before the run are frozen out of it and young collections are rare."""
    threshold = gc.get_threshold()
    frozen_by_caller = gc.get_freeze_count() > 0
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, threshold[1], threshold[2])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if not frozen_by_caller:  # a caller's own freeze stays as it was (with ours in it)
            gc.unfreeze()


GC_YOUNG_THRESHOLD = 100_000


def generate_world(path: str | Path, *, size: str = "small", seed: int = 42,
                   end: int | None = None) -> WorldSummary:
    """Simulate `size`'s months of history up to `end` and write it to a new SQLite file."""
    began = time.perf_counter()
    preset = get_preset(size)
    end = DEFAULT_END if end is None else int(end)
    start = history_start(end, preset.months)
    path = Path(path)
    # build under a temporary name and rename at the end: a half-written world never looks ready
    building = path.with_name(path.name + ".building")
    for target in (path, building):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(target) + suffix).unlink(missing_ok=True)
    building.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(building)
    try:
        conn.execute(f"PRAGMA page_size={store.PAGE_SIZE}")  # before the first table
        for pragma in BULK_PRAGMAS:
            conn.execute(pragma)
        conn.execute("PRAGMA threads=2")  # worker threads for the index sorts at the end
        conn.executescript(store.SCHEMA)
        # bulk load without the list indexes, built once at the end (much faster than row by row)
        conn.execute("DROP INDEX IF EXISTS objects_list")
        conn.execute("DROP INDEX IF EXISTS objects_parent")
        conn.commit()
        sim = Simulation(preset, seed, start, end, stripe.api_version)
        sim.conn = conn
        with few_collections():
            sim.run_until(end, conn=conn, flush_every_days=FLUSH_EVERY_DAYS.get(size, 10))
        sim.flush(conn, final=True)
        with conn:
            for key, value in (("start", start), ("seed", seed), ("size", size),
                               ("api_version", stripe.api_version), ("api_key", api_key_for(seed))):
                store.set_meta(conn, key, value)
        conn.executescript(store.SCHEMA)
        conn.execute("PRAGMA locking_mode=NORMAL")
        conn.execute("SELECT COUNT(*) FROM meta").fetchone()  # releases the exclusive lock
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    os.replace(building, path)
    return summarize(path, time.perf_counter() - began)
