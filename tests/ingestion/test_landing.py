"""The landing writers on hand-made rows: counts of inserted and updated rows, newest version
wins, an unchanged copy changes nothing, and DuckDB's plain-insert path falls back to the upsert
when a table that started empty meets an id it holds."""
from __future__ import annotations

import duckdb
import orjson
import pytest

from pipelines.stripe.records import Row
from pipelines.stripe.state import StreamState
from pipelines.warehouse.duckdb_landing import DuckDBLanding


def row(oid: str, observed_at: int, amount: int, *, source: str = "list") -> Row:
    payload = orjson.dumps({"id": oid, "object": "charge", "created": 100, "amount": amount,
                            "currency": "usd"}).decode()
    return Row("charge", oid, None, 100, False, "2025-01-01", payload, source, False, observed_at)


def charges(path) -> dict[str, tuple[int, int]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {oid: (orjson.loads(p)["amount"], v) for oid, p, v in con.execute(
            "SELECT id, payload, state_version FROM raw_stripe.charge").fetchall()}
    finally:
        con.close()


def test_plain_inserts_then_fallback_to_upsert_keep_exact_counts(tmp_path):
    path = tmp_path / "wh.duckdb"
    landing = DuckDBLanding(path)
    landing.ensure_schema()
    state = StreamState("charge", "", cursor=100)
    first = landing.write([row("ch_1", 10, 500), row("ch_2", 10, 700)], [], [state], "r1")
    assert (first.inserted, first.updated) == ({"charge": 2}, {"charge": 0})
    # ch_2 again with a newer version (refunded), ch_1 unchanged, ch_3 new: the plain insert
    # fails on ch_1, the transaction is landed again as an upsert
    second = landing.write([row("ch_1", 20, 500), row("ch_2", 20, 650), row("ch_3", 20, 900)],
                           [], [state], "r1")
    assert (second.inserted, second.updated) == ({"charge": 1}, {"charge": 1})
    # an older copy (an event from before the list read) never overwrites a newer one
    third = landing.write([row("ch_2", 15, 999, source="event")], [], [], "r1")
    assert (third.inserted, third.updated) == ({"charge": 0}, {"charge": 0})
    landing.close()
    assert charges(path) == {"ch_1": (500, 21), "ch_2": (650, 41), "ch_3": (900, 41)}


def test_a_table_holding_rows_when_opened_is_upserted_from_the_start(tmp_path):
    path = tmp_path / "wh.duckdb"
    landing = DuckDBLanding(path)
    landing.ensure_schema()
    landing.write([row("ch_1", 10, 500)], [], [], "r1")
    landing.close()
    again = DuckDBLanding(path)
    again.ensure_schema()
    assert "charge" in again._upsert_tables and "refund" not in again._upsert_tables
    res = again.write([row("ch_1", 30, 400), row("ch_4", 30, 100)], [], [], "r2")
    assert (res.inserted, res.updated) == ({"charge": 1}, {"charge": 1})
    again.close()
    assert charges(path) == {"ch_1": (400, 61), "ch_4": (100, 61)}


def test_other_errors_are_not_retried(tmp_path):
    landing = DuckDBLanding(tmp_path / "wh.duckdb")
    landing.ensure_schema()
    bad = Row("charge", "ch_1", None, 100, False, None, "{}", "nowhere", False, 1)
    with pytest.raises(KeyError):
        landing.write([bad], [], [], "r1")   # unknown source: no state_version
    landing.close()
