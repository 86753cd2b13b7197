"""Polars frames in and out of the warehouse (DuckDB or PostgreSQL), for the Python assets that
read marts and write whole `finance.*` tables (forecasts, fraud scores).

`read_frame` runs one SELECT; `replace_table` drops and recreates a table from a frame in one
transaction, so a reader never sees half a table. Column types follow the frame's schema; money
columns are Int64 frames and land as BIGINT.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from decimal import Decimal

import polars as pl

from pipelines.warehouse.bulk import insert_arrow, insert_rows
from pipelines.warehouse.url import WarehouseTarget, parse_warehouse_url

_QUALIFIED = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


def _sql_type(dtype: pl.DataType, kind: str) -> str:
    if dtype == pl.Utf8:
        return "TEXT"
    if dtype in (pl.Int64, pl.Int32):
        return "BIGINT"
    if dtype == pl.Float64:
        return "DOUBLE PRECISION" if kind == "postgres" else "DOUBLE"
    if dtype == pl.Boolean:
        return "BOOLEAN"
    if dtype == pl.Date:
        return "DATE"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMP"
    if isinstance(dtype, pl.List) and dtype.inner == pl.Utf8:
        return "TEXT[]"
    raise TypeError(f"no warehouse column type for polars {dtype}")


@contextmanager
def connect(target: WarehouseTarget):
    """A DB-API connection; committed when the block ends without error."""
    if target.kind == "duckdb":
        import duckdb

        target.path.parent.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(str(target.path))
        conn.begin()
    else:
        import psycopg2

        conn = psycopg2.connect(host=target.host, port=target.port, user=target.user,
                                password=target.password or None, dbname=target.dbname)
    try:
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()


def read_frame(url: str, sql: str) -> pl.DataFrame:
    """The rows of `sql` as a polars frame. NUMERIC/DECIMAL that hold whole numbers come back as
    Int64 (PostgreSQL returns sums of bigints as numeric), other decimals stay Decimal."""
    target = parse_warehouse_url(url)
    with connect(target) as conn:
        cur = conn if target.kind == "duckdb" else conn.cursor()
        cur.execute(sql)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    columns = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    series = []
    for name, values in columns.items():
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, Decimal) for v in present) and all(
                v == v.to_integral_value() for v in present):
            values = [None if v is None else int(v) for v in values]
            series.append(pl.Series(name, values, dtype=pl.Int64))
        elif present and all(isinstance(v, Decimal) for v in present):
            series.append(pl.Series(name, values, dtype=pl.Decimal(38, 12)))
        else:
            series.append(pl.Series(name, values, strict=False))
    return pl.DataFrame(series) if series else pl.DataFrame(schema=names)


def table_exists(url: str, qualified: str) -> bool:
    target = parse_warehouse_url(url)
    with connect(target) as conn:
        return table_exists_on(conn if target.kind == "duckdb" else conn.cursor(), target.kind, qualified)


def table_exists_on(cur, kind: str, qualified: str) -> bool:
    schema, table = qualified.split(".")
    marker = "?" if kind == "duckdb" else "%s"
    cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                f"{marker} AND table_name = {marker}", (schema, table))
    return cur.fetchall()[0][0] > 0


def checked_name(qualified: str) -> str:
    if not _QUALIFIED.match(qualified):
        raise ValueError(f"table name must be schema.table in lower case, got {qualified!r}")
    return qualified


def columns_ddl(frame: pl.DataFrame, kind: str) -> str:
    return ", ".join(f'"{c}" {_sql_type(t, kind)}' for c, t in frame.schema.items())


def create_table(cur, kind: str, qualified: str, frame: pl.DataFrame) -> None:
    """(Re)create `schema.table` empty, with the columns of `frame`."""
    cur.execute(f"CREATE SCHEMA IF NOT EXISTS {checked_name(qualified).split('.')[0]}")
    cur.execute(f"DROP TABLE IF EXISTS {qualified}")
    cur.execute(f"CREATE TABLE {qualified} ({columns_ddl(frame, kind)})")


def insert_frame(conn, kind: str, table: str, frame: pl.DataFrame) -> None:
    """Append `frame`'s rows to `table` (same column names): DuckDB reads the Arrow data itself."""
    if not frame.height:
        return
    if kind == "duckdb":
        insert_arrow(conn, table, frame.to_arrow(), frame.columns)
    else:
        insert_rows(conn, kind, table, frame.rows(), frame.columns)


def replace_table(url: str, qualified: str, frame: pl.DataFrame) -> int:
    """Replace `schema.table` with the rows of `frame` (same column names and order); returns
    the number of rows written."""
    checked_name(qualified)
    target = parse_warehouse_url(url)
    with connect(target) as conn:
        cur = conn if target.kind == "duckdb" else conn.cursor()
        create_table(cur, target.kind, qualified, frame)
        insert_frame(conn, target.kind, qualified, frame)
    return frame.height
