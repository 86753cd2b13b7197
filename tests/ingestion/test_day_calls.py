"""A day on the small world: the platform's transfer list brings the connected payments' balance
transactions (expanded), so accounts whose only news is a transfer are not listed, and an old
API version event of an object this run lists anyway is not retrieved; what lands is still
exactly what the API lists, and each balance transactions stream's sync time still means it
was listed then."""
from __future__ import annotations

import sqlite3

import duckdb
import orjson

import stripe

from pipelines.sandbox.advance import advance_world
from pipelines.sandbox.testing import running_sandbox
from pipelines.stripe.client import StripeApi
from pipelines.stripe.engine import run_sync
from pipelines.warehouse.connect import open_landing
from tests.ingestion.conftest import FAST_RETRIES, copy_world, duck_url, ingest
from tests.ingestion.test_sandbox_sync import assert_matches_api


class PathCountingApi(StripeApi):
    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.paths: list[tuple[str, str | None]] = []

    def get(self, path, params=None, account=None, **kw):
        with self._lock:
            self.paths.append((path, account))
        return super().get(path, params, account, **kw)


def ingest_counting(world, url):
    with running_sandbox(world) as srv:
        api = PathCountingApi(srv.api_key, srv.base_url, policy=FAST_RETRIES, seed=1)
        return run_sync(api, lambda: open_landing(url)), api.paths


def world_clock(world) -> int:
    with sqlite3.connect(world) as con:
        return int(con.execute("SELECT value FROM meta WHERE key = 'clock'").fetchone()[0])


def test_a_day_lands_transfer_payments_without_listing_their_accounts(small_world, tmp_path):
    world = copy_world(small_world, tmp_path / "small.sqlite")
    url = duck_url(tmp_path / "wh.duckdb")
    ingest(world, url)
    before = world_clock(world)
    advance_world(world, 1)
    day, paths = ingest_counting(world, url)
    clock = world_clock(world)
    assert_matches_api(world, url, clock=clock, expired_before=clock - 30 * 86_400)

    with sqlite3.connect(f"file:{world}?mode=ro", uri=True) as con:
        payments = {}      # account -> payment ids (py_) of the day's transfers to it
        for (payload,) in con.execute("SELECT payload FROM objects WHERE object = 'transfer' "
                                      "AND created > ?", (before,)):
            tr = orjson.loads(payload)
            payments.setdefault(tr["destination"], set()).add(tr["destination_payment"])
        old_version = con.execute(
            "SELECT COUNT(*) FROM objects WHERE object = 'event' AND account = '' AND created > ? "
            "AND json_extract(payload, '$.api_version') != ? AND type LIKE '%.created'",
            (before, stripe.api_version)).fetchone()[0]
    wh = duckdb.connect(url[len("duckdb:///"):], read_only=True)
    try:
        listed = {a for (a,) in wh.execute(
            "SELECT account FROM raw_stripe._sync_state WHERE stream = 'balance_transaction' "
            "AND account <> '' AND synced_through = ?", [day.server_time]).fetchall()}
        booked = {}
        for account, source in wh.execute(
                "SELECT account, payload ->> 'source' FROM raw_stripe.balance_transaction "
                "WHERE account IS NOT NULL AND created > ?", [before]).fetchall():
            booked.setdefault(account, set()).add(source)
    finally:
        wh.close()
    unlisted = set(payments) - listed
    # most accounts paid today were not listed, yet every payment they got is booked there
    assert len(unlisted) > len(payments) // 2, (len(unlisted), len(payments))
    for account in unlisted:
        assert payments[account] <= booked.get(account, set()), account
    # the balance transactions lists of the day: the platform's and those of listed accounts
    bt_lists = {account for path, account in paths if path == "/v1/balance_transactions"}
    assert bt_lists == {None} | listed
    # an old-version `*.created` event names an object created today, which the day's list
    # passes land anyway: none of them is retrieved (a retrieve has an id after the list path)
    retrieved = [path for path, account in paths if account is None and path.count("/") == 3]
    assert old_version > 0
    assert not any(path.rsplit("/", 1)[1] in created_today(world, before) for path in retrieved)


def created_today(world, before) -> set[str]:
    with sqlite3.connect(f"file:{world}?mode=ro", uri=True) as con:
        return {i for (i,) in con.execute(
            "SELECT json_extract(payload, '$.data.object.id') FROM objects WHERE object = 'event' "
            "AND account = '' AND created > ? AND type LIKE '%.created' "
            "AND json_extract(payload, '$.api_version') != ?", (before, stripe.api_version))}


def test_a_day_killed_or_faulted_then_rerun_lands_what_a_clean_day_lands(small_world, tmp_path):
    """The day's expansions and skipped retrieves resume like every other page: a day run killed
    at several points, then run again, and a day under 10% faults leave the tables a clean day
    leaves."""
    import shutil

    import pytest

    from pipelines.stripe.errors import SyncAborted
    from tests.ingestion.conftest import snapshot

    world = copy_world(small_world, tmp_path / "small.sqlite")
    full = tmp_path / "full.duckdb"
    ingest(world, duck_url(full))
    advance_world(world, 1)

    def fresh(name):
        path = tmp_path / f"{name}.duckdb"
        shutil.copyfile(full, path)
        return duck_url(path)

    clean = fresh("clean")
    ingest(world, clean)
    expected = snapshot(clean, with_state=False)
    for kill_after in (1, 3, 8):
        url = fresh(f"kill{kill_after}")
        with pytest.raises(SyncAborted):
            ingest(world, url, crash_after_commits=kill_after, batch_rows=40, queue_pages=2,
                   workers=3)
        ingest(world, url)
        assert snapshot(url, with_state=False) == expected, kill_after
    url = fresh("faults")
    result = ingest(world, url, faults="429=0.04,500=0.03,502=0.02,drop=0.01,seed=3")
    assert result.retries > 0
    assert snapshot(url, with_state=False) == expected
