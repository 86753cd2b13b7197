"""The warehouse as the tax assets use it: read marts as dict rows, replace a partition's rows
in a `finance.*` table, and keep the tax profiles in a restricted schema.

One small adapter over DuckDB and psycopg2 (SQL written with `%s` placeholders), because the
tax assets only need a handful of statements and must run on both targets.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from pipelines.warehouse.bulk import insert_rows
from pipelines.warehouse.url import parse_warehouse_url

# table -> DDL columns. TIN-bearing data lives only in restricted.tax_profiles.
TABLES = {
    "raw_fx.ecb_rates": "rate_date DATE NOT NULL, currency TEXT NOT NULL, rate DECIMAL(18, 8) NOT NULL",
    "restricted.tax_profiles": (
        "account TEXT PRIMARY KEY, legal_name TEXT, tin_type TEXT, tin TEXT, is_us BOOLEAN, "
        "address_line1 TEXT, city TEXT, state TEXT, postal_code TEXT, country TEXT, "
        "backup_withholding BOOLEAN"),
    "finance.tax_1099_boxes": (
        "form TEXT NOT NULL, tax_year INTEGER NOT NULL, recipient_id TEXT NOT NULL, box TEXT NOT NULL, "
        "amount_cents BIGINT NOT NULL, federal_required BOOLEAN, state_filing_flag BOOLEAN"),
    "finance.tax_1099_drilldown": (
        "form TEXT NOT NULL, tax_year INTEGER NOT NULL, recipient_id TEXT NOT NULL, box TEXT NOT NULL, "
        "source_id TEXT NOT NULL"),
    "finance.tax_1099_exceptions": (
        "form TEXT NOT NULL, tax_year INTEGER NOT NULL, recipient_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "reason TEXT"),
    "finance.vat_return_rows": (
        "return_name TEXT NOT NULL, period TEXT NOT NULL, section TEXT NOT NULL, member_state TEXT NOT NULL, "
        "corrected_period TEXT, vat_rate DECIMAL(9, 4), taxable_minor BIGINT, vat_minor BIGINT NOT NULL, "
        "currency TEXT NOT NULL"),
    "finance.vat_drilldown": (
        "return_name TEXT NOT NULL, period TEXT NOT NULL, section TEXT NOT NULL, member_state TEXT NOT NULL, "
        "corrected_period TEXT, vat_rate DECIMAL(9, 4), source_id TEXT NOT NULL"),
    "finance.vat_location_review": (
        "period TEXT NOT NULL, source_id TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT"),
    "finance.us_nexus": (
        "assessed_on DATE NOT NULL, state TEXT NOT NULL, status TEXT NOT NULL, measured_cents BIGINT, "
        "measured_transactions BIGINT, threshold_cents BIGINT, threshold_transactions BIGINT, "
        "ratio DECIMAL(12, 4), measure_period TEXT, source TEXT"),
    "finance.digital_services_liability": (
        "period TEXT NOT NULL, country TEXT NOT NULL, region TEXT, tax TEXT, rate DECIMAL(9, 4), "
        "currency TEXT, sales_minor BIGINT, tax_due_minor BIGINT, threshold_minor BIGINT, "
        "registration_due BOOLEAN, marketplace_liable BOOLEAN, source TEXT"),
}


class Warehouse:
    """A DB-API connection plus the dialect, opened from a WAREHOUSE_URL."""

    def __init__(self, url: str):
        self.target = parse_warehouse_url(url)
        self.kind = self.target.kind
        if self.kind == "duckdb":
            import duckdb
            self.target.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = duckdb.connect(str(self.target.path))
        else:
            import psycopg2
            t = self.target
            self.conn = psycopg2.connect(host=t.host, port=t.port, user=t.user, password=t.password or None,
                                         dbname=t.dbname)

    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.kind == "duckdb" else sql

    def execute(self, sql: str, params: tuple = ()) -> None:
        cur = self.conn.cursor()
        cur.execute(self._sql(sql), params)

    def insert(self, qualified: str, columns: list[str], rows: list[tuple]) -> None:
        """Bulk insert (row-by-row executemany is far too slow on DuckDB for thousands of rows)."""
        insert_rows(self.conn, self.kind, qualified, rows, columns)

    def rows(self, sql: str, params: tuple = ()) -> list[dict]:
        cur = self.conn.cursor()
        cur.execute(self._sql(sql), params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, _plain(row))) for row in cur.fetchall()]

    def table_exists(self, qualified: str) -> bool:
        schema, table = qualified.split(".")
        found = self.rows("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = %s "
                          "AND table_name = %s", (schema, table))
        return found[0]["n"] > 0

    def ensure(self, qualified: str) -> None:
        schema = qualified.split(".")[0]
        self.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        self.execute(f"CREATE TABLE IF NOT EXISTS {qualified} ({TABLES[qualified]})")

    def replace_rows(self, qualified: str, where: str, params: tuple, columns: list[str], rows: list[tuple]) -> None:
        """Delete what `where` selects and insert `rows`: one partition's output, rewritten."""
        self.ensure(qualified)
        self.execute(f"DELETE FROM {qualified} WHERE {where}", params)
        self.insert(qualified, columns, rows)

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def _plain(row) -> list:
    """Database values as the tax_forms functions take them (ints stay ints, decimals Decimal)."""
    out = []
    for value in row:
        if isinstance(value, Decimal) and value == value.to_integral_value() and value.as_tuple().exponent >= 0:
            value = int(value)
        out.append(value)
    return out


@contextmanager
def open_warehouse(url: str):
    wh = Warehouse(url)
    try:
        yield wh
        wh.commit()
    finally:
        wh.close()


def restrict_schema(wh: Warehouse, schema: str = "restricted") -> None:
    """PostgreSQL: nobody but the owner reads the schema (DuckDB has no roles: the file's
    permissions are the boundary there)."""
    if wh.kind == "postgres":
        wh.execute(f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC")
        wh.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM PUBLIC")


def as_date(value) -> date:
    if isinstance(value, date):
        return value if type(value) is date else value.date()
    return date.fromisoformat(str(value)[:10])
