"""`Warehouse.insert` (pipelines.warehouse.bulk) lands rows in one statement (DuckDB from an Arrow
batch, PostgreSQL a page per statement) with the same values a row-by-row insert gives: exact
integers and decimals, dates, nulls; values Arrow cannot put in one column go row by row."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pipelines.payouts.warehouse import Warehouse
from tests.pg import fresh_database

DDL = ("CREATE TABLE finance.t (day DATE NOT NULL, creator VARCHAR NOT NULL, amount BIGINT NOT NULL,"
       " rate DECIMAL(18, 6), reason VARCHAR)")
ROWS = [(date(2026, 11, 2), "acct_1", 9_007_199_254_740_993, Decimal("0.123456"), None),
        (date(2026, 11, 2), "acct_2", -250, None, "under minimum"),
        (date(2026, 11, 3), "acct_3", 0, Decimal("1"), "")]


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'wh.duckdb'}"
    return fresh_database("cb_payouts_bulk_insert")


def test_bulk_insert_keeps_every_value_exactly(url):
    with Warehouse(url) as wh:
        wh.execute("CREATE SCHEMA IF NOT EXISTS finance")
        wh.execute(DDL)
        wh.insert("finance.t", ROWS * 700)
        # an int and a whole Decimal in one column (Arrow types it decimal): both land exact
        wh.insert("finance.t", [(date(2026, 11, 4), "acct_4", 7, None, "y"),
                                (date(2026, 11, 4), "acct_5", Decimal("8"), None, "x")])
        got = wh.rows("SELECT day, creator, amount, rate, reason, count(*) FROM finance.t"
                      " GROUP BY 1, 2, 3, 4, 5 ORDER BY creator")
    assert [tuple(r) for r in got] == [
        (date(2026, 11, 2), "acct_1", 9_007_199_254_740_993, Decimal("0.123456"), None, 700),
        (date(2026, 11, 2), "acct_2", -250, None, "under minimum", 700),
        (date(2026, 11, 3), "acct_3", 0, Decimal("1.000000"), "", 700),
        (date(2026, 11, 4), "acct_4", 7, None, "y", 1),
        (date(2026, 11, 4), "acct_5", 8, None, "x", 1),
    ]


def test_values_arrow_cannot_type_as_one_column_go_row_by_row(tmp_path):
    with Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        wh.execute("CREATE SCHEMA finance")
        wh.execute(DDL)
        wh.insert("finance.t", [(date(2026, 11, 4), "acct_4", 7, None, 5), (date(2026, 11, 4), "acct_5", 8, None, "x")])
        assert wh.rows("SELECT creator, reason FROM finance.t ORDER BY 1") == [("acct_4", "5"), ("acct_5", "x")]
