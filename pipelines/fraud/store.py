"""The fraud step's warehouse reads and writes: fast frame reads on DuckDB, and every table of a
run written in one transaction.

One transaction because the tables depend on each other across days: the input snapshot
(`finance.fraud_inputs`) says what the scores were computed from, so a day that wrote the
snapshot but not the scores would leave those charges unscored for good. A reader sees the old
tables or the new ones, never a mix.

Reads (`Session`): DuckDB hands the rows over as Arrow (`read_frame` builds Python objects row by
row, which costs seconds for a million charges); PostgreSQL goes through `read_frame`.
"""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.warehouse.frames import (checked_name, columns_ddl, connect, create_table, insert_frame,
                                        read_frame, table_exists_on)
from pipelines.warehouse.url import parse_warehouse_url


class Session:
    """Reads over one connection (opening a DuckDB file costs some 30 ms; a day reads a dozen
    times). DuckDB hands the rows over as Arrow; PostgreSQL goes through `read_frame`."""

    def __init__(self, url: str):
        self.url = url
        self.target = parse_warehouse_url(url)
        self._conn = None

    def __enter__(self) -> "Session":
        if self.target.kind == "duckdb":
            self._context = connect(self.target)
            self._conn = self._context.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._conn is not None:
            self._context.__exit__(*exc)
            self._conn = None

    def read(self, sql: str) -> pl.DataFrame:
        if self._conn is None:
            return read_frame(self.url, sql)
        return pl.from_arrow(self._conn.sql(sql).to_arrow_table())

    def exists(self, qualified: str) -> bool:
        if self._conn is None:
            with connect(self.target) as conn:
                return table_exists_on(conn.cursor(), self.target.kind, qualified)
        return table_exists_on(self._conn, self.target.kind, qualified)


@dataclass(frozen=True)
class Write:
    """Replace `table` whole (`key` None), or replace its rows whose `key` (a column, or an SQL
    expression of the columns) is in `keys` (or, with `key_from`, is >= key_from) by `frame`'s
    rows."""

    table: str
    frame: pl.DataFrame
    key: str | None = None
    keys: pl.Series | None = None
    key_from: object = None


def write(url: str, writes: list[Write]) -> None:
    target = parse_warehouse_url(url)
    kind = target.kind
    with connect(target) as conn:
        cur = conn if kind == "duckdb" else conn.cursor()
        marker = "?" if kind == "duckdb" else "%s"
        for w in writes:
            checked_name(w.table)
            if w.key is None:
                create_table(cur, kind, w.table, w.frame)
            elif w.key_from is not None:
                cur.execute(f"DELETE FROM {w.table} WHERE {w.key} >= {marker}", (w.key_from,))
            elif w.keys is not None and w.keys.len():
                keys = pl.DataFrame({"k": w.keys})
                cur.execute(f"CREATE TEMP TABLE _fraud_keys ({columns_ddl(keys, kind)})")
                insert_frame(conn, kind, "_fraud_keys", keys)
                cur.execute(f"DELETE FROM {w.table} WHERE {w.key} IN (SELECT k FROM _fraud_keys)")
                cur.execute("DROP TABLE _fraud_keys")
            insert_frame(conn, kind, w.table, w.frame)
