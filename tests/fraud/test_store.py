"""The fraud step's writes on both warehouses: whole tables, rows by key (a column or an
expression) and rows from a month on, in one transaction; reads back over one session."""
from datetime import date

import polars as pl
import pytest

from pipelines.fraud import store


def _pg_url():
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres", connect_timeout=3)
    except psycopg2.OperationalError:
        pytest.skip("no local PostgreSQL")
    admin.autocommit = True
    admin.cursor().execute('DROP DATABASE IF EXISTS "cb_t_fraud_store" WITH (FORCE)')
    admin.cursor().execute('CREATE DATABASE "cb_t_fraud_store"')
    admin.close()
    return "postgresql://postgres@127.0.0.1:5432/cb_t_fraud_store"


@pytest.fixture(params=["duckdb", "postgres"])
def url(request, tmp_path):
    return f"duckdb:///{tmp_path / 'w.duckdb'}" if request.param == "duckdb" else _pg_url()


def test_whole_keyed_and_from_month_writes(url):
    scores = pl.DataFrame({"charge_id": ["a", "b", "c"], "score": [0.1, 0.2, 0.3],
                           "rule_hits": [["x"], [], ["x", "y"]]})
    risk = pl.DataFrame({"creator_account": ["k", "k", "k"],
                         "month": [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)], "n": [1, 2, 3]})
    state = pl.DataFrame({"kind": ["charges", "disputes"], "key": ["a", "a"], "row_hash": [1, 2]})
    store.write(url, [store.Write("finance.s", scores), store.Write("finance.r", risk),
                      store.Write("finance.i", state)])
    store.write(url, [
        store.Write("finance.s", pl.DataFrame({"charge_id": ["c", "d"], "score": [0.5, 0.6],
                                               "rule_hits": [["y"], []]}), key="charge_id",
                    keys=pl.Series(["b", "c", "d"])),  # b is gone, c rescored, d new
        store.Write("finance.r", risk.tail(1).with_columns(pl.lit(30).alias("n")), key="month",
                    key_from=date(2026, 9, 1)),
        store.Write("finance.i", pl.DataFrame({"kind": ["disputes"], "key": ["a"], "row_hash": [7]}),
                    key="kind || ':' || key", keys=pl.Series(["disputes:a"])),
    ])
    with store.Session(url) as session:
        assert session.exists("finance.s") and not session.exists("finance.nope")
        s = session.read("SELECT charge_id, score, rule_hits FROM finance.s ORDER BY charge_id")
        r = session.read("SELECT month, n FROM finance.r ORDER BY month")
        i = session.read("SELECT kind, key, row_hash FROM finance.i ORDER BY kind")
    assert s.rows() == [("a", 0.1, ["x"]), ("c", 0.5, ["y"]), ("d", 0.6, [])]
    assert r.rows() == [(date(2026, 8, 1), 1), (date(2026, 10, 1), 30)]
    assert i.rows() == [("charges", "a", 1), ("disputes", "a", 7)]


def test_a_failed_write_leaves_every_table_as_it_was(url):
    store.write(url, [store.Write("finance.s", pl.DataFrame({"charge_id": ["a"], "n": [1]}))])
    with pytest.raises(Exception):
        store.write(url, [store.Write("finance.s", pl.DataFrame({"charge_id": ["b"], "n": [2]}),
                                      key="charge_id", keys=pl.Series(["a"])),
                          store.Write("finance.s", pl.DataFrame({"nope": [1]}), key="charge_id",
                                      keys=pl.Series(["x"]))])
    with store.Session(url) as session:
        assert session.read("SELECT charge_id, n FROM finance.s").rows() == [("a", 1)]
