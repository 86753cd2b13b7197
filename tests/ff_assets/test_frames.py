"""Frames written to and read back from the warehouse keep their values and types."""
from datetime import date

import polars as pl
import pytest

from pipelines.warehouse.frames import read_frame, replace_table, table_exists
from tests.pg import fresh_database

FRAME = pl.DataFrame({
    "series": ["mrr", "mrr"], "month": [date(2026, 11, 1), date(2026, 12, 1)],
    "point": [1_234_567, -5], "score": [0.25, 1.0], "flag": [True, None],
    "reasons": [["card_charges_1h", "ip_charges_1d"], []],
}, schema={"series": pl.Utf8, "month": pl.Date, "point": pl.Int64, "score": pl.Float64,
           "flag": pl.Boolean, "reasons": pl.List(pl.Utf8)})


def _roundtrip(url):
    assert replace_table(url, "finance.ff_roundtrip", FRAME) == 2
    assert replace_table(url, "finance.ff_roundtrip", FRAME) == 2  # replaced, not appended
    assert table_exists(url, "finance.ff_roundtrip")
    assert not table_exists(url, "finance.ff_missing")
    back = read_frame(url, "SELECT * FROM finance.ff_roundtrip ORDER BY month")
    assert back["point"].to_list() == [1_234_567, -5]
    assert back["month"].to_list() == [date(2026, 11, 1), date(2026, 12, 1)]
    assert back["score"].to_list() == [0.25, 1.0]
    assert back["flag"].to_list() == [True, None]
    assert [list(r) for r in back["reasons"].to_list()] == [["card_charges_1h", "ip_charges_1d"], []]
    # a sum of bigints is NUMERIC on PostgreSQL: it still comes back as an exact integer
    total = read_frame(url, "SELECT sum(point) AS total FROM finance.ff_roundtrip")
    assert total["total"].dtype == pl.Int64 and total["total"][0] == 1_234_562


def test_roundtrip_duckdb(tmp_path):
    _roundtrip(f"duckdb:///{tmp_path}/w.duckdb")


def test_refuses_a_bad_table_name(tmp_path):
    with pytest.raises(ValueError, match="schema.table"):
        replace_table(f"duckdb:///{tmp_path}/w.duckdb", "finance.x; drop table y", FRAME)


@pytest.mark.postgres
def test_roundtrip_postgres():
    _roundtrip(fresh_database("cb_ff_frames"))
