"""The server on the simulator's `small` world, through the stripe SDK: every list reads back
exactly the store's rows for the platform and for connected accounts, in Stripe's order."""
from __future__ import annotations

import sqlite3
from email.utils import parsedate_to_datetime

import pytest

from pipelines.catalog import EVENT_RETENTION_DAYS, OBJECT_TYPES
from pipelines.sandbox.testing import running_sandbox, stripe_client

generate = pytest.importorskip("pipelines.sandbox.generate", reason="the world generator is not built yet")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "small-42.sqlite"
    generate.generate_world(path, size="small", seed=42)
    return path


@pytest.fixture(scope="module")
def db(world):
    conn = sqlite3.connect(world)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def client(world):
    with running_sandbox(world) as running:
        yield stripe_client(running, max_network_retries=0)


def clock(db) -> int:
    return int(db.execute("SELECT value FROM meta WHERE key = 'clock'").fetchone()[0])


def expected_ids(db, object_name, account="", where="", args=()):
    return [r[0] for r in db.execute(
        f"SELECT id FROM objects WHERE object = ? AND account = ? {where} "
        "ORDER BY created DESC, seq DESC", (object_name, account, *args))]


def read_ids(client, path, limit=100, **params):
    ids, after = [], None
    while True:
        # the SDK's raw path: parsed JSON without building StripeObjects (the sync engine's way)
        page = client.raw_request(
            "get", path, limit=limit, **params, **({"starting_after": after} if after else {})).data
        ids += [o["id"] for o in page["data"]]
        if not page["has_more"]:
            return ids
        after = page["data"][-1]["id"]


def test_every_platform_list_matches_the_store(client, db):
    oldest_event = clock(db) - EVENT_RETENTION_DAYS * 86_400
    for kind in OBJECT_TYPES:
        if kind.path is None:
            continue
        params = dict(kind.list_params)
        if kind.object == "event":
            expected = expected_ids(db, "event", where="AND created >= ?", args=(oldest_event,))
        else:
            expected = expected_ids(db, kind.object)
        assert read_ids(client, kind.path, **params) == expected, kind.object
        assert expected, f"the small world has no {kind.object}"


def test_accounts_page_by_three(client, db):
    assert read_ids(client, "/v1/accounts", limit=3) == expected_ids(db, "account")


def test_connected_accounts_lists_match_the_store(client, db):
    accounts = [r[0] for r in db.execute(
        "SELECT account FROM objects WHERE account != '' AND object = 'payout' "
        "GROUP BY account ORDER BY COUNT(*) DESC LIMIT 3")]
    assert accounts, "no connected account has payouts"
    for account in accounts:
        for object_name, path in (("balance_transaction", "/v1/balance_transactions"),
                                  ("payout", "/v1/payouts")):
            assert read_ids(client, path, stripe_account=account) == \
                expected_ids(db, object_name, account), (account, object_name)


def test_long_invoice_lines_page(client, db):
    row = db.execute("SELECT parent, COUNT(*) FROM objects WHERE object = 'line_item' "
                     "GROUP BY parent ORDER BY COUNT(*) DESC, parent LIMIT 1").fetchone()
    invoice_id, count = row
    lines = [line.id for line in client.v1.invoices.line_items.list(
        invoice_id, {"limit": 1}).auto_paging_iter()]
    assert lines == [r[0] for r in db.execute(
        "SELECT id FROM objects WHERE parent = ? AND object = 'line_item' ORDER BY seq", (invoice_id,))]
    assert len(lines) == count


def test_date_header_is_the_world_clock(client, db):
    page = client.v1.customers.list({"limit": 1})
    assert parsedate_to_datetime(page.last_response.headers["Date"]).timestamp() == clock(db)
