"""Open the landing for a `WAREHOUSE_URL`."""
from __future__ import annotations

from pipelines.warehouse.url import parse_warehouse_url


def open_landing(url: str):
    target = parse_warehouse_url(url)
    if target.kind == "duckdb":
        from pipelines.warehouse.duckdb_landing import DuckDBLanding
        return DuckDBLanding(target.path)
    from pipelines.warehouse.postgres_landing import PostgresLanding
    return PostgresLanding(target)
