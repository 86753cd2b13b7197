"""Read-only SQL against the warehouse a `WAREHOUSE_URL` names, as a `query(sql) -> rows`
callable: the invariants and suites take that callable, never a connection type."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from pipelines.warehouse.url import parse_warehouse_url

Query = Callable[[str], list[tuple]]

# DuckDB's buffer manager may keep the blocks a scan read up to its limit (80% of RAM by
# default), and a full validation reads every raw payload. The checks only stream aggregates and
# group keys (uniqueness); under this limit DuckDB evicts blocks and spills a large grouping to
# its temp directory instead of growing the checks' process.
MEMORY_LIMIT_ENV = "CASHBOOK_QUALITY_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "512MB"


@contextmanager
def warehouse_query(url: str) -> Iterator[Query]:
    """A query callable on one connection, closed when the block ends. DuckDB opens read-only
    so a check never takes the writer's lock away from an ingest run."""
    target = parse_warehouse_url(url)
    if target.kind == "duckdb":
        import duckdb

        conn = duckdb.connect(str(target.path), read_only=True)
        conn.execute(f"SET memory_limit = '{os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT)}'")

        def query(sql: str) -> list[tuple]:
            return conn.execute(sql).fetchall()
        query.dialect = "duckdb"
    else:
        import psycopg2

        conn = psycopg2.connect(host=target.host, port=target.port, user=target.user,
                                password=target.password or None, dbname=target.dbname)
        conn.autocommit = True

        def query(sql: str) -> list[tuple]:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        query.dialect = "postgres"
    try:
        yield query
    finally:
        conn.close()


def relation_exists(query: Query, qualified: str) -> bool:
    schema, table = qualified.split(".")
    rows = query("select count(*) from information_schema.tables "
                 f"where table_schema = '{schema}' and table_name = '{table}'")
    return rows[0][0] > 0


def existing_relations(query: Query, schema: str) -> set[str]:
    """The tables and views of a schema, in one query (the checks ask about 26 raw tables)."""
    rows = query(f"select table_name from information_schema.tables where table_schema = '{schema}'")
    return {r[0] for r in rows}


def dialect_of(query: Query) -> str:
    """"duckdb" or "postgres": what `warehouse_query` set on its callable, else asked of the
    database (a test's own lambda over a DuckDB connection)."""
    known = getattr(query, "dialect", None)
    if known:
        return known
    return "postgres" if "postgresql" in str(query("select version()")[0][0]).lower() else "duckdb"


def payload_fields(dialect: str, fields: Sequence[str], payload: str = "payload") -> tuple[str, dict[str, str]]:
    """One JSON parse per payload: the expression to select as `_j` in an inner query, and for
    each top-level field the outer expression reading its value as text. DuckDB keeps payloads as
    VARCHAR and `payload->>'a'` parses the whole document for every field, so the fields come out of
    one `json_extract_string(payload, [paths])` list; PostgreSQL's jsonb is parsed already."""
    fields = list(dict.fromkeys(fields))
    if dialect == "duckdb":
        paths = ", ".join(f"'$.{f}'" for f in fields)
        return f"json_extract_string({payload}, [{paths}])", {f: f"_j[{i + 1}]" for i, f in enumerate(fields)}
    return payload, {f: f"(_j->>'{f}')" for f in fields}
