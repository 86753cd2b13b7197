"""Data quality: Great Expectations suites on the raw landing and the key marts, and the money
invariants (ledger vs Stripe, revenue vs raw charges, rejects, freshness) that Dagster asset
checks run. Everything here is plain functions over a `query(sql) -> rows` callable so tests can
call it on any DuckDB or PostgreSQL connection."""
