"""Row counts and column types of many warehouse tables, read in two queries over one connection.

The dbt asset shows each model's row count and column schema in the Dagster UI. dagster-dbt's
own `fetch_row_counts()` / `fetch_column_metadata()` render a dbt macro and open an adapter
connection per model (about 0.1 s each), and the thread pool they share (`dagster._core.utils.imap`)
re-checks its queue in a loop without waiting while dbt runs: on a 2-core machine that loop took
most of a core away from `dbt build` for the whole build (py-spy, demo day, 28 Nov).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pipelines.warehouse.frames import connect
from pipelines.warehouse.url import parse_warehouse_url


@dataclass(frozen=True)
class RelationStats:
    row_count: int
    columns: tuple[tuple[str, str], ...]  # (name, data type) in table order


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def relation_stats(url: str, relations: Iterable[tuple[str, str]]) -> dict[tuple[str, str], RelationStats]:
    """(schema, table) -> its row count and columns, for those of `relations` that exist as tables
    in the warehouse at `url` (a model that failed to build is simply absent)."""
    wanted = {(schema.lower(), name.lower()) for schema, name in relations}
    if not wanted:
        return {}
    schemas = ", ".join(_literal(s) for s in sorted({s for s, _ in wanted}))
    target = parse_warehouse_url(url)
    with connect(target) as conn:
        cur = conn if target.kind == "duckdb" else conn.cursor()
        cur.execute(
            "select c.table_schema, c.table_name, c.column_name, c.data_type "
            "from information_schema.columns c join information_schema.tables t "
            "  on t.table_schema = c.table_schema and t.table_name = c.table_name "
            f"where c.table_schema in ({schemas}) and t.table_type = 'BASE TABLE' "
            "order by c.table_schema, c.table_name, c.ordinal_position")
        columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for schema, table, column, data_type in cur.fetchall():
            key = (schema.lower(), table.lower())
            if key in wanted:
                columns.setdefault(key, []).append((column, data_type.lower()))
        if not columns:
            return {}
        counts = " union all ".join(
            f"select {_literal(s)}, {_literal(t)}, count(*) from {_quote(s)}.{_quote(t)}"
            for s, t in sorted(columns))
        cur.execute(counts)
        rows = {(s, t): int(n) for s, t, n in cur.fetchall()}
    return {key: RelationStats(rows[key], tuple(cols)) for key, cols in columns.items()}
