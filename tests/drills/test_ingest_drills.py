"""Ingest drills against the real sandbox server: the process killed (SIGKILL) at random points,
a 429/500 storm with slow answers, and hostile objects. Each ends with the landing identical to
a clean run, or the bad input quarantined in raw_stripe._rejected with its reason (missing,
negative or non-integer amounts and non-ISO currencies included, since such an object would
corrupt every sum downstream)."""
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.quality.suites import raw_suite, run_suite
from tests.ingestion.conftest import copy_world, duck_url, ingest, snapshot

ROOT = Path(__file__).resolve().parents[2]
INGEST_SCRIPT = """
import sys
from pathlib import Path
from tests.ingestion.conftest import ingest
ingest(Path(sys.argv[1]), sys.argv[2], batch_rows=40, queue_pages=2, workers=3, faults="latency=80ms")
"""
# The tiny world lands in about a second once the code is warm, so a kill 2 s in met a finished
# run; 80 ms per answer stretches the killed run to about 4 s (83 calls on 3 readers) without
# changing what it lands.


def _kill_ingest_at(world: Path, url: str, delay_s: float) -> int | None:
    """Start an ingest in its own process and SIGKILL it delay_s after its warehouse file
    appears, i.e. while it is landing (None: it finished first)."""
    db = Path(url[len("duckdb:///"):])
    proc = subprocess.Popen([sys.executable, "-c", INGEST_SCRIPT, str(world), url], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not db.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        proc.wait(timeout=delay_s)
        return None
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return -signal.SIGKILL


@pytest.mark.parametrize("seed", [3, pytest.param(11, marks=pytest.mark.drill), pytest.param(23, marks=pytest.mark.drill)])
def test_ingest_killed_with_sigkill_at_a_random_moment_then_rerun_equals_clean(tiny_world, tiny_clean, tmp_path, seed):
    url = duck_url(tmp_path / "wh.duckdb")
    delay = random.Random(seed).uniform(0.3, 3.0)
    assert _kill_ingest_at(tiny_world, url, delay) == -signal.SIGKILL  # killed mid-run, not finished
    ingest(tiny_world, url, batch_rows=40)
    assert snapshot(url) == tiny_clean[1]


def test_429_500_storm_with_slow_answers_lands_the_clean_result(tiny_world, tiny_clean, tmp_path):
    url = duck_url(tmp_path / "wh.duckdb")
    result = ingest(tiny_world, url, faults="429=0.15,500=0.1,502=0.05,drop=0.02,latency=15ms,seed=9")
    assert result.retries > 0
    assert snapshot(url) == tiny_clean[1]


DEEP = {"x": 1}
for _ in range(60):
    DEEP = {"x": DEEP}

HOSTILE_METADATA = {
    "note": "'); DROP TABLE raw_stripe.charge; --",
    "bio": "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "blob": "A" * 300_000,
    "deep": json.dumps(DEEP),
}


def test_hostile_objects_are_quarantined_or_flagged_and_nothing_else_changes(tiny_world, tiny_clean, tmp_path):
    world = copy_world(tiny_world, tmp_path / "w.sqlite")
    con = sqlite3.connect(world)
    charges = [r[0] for r in con.execute(
        "SELECT id FROM objects WHERE object = 'charge' AND (account IS NULL OR account = '') ORDER BY seq LIMIT 6")]
    customer = con.execute("SELECT id FROM objects WHERE object = 'customer' ORDER BY seq LIMIT 1").fetchone()[0]
    edits = {
        charges[0]: "json_remove(payload, '$.amount')",                    # missing amount: quarantined
        charges[1]: "json_set(payload, '$.currency', 'xxx')",               # unknown currency: quarantined
        charges[2]: "json_set(payload, '$.amount', -4200)",                 # negative amount: quarantined
        charges[3]: "json_set(payload, '$.object', 'refund')",              # wrong object: quarantined
        charges[4]: "json_remove(payload, '$.created')",                    # no created: quarantined
        customer: f"json_set(payload, '$.metadata', json('{json.dumps(HOSTILE_METADATA).replace(chr(39), chr(39) * 2)}'))",
    }
    with con:
        for oid, expr in edits.items():
            con.execute(f"UPDATE objects SET payload = {expr} WHERE id = ?", (oid,))
    con.close()

    url = duck_url(tmp_path / "wh.duckdb")
    ingest(world, url)
    wh = duckdb.connect(url[len("duckdb:///"):], read_only=True)
    rejected = wh.execute("SELECT object_id, field, reason FROM raw_stripe._rejected ORDER BY object_id").fetchall()
    assert {(r[0], r[1]) for r in rejected} == {
        (charges[0], "amount"), (charges[1], "currency"), (charges[2], "amount"),
        (charges[3], "object"), (charges[4], "created")}
    assert all(r[2] for r in rejected)

    # the hostile customer landed byte for byte, tables intact, the SQL in it never ran
    meta = json.loads(wh.execute("SELECT CAST(payload AS VARCHAR) FROM raw_stripe.customer WHERE id = ?",
                                 [customer]).fetchone()[0])["metadata"]
    assert meta == HOSTILE_METADATA
    clean = tiny_clean[1]
    got = snapshot(url, with_state=False)
    assert len(got["charge"]) == len(clean["charge"]) - 5
    untouched = {"charge", "customer"}
    for table in clean:
        if table not in untouched and table != "_sync_state":
            assert got[table] == clean[table], table

    # nothing bad reached the landing: the GX suite on charges passes
    out = run_suite(raw_suite("charge"), lambda s: wh.execute(s).fetchall())
    wh.close()
    assert not out.failed, out.failed
