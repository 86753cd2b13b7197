"""Shared fixtures: sandbox worlds generated once per session (copied before a test advances
one), an `ingest` helper that runs the real engine against the real sandbox server, and table
snapshots to compare runs."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import orjson
import pytest

from pipelines.catalog import BY_OBJECT, EVENT_RETENTION_DAYS
from pipelines.sandbox.generate import generate_world
from pipelines.sandbox.testing import running_sandbox
from pipelines.stripe.client import RetryPolicy, StripeApi
from pipelines.stripe.engine import SyncOptions, SyncResult, run_sync
from pipelines.warehouse.connect import open_landing
from pipelines.warehouse.landing import TABLES

FAST_RETRIES = RetryPolicy(max_attempts=10, base_delay=0.005, max_delay=0.05)


@pytest.fixture(scope="session")
def small_world(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("worlds") / "small.sqlite"
    generate_world(path, size="small", seed=42)
    return path


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("worlds") / "tiny.sqlite"
    generate_world(path, size="tiny", seed=7)
    return path


@pytest.fixture(scope="session")
def tiny_clean(tiny_world, tmp_path_factory):
    url = duck_url(tmp_path_factory.mktemp("clean") / "clean.duckdb")
    ingest(tiny_world, url)
    return url, snapshot(url)


def copy_world(src: Path, dst: Path) -> Path:
    con = sqlite3.connect(src)
    out = sqlite3.connect(dst)
    with out:
        con.backup(out)
    con.close()
    out.close()
    return dst


def ingest(world: Path, url: str, *, faults: str | None = None, api_key: str | None = None,
           **options) -> SyncResult:
    with running_sandbox(world, faults=faults) as srv:
        api = StripeApi(api_key or srv.api_key, srv.base_url, policy=FAST_RETRIES, seed=1)
        return run_sync(api, lambda: open_landing(url), SyncOptions(**options))


def duck_url(path: Path) -> str:
    return f"duckdb:///{path}"


def snapshot(url: str, *, with_state: bool = True) -> dict:
    """Every landing row (all contract columns but synced_at) and the cursor state."""
    assert url.startswith("duckdb:///")
    con = duckdb.connect(url[len("duckdb:///"):], read_only=True)
    try:
        out = {}
        for table in TABLES:
            rows = con.execute(
                f"SELECT id, account, created, livemode, api_version, CAST(payload AS VARCHAR), "
                f"source, is_deleted, state_version FROM raw_stripe.{table} ORDER BY id").fetchall()
            out[table] = [r[:5] + (orjson.loads(r[5]),) + r[6:] for r in rows]
        if with_state:
            out["_sync_state"] = con.execute(
                "SELECT stream, account, cursor, synced_through, full_started, pass_full, pass_floor, "
                "pass_started, pass_max, pass_after FROM raw_stripe._sync_state ORDER BY 1, 2").fetchall()
        return out
    finally:
        con.close()


def api_truth(world: Path) -> dict[str, dict[str, tuple]]:
    """What the sandbox API lists, read from its store: per landing table, id -> (account, payload).
    Events older than the retention are not listed; invoice lines are their children rows."""
    con = sqlite3.connect(f"file:{world}?mode=ro", uri=True)
    clock = int(con.execute("SELECT value FROM meta WHERE key='clock'").fetchone()[0])
    truth: dict[str, dict[str, tuple]] = {t: {} for t in TABLES}
    lines: dict[str, list[str]] = {}
    for oid, obj, account, created, parent, payload in con.execute(
            "SELECT id, object, account, created, parent, payload FROM objects ORDER BY seq"):
        if obj == "line_item":
            lines.setdefault(parent, []).append(oid)
            continue
        t = BY_OBJECT.get(obj)
        if t is None:
            continue
        if obj == "event" and created < clock - EVENT_RETENTION_DAYS * 86_400:
            continue
        truth[t.table][oid] = (account or None, orjson.loads(payload))
    con.close()
    for inv_id, line_ids in lines.items():
        if inv_id in truth["invoice"]:
            acct, payload = truth["invoice"][inv_id]
            truth["invoice"][inv_id] = (acct, payload, sorted(line_ids))
    return truth


def landed(url: str) -> dict[str, dict[str, tuple]]:
    con = duckdb.connect(url[len("duckdb:///"):], read_only=True)
    try:
        out = {}
        for table in TABLES:
            rows = con.execute(f"SELECT id, account, CAST(payload AS VARCHAR), is_deleted "
                               f"FROM raw_stripe.{table}").fetchall()
            out[table] = {r[0]: (r[1], orjson.loads(r[2]), r[3]) for r in rows}
        return out
    finally:
        con.close()
