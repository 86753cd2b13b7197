"""The closing summary of `make demo`: what was built, the headline numbers, where things are."""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from pipelines.catalog import OBJECT_TYPES
from pipelines.money import format_money
from pipelines.settings import load_settings
from pipelines.warehouse.url import parse_warehouse_url


def _query(sql: str) -> list[tuple] | None:
    """Read-only query of the warehouse; None when the table is not there (yet)."""
    target = parse_warehouse_url(load_settings().warehouse_url)
    try:
        if target.kind == "duckdb":
            import duckdb

            with duckdb.connect(str(target.path), read_only=True) as conn:
                return conn.execute(sql).fetchall()
        import psycopg2

        conn = psycopg2.connect(host=target.host, port=target.port, user=target.user,
                                password=target.password, dbname=target.dbname)
        try:
            cur = conn.cursor()
            cur.execute(sql)
            return cur.fetchall()
        finally:
            conn.close()
    except Exception:  # noqa: BLE001 - a missing mart is reported as "not built", not a crash
        return None


def _raw_counts() -> list[tuple[str, int | None]]:
    rows = []
    for t in OBJECT_TYPES:
        got = _query(f"select count(*) from raw_stripe.{t.table}")
        rows.append((t.table, got[0][0] if got else None))
    return rows


def _headlines(reporting: str) -> list[str]:
    lines = []
    month = _query(
        "select max(month) from marts.fct_mrr"
    )
    if month and month[0][0]:
        m = month[0][0]
        mrr = _query(f"select sum(mrr_reporting) from marts.fct_mrr where month = '{m}'")
        if mrr and mrr[0][0] is not None:
            lines.append(f"MRR at the end of {m:%Y-%m}: {format_money(int(mrr[0][0]), reporting)}")
    rev = _query(
        "select revenue_month, sum(gross_volume_reporting), sum(platform_net_revenue_reporting) "
        "from marts.fct_revenue_monthly group by revenue_month order by revenue_month desc limit 1"
    )
    for m, gross, net in rev or []:
        if gross is not None:
            lines.append(f"{m:%Y-%m}: gross volume {format_money(int(gross), reporting)}, "
                         f"platform net revenue {format_money(int(net or 0), reporting)}")
    return lines


def _files(output_dir: Path) -> list[str]:
    if not output_dir.exists():
        return []
    found = []
    for folder in sorted(p for p in output_dir.iterdir() if p.is_dir()):
        files = [p for p in folder.rglob("*") if p.is_file()]
        if files:
            found.append(f"{folder}/  ({len(files)} files)")
    return found


def print_summary(*, clock: datetime, elapsed_s: float) -> None:
    settings = load_settings()
    target = parse_warehouse_url(settings.warehouse_url)
    print(f"\nStripe objects landed in raw_stripe (world clock {clock:%Y-%m-%d}):")
    counts = _raw_counts()
    for table, count in counts:
        print(f"  {table:28} {('—' if count is None else f'{count:,}'):>10}")
    total = sum(c for _, c in counts if c)
    print(f"  {'total':28} {total:>10,}")
    headlines = _headlines(settings.reporting_currency)
    if headlines:
        print("\nHeadlines:")
        for line in headlines:
            print(f"  {line}")
    files = _files(settings.output_dir)
    if files:
        print("\nFiles written:")
        for line in files:
            print(f"  {line}")
    where = target.path if target.kind == "duckdb" else repr(target)
    print(f"\nWarehouse: {where}")
    if target.kind == "duckdb":
        print("  query it: .venv/bin/python -c \"import duckdb; "
              f"print(duckdb.connect('{where}', read_only=True).sql('select * from marts.fct_revenue_monthly limit 5'))\"")
    print("Dagster UI: make ui, then open http://127.0.0.1:3000 (asset groups stripe_raw, dbt_*, "
          "finance, tax, reports; runs of this demo are in its history)")
    print(f"Done in {elapsed_s / 60:.1f} min. DAGSTER_HOME={os.environ.get('DAGSTER_HOME')}")
