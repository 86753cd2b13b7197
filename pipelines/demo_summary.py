"""The closing summary of `make demo`: what was built, the headline numbers, where things are."""
from __future__ import annotations

import os
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
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


def _pct(num: int, den: int) -> str:
    """An exact share as a percentage with three decimals (half-up)."""
    if not den:
        return "n/a"
    return f"{(Decimal(num) * 100 / Decimal(den)).quantize(Decimal('0.001'), ROUND_HALF_UP)}%"


def _forecast(reporting: str) -> list[str]:
    """Platform net revenue: the chosen model, its backtest MASE, next month's point and 80% band."""
    from pipelines.forecasting.inputs import PLATFORM_NET_REVENUE as name
    nxt = _query("select month, point, lower_80, upper_80, model from finance.revenue_forecast "
                 f"where series = '{name}' order by month limit 1")
    if not nxt:
        return ["not built (finance.revenue_forecast)"]
    month, point, low, high, model = nxt[0]
    mase = _query(f"select horizon, mase from finance.forecast_backtest where series = '{name}' "
                  f"and model = '{model}' order by horizon")
    scores = [(h, m) for h, m in mase or [] if m is not None]
    accuracy = "no backtest"
    if scores:
        mean = sum(m for _, m in scores) / len(scores)
        accuracy = f"MASE {scores[0][1]:.2f} one month ahead, {mean:.2f} over 1-{scores[-1][0]} months"
    return [f"platform net revenue, model {model}: {accuracy}",
            f"{month:%Y-%m}: {format_money(int(point), reporting)} "
            f"(80% interval {format_money(int(low), reporting)} to {format_money(int(high), reporting)})"]


def _fraud() -> list[str]:
    lines = []
    auc = _query("select value from finance.fraud_model_report where metric = 'auc'")
    rate = _query("select month, fraud, charges, goal from finance.platform_fraud_rate "
                  "where charges > 0 order by month desc limit 1")
    if auc is None and rate is None:
        return ["not built (finance.charge_fraud_scores)"]
    if auc and auc[0][0] is not None:
        lines.append(f"model test AUC {auc[0][0]:.3f}")
    if rate:
        month, fraud, charges, goal = rate[0]
        goal = Decimal("0.001") if goal is None else Decimal(str(goal))  # DESIGN: 0.1%
        verdict = "meets" if Decimal(int(fraud)) < goal * int(charges) else "misses"
        lines.append(f"platform fraud rate {month:%Y-%m}: {_pct(int(fraud), int(charges))} "
                     f"({int(fraud)} of {int(charges):,} charges; {verdict} the {(goal * 100).normalize()}% goal)")
    flagged = _query("select status, count(*) from finance.creator_risk "
                     "where month = (select max(month) from finance.creator_risk) and status <> 'ok' "
                     "group by status order by status")
    if flagged is not None:
        text = ", ".join(f"{n} {status}" for status, n in flagged) or "none"
        lines.append(f"creators flagged in the latest month: {text}")
    return lines


def _payouts() -> list[str]:
    day = _query("select max(plan_date) from finance.payout_plan_totals")
    if not day or day[0][0] is None:
        return ["no payout plan yet (finance.payout_plan)"]
    d = day[0][0]
    totals = _query("select currency, lines, amount from finance.payout_plan_totals "
                    f"where plan_date = date '{d:%Y-%m-%d}' order by amount desc, currency") or []
    lines_n = sum(int(n) for _, n, _ in totals)
    shown = ", ".join(format_money(int(a), c) for c, _, a in totals[:4])
    more = f" and {len(totals) - 4} more currencies" if len(totals) > 4 else ""
    out = [f"plan {d:%Y-%m-%d}: {lines_n} payouts in {len(totals)} currencies: {shown or 'nothing to pay'}{more}"]
    holds = _query("select reason, count(*) from finance.payout_plan_exclusions "
                   f"where plan_date = date '{d:%Y-%m-%d}' group by reason order by count(*) desc, reason")
    if holds:
        out.append("held: " + ", ".join(f"{n} {reason}" for reason, n in holds))
    return out


def _tax_files(output_dir: Path) -> list[str]:
    root = output_dir / "tax"
    if not root.is_dir():
        return ["none written yet"]
    out = []
    for period in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(p.name for p in period.rglob("*") if p.is_file())
        if files:
            names = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
            out.append(f"{period.name}: {names}")
    return out or ["none written yet"]


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
    for title, lines in (("Forecast", _forecast(settings.reporting_currency)), ("Fraud", _fraud()),
                         ("Payouts", _payouts()), ("Tax files", _tax_files(settings.output_dir))):
        print(f"\n{title}:")
        for line in lines:
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
