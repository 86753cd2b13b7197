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


def test_stream_states_land_in_one_statement_the_last_of_a_stream_winning(tmp_path):
    """States used to go through executemany, one upsert per state: 28 s of the large world's day
    (a few thousand accounts' states per write). Now one statement over an Arrow batch, in
    which a stream's later state in the same write supersedes its earlier one, as before."""
    path = tmp_path / "wh.duckdb"
    landing = DuckDBLanding(path)
    landing.ensure_schema()
    many = [StreamState("balance_transaction", f"acct_{i}", cursor=i) for i in range(3000)]
    landing.write([], [], many, "r1")
    landing.write([row("ch_1", 10, 500)], [], [
        StreamState("charge", "", cursor=100, pass_full=True, pass_after="ch_0"),
        StreamState("balance_transaction", "acct_7", cursor=70),
        StreamState("charge", "", cursor=200, synced_through=250),
    ], "r2")
    states = landing.load_states()
    landing.close()
    assert len(states) == 3001
    assert states[("charge", "")] == StreamState("charge", "", cursor=200, synced_through=250)
    assert states[("balance_transaction", "acct_7")].cursor == 70
    assert states[("balance_transaction", "acct_2999")].cursor == 2999


def test_other_errors_are_not_retried(tmp_path):
    landing = DuckDBLanding(tmp_path / "wh.duckdb")
    landing.ensure_schema()
    bad = Row("charge", "ch_1", None, 100, False, None, "{}", "nowhere", False, 1)
    with pytest.raises(KeyError):
        landing.write([bad], [], [], "r1")   # unknown source: no state_version
    landing.close()


def wide_row(i: int, observed_at: int, note: str) -> Row:
    payload = orjson.dumps({"id": f"in_{i:08d}", "object": "invoice", "created": 100,
                            "description": note * 3000}).decode()
    return Row("invoice", f"in_{i:08d}", None, 100, False, "2025-01-01", payload, "event", False,
               observed_at)


@pytest.mark.parametrize("checkpoints", [True, False])
def test_many_updated_wide_rows_stay_within_the_memory_limit(tmp_path, monkeypatch, checkpoints):
    """The bug: updated rows stay in DuckDB's memory until a checkpoint, so a run updating many
    wide payloads ran out of the landing's limit (OutOfMemoryException in the upsert). Here
    a 128 MB limit, 60 MB of updated 3 KB payloads and a checkpoint per 16 MB of them; without the
    checkpoints it fails the same way (about 3 bytes of DuckDB memory per updated payload byte)."""
    import pipelines.warehouse.duckdb_landing as landing_module

    if not checkpoints:
        monkeypatch.setattr(landing_module, "UPDATED_BYTES_PER_CHECKPOINT", 1 << 40)
    path = tmp_path / "wh.duckdb"
    landing = DuckDBLanding(path)
    landing.ensure_schema()
    for start in range(0, 20_000, 2_000):
        landing.write([wide_row(i, 10, "a") for i in range(start, start + 2_000)], [], [], "r1")
    landing.close()
    landing = DuckDBLanding(path)
    landing.ensure_schema()
    landing.con.execute("SET memory_limit = '128MB'")
    monkeypatch.setattr(landing_module, "UPDATED_BYTES_PER_CHECKPOINT",
                        16 * 1024 * 1024 if checkpoints else 1 << 40)
    updated = 0
    try:
        for start in range(0, 20_000, 2_000):
            res = landing.write([wide_row(i, 20, "b") for i in range(start, start + 2_000)], [], [], "r2")
            updated += res.updated["invoice"]
    except duckdb.OutOfMemoryException:
        assert not checkpoints
        return
    finally:
        landing.close()
    assert checkpoints and updated == 20_000


def test_memory_limit_grows_with_the_rows_whose_indexes_an_upsert_loads(tmp_path, monkeypatch):
    from pipelines.warehouse import duckdb_landing
    from pipelines.warehouse.duckdb_landing import memory_limit_mb

    assert memory_limit_mb(0) == 384
    assert memory_limit_mb(2_000_000) == 384          # 192 + 153: the floor of a first full ingest
    # the large world: 6.5 M landed rows, 489 MB of ART indexes measured in its incremental run
    assert memory_limit_mb(6_500_000) == 192 + 496
    monkeypatch.setattr(duckdb_landing, "MIN_MEMORY_MB", 0)   # so that 30,000 rows show
    path = tmp_path / "wh.duckdb"
    landing = DuckDBLanding(path)
    landing.ensure_schema()
    landing.write([row(f"ch_{i}", 10, 100) for i in range(30_000)], [], [], "r1")
    landing.close()
    landing = DuckDBLanding(path)
    landing.ensure_schema()
    limit = landing.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    landing.close()
    assert limit.replace(" ", "") in ("195.0MiB", "195MiB"), limit   # 192 + ceil(30,000 x 80 B)


def test_a_warehouse_landed_before_payload_hash_gets_it_and_changes_are_still_told_apart(tmp_path):
    """Upserts compare payload hashes, not payloads (fetching compressed payloads was most of a
    large day's landing): a table without the column gets it filled, and the counts stay exact."""
    path = tmp_path / "wh.duckdb"
    landing = DuckDBLanding(path)
    landing.ensure_schema()
    landing.write([row("ch_1", 10, 500), row("ch_2", 10, 700)], [], [], "r1")
    landing.close()
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE raw_stripe.charge DROP COLUMN payload_hash")  # as landed before
    con.close()

    again = DuckDBLanding(path)
    again.ensure_schema()
    hashes = dict(again.con.execute(
        "SELECT id, payload_hash = md5_number_lower(payload) FROM raw_stripe.charge").fetchall())
    assert hashes == {"ch_1": True, "ch_2": True}
    # ch_1 again unchanged (no update), ch_2 refunded (one update), both newer copies
    res = again.write([row("ch_1", 20, 500), row("ch_2", 20, 650)], [], [], "r2")
    assert (res.inserted, res.updated) == ({"charge": 0}, {"charge": 1})
    stored = dict(again.con.execute(
        "SELECT id, payload_hash = md5_number_lower(payload) FROM raw_stripe.charge").fetchall())
    again.close()
    assert stored == {"ch_1": True, "ch_2": True}
    assert charges(path) == {"ch_1": (500, 21), "ch_2": (650, 41)}
