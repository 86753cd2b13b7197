"""Read-only SQL against the warehouse a `WAREHOUSE_URL` names, as a `query(sql) -> rows`
callable: the invariants and suites take that callable, never a connection type."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pipelines.warehouse.url import parse_warehouse_url

Query = Callable[[str], list[tuple]]


@contextmanager
def warehouse_query(url: str) -> Iterator[Query]:
    """A query callable on one connection, closed when the block ends. DuckDB opens read-only
    so a check never takes the writer's lock away from an ingest run."""
    target = parse_warehouse_url(url)
    if target.kind == "duckdb":
        import duckdb

        conn = duckdb.connect(str(target.path), read_only=True)

        def query(sql: str) -> list[tuple]:
            return conn.execute(sql).fetchall()
    else:
        import psycopg2

        conn = psycopg2.connect(host=target.host, port=target.port, user=target.user,
                                password=target.password or None, dbname=target.dbname)
        conn.autocommit = True

        def query(sql: str) -> list[tuple]:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
    try:
        yield query
    finally:
        conn.close()


def relation_exists(query: Query, qualified: str) -> bool:
    schema, table = qualified.split(".")
    rows = query("select count(*) from information_schema.tables "
                 f"where table_schema = '{schema}' and table_name = '{table}'")
    return rows[0][0] > 0
