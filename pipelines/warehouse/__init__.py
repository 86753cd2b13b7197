"""The warehouse: DuckDB by default, PostgreSQL in production, chosen by `WAREHOUSE_URL`."""
