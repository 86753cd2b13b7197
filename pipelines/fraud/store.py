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

from pipelines.warehouse.frames import _QUALIFIED, _sql_type, connect, read_frame
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
        schema, table = qualified.split(".")
        frame = self.read("SELECT count(*) AS n FROM information_schema.tables "
                          f"WHERE table_schema = '{schema}' AND table_name = '{table}'")
        return int(frame["n"][0]) > 0


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
    duck = target.kind == "duckdb"
    with connect(target) as conn:
        cur = conn if duck else conn.cursor()
        for w in writes:
            if not _QUALIFIED.match(w.table):
                raise ValueError(f"table name must be schema.table in lower case, got {w.table!r}")
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {w.table.split('.')[0]}")
            if w.key is None:
                ddl = ", ".join(f'"{c}" {_sql_type(t, target.kind)}' for c, t in w.frame.schema.items())
                cur.execute(f"DROP TABLE IF EXISTS {w.table}")
                cur.execute(f"CREATE TABLE {w.table} ({ddl})")
            elif w.key_from is not None:
                cur.execute(f'DELETE FROM {w.table} WHERE {w.key} >= {"?" if duck else "%s"}',
                            (w.key_from,))
            elif w.keys is not None and w.keys.len():
                _insert(conn, cur, duck, "_fraud_keys", pl.DataFrame({"k": w.keys}), temp=True)
                cur.execute(f'DELETE FROM {w.table} WHERE {w.key} IN (SELECT k FROM _fraud_keys)')
                cur.execute("DROP TABLE _fraud_keys")
            if w.frame.height:
                _insert(conn, cur, duck, w.table, w.frame)


def _insert(conn, cur, duck: bool, table: str, frame: pl.DataFrame, temp: bool = False) -> None:
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    if temp:
        kind = "duckdb" if duck else "postgres"
        ddl = ", ".join(f'"{c}" {_sql_type(t, kind)}' for c, t in frame.schema.items())
        cur.execute(f"CREATE TEMP TABLE {table} ({ddl})")
    if duck:
        conn.register("_frame_to_write", frame.to_arrow())
        cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _frame_to_write")
        conn.unregister("_frame_to_write")
    else:
        from psycopg2.extras import execute_values

        execute_values(cur, f"INSERT INTO {table} ({columns}) VALUES %s", frame.rows(), page_size=2000)
