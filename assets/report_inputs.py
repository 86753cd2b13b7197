"""What the reports read: the marts (and finance tables) as the report dataclasses of
`reports.model`. One function per section; a section whose table does not exist yet comes back
as `NotAvailable(reason)` so the report says so instead of printing a zero.

SQL here runs unchanged on DuckDB and PostgreSQL (dates as `date 'YYYY-MM-DD'` literals built
from `date` objects, never from user text). Money stays integer minor units end to end.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pipelines.warehouse.url import parse_warehouse_url
from reports.model import (CohortCell, CreatorStatementData, ForecastAccuracy, ForecastData, ForecastPoint,
                           NotAvailable, PayoutSummary, QualityCheck, RevenueMonth, RiskRate, StatementLine,
                           SubscriptionMonth, TopCreator, payout_summaries, rows_from)
from reports.statements import statement_totals

MARTS = "marts"
FINANCE = "finance"
STATEMENTS_MART = "fct_creator_statements_monthly"
MADE_STATUSES = ("paid", "pending", "in_transit")  # failed and canceled payouts moved no money


class MartReader:
    """Read-only rows (as dicts) from the warehouse that `WAREHOUSE_URL` names."""

    def __init__(self, warehouse_url: str):
        self.target = parse_warehouse_url(warehouse_url)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        if self.target.kind == "duckdb":
            import duckdb
            with duckdb.connect(str(self.target.path), read_only=True) as conn:
                cur = conn.execute(sql)
                names = [d[0] for d in cur.description]
                return [dict(zip(names, r)) for r in cur.fetchall()]
        import psycopg2
        t = self.target
        conn = psycopg2.connect(host=t.host, port=t.port, user=t.user, password=t.password, dbname=t.dbname)
        try:
            cur = conn.cursor()
            cur.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r)) for r in cur.fetchall()]
        finally:
            conn.close()

    def has_table(self, schema: str, name: str) -> bool:
        if self.target.kind == "duckdb" and not Path(self.target.path).exists():
            return False
        return bool(self.rows(
            "select 1 as found from information_schema.tables "
            f"where table_schema = '{_ident(schema)}' and table_name = '{_ident(name)}'"))

    def describe(self) -> str:
        """The source line of a report (no password: WarehouseTarget's repr masks it)."""
        return repr(self.target)


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def _d(day: date) -> str:
    return f"date '{day:%Y-%m-%d}'"


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _missing(reader: MartReader, schema: str, name: str) -> NotAvailable | None:
    if reader.has_table(schema, name):
        return None
    return NotAvailable(f"{schema}.{name} is not built yet")


# ------------------------------------------------------------------ report sections


def revenue(reader: MartReader, first: date, last: date) -> list[RevenueMonth] | NotAvailable:
    """fct_revenue_monthly rows for the months [first, last] (all settlement currencies)."""
    if na := _missing(reader, MARTS, "fct_revenue_monthly"):
        return na
    return rows_from(RevenueMonth, reader.rows(
        f"select * from {MARTS}.fct_revenue_monthly where revenue_month between {_d(first)} and {_d(last)} "
        "order by revenue_month, currency"))


def subscriptions(reader: MartReader, first: date, last: date) -> list[SubscriptionMonth] | NotAvailable:
    if na := _missing(reader, MARTS, "subscription_metrics_monthly"):
        return na
    return rows_from(SubscriptionMonth, reader.rows(
        f"select * from {MARTS}.subscription_metrics_monthly where month between {_d(first)} and {_d(last)} "
        "order by month"))


def cohorts(reader: MartReader, last: date) -> list[CohortCell] | NotAvailable:
    if na := _missing(reader, MARTS, "cohort_retention"):
        return na
    return rows_from(CohortCell, reader.rows(
        f"select * from {MARTS}.cohort_retention where month <= {_d(last)} "
        f"and cohort_month >= {_d(add_months(last, -11))} order by cohort_month, month"))


@dataclass
class TopCreators:
    rows: list[TopCreator] | NotAvailable
    notes: list[str] = field(default_factory=list)


def top_creators(reader: MartReader, first: date, last: date, reporting_currency: str) -> TopCreators:
    """Creators' earnings over [first, last], ranked by the reporting-currency equivalent of every
    settlement currency (the earnings mart's `_reporting` columns: each balance transaction's own
    conversion), with the gross in each native currency beside it. Creator-months whose
    conversion is missing (no rate yet) are left out of the ranking and counted in a note."""
    for name in ("fct_creator_earnings_monthly", "dim_creators"):
        if na := _missing(reader, MARTS, name):
            return TopCreators(na)
    cur = _ident(reporting_currency)
    has_tiers = reader.has_table(MARTS, "dim_creator_tiers_monthly")
    tiers_join = (f"left join {MARTS}.dim_creator_tiers_monthly t on t.creator_account_id = e.creator_account_id "
                  f"and t.month = {_d(last)}") if has_tiers else ""
    subscribers = "coalesce(t.active_subscribers_at_start, 0)" if has_tiers else "0"
    period = (f"month between {_d(first)} and {_d(last)} and reporting_currency = '{cur}' "
              "and net_earnings_reporting is not null")
    rows = reader.rows(f"""
        with e as (
            select creator_account_id, sum(gross_volume_reporting) as gross_volume_reporting,
                   sum(commission_reporting) as commission_reporting,
                   sum(net_earnings_reporting) as net_earnings_reporting, max(month) as last_month
            from {MARTS}.fct_creator_earnings_monthly
            where {period}
            group by creator_account_id
        ),
        tier as (
            select creator_account_id, month, max(commission_tier) as commission_tier
            from {MARTS}.fct_creator_earnings_monthly
            where {period}
            group by creator_account_id, month
        )
        select e.creator_account_id, coalesce(d.business_name, e.creator_account_id) as creator_name,
               coalesce(tier.commission_tier, 'standard') as tier, '{cur}' as reporting_currency,
               e.gross_volume_reporting, e.commission_reporting, e.net_earnings_reporting,
               {subscribers} as active_subscribers
        from e
        left join {MARTS}.dim_creators d on d.creator_account_id = e.creator_account_id
        left join tier on tier.creator_account_id = e.creator_account_id and tier.month = e.last_month
        {tiers_join}
        order by e.gross_volume_reporting desc, e.creator_account_id""")
    native: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in reader.rows(f"""
            select creator_account_id, currency, sum(gross_volume) as gross_volume
            from {MARTS}.fct_creator_earnings_monthly where {period}
            group by creator_account_id, currency order by creator_account_id, currency"""):
        native[r["creator_account_id"]].append((r["currency"], int(r["gross_volume"])))
    for r in rows:
        r["gross_volume_native"] = tuple(native.get(r["creator_account_id"], ()))
    missing = reader.rows(f"""
        select currency, count(*) as n from {MARTS}.fct_creator_earnings_monthly
        where month between {_d(first)} and {_d(last)}
          and (net_earnings_reporting is null or reporting_currency <> '{cur}')
        group by currency order by currency""")
    notes = [f"{r['n']} creator-month row(s) in {r['currency']} have no {cur} conversion yet and are not ranked"
             for r in missing]
    return TopCreators(rows_from(TopCreator, rows), notes)


def payouts(reader: MartReader, first: date, last: date) -> list[PayoutSummary] | NotAvailable:
    """Payouts created in [first, month after last): the platform's own (distinct payouts of the
    reconciliation mart) and the creators' (fct_creator_payouts), grouped by currency and status."""
    end = add_months(last, 1)
    single: list[dict] = []
    found = False
    if reader.has_table(MARTS, "fct_payout_reconciliation_itemized"):
        found = True
        single += reader.rows(f"""
            select distinct payout_id, 'platform' as balance_account, currency, payout_status as status,
                   payout_amount as amount
            from {MARTS}.fct_payout_reconciliation_itemized
            where balance_account = 'platform'
              and payout_created_at >= {_d(first)} and payout_created_at < {_d(end)}""")
    if reader.has_table(MARTS, "fct_creator_payouts"):
        found = True
        single += reader.rows(f"""
            select payout_id, creator_account_id, currency, status, amount
            from {MARTS}.fct_creator_payouts
            where created_at >= {_d(first)} and created_at < {_d(end)}""")
    if not found:
        return NotAvailable("the payout marts are not built yet")
    return payout_summaries(single)


def risk(reader: MartReader, month: date) -> list[RiskRate] | NotAvailable:
    """The platform fraud rate of the month against its goal (finance.platform_fraud_rate)."""
    if na := _missing(reader, FINANCE, "platform_fraud_rate"):
        return na
    rows = reader.rows(f"select * from {FINANCE}.platform_fraud_rate where month = {_d(month)}")
    out = []
    for r in rows:
        status = "ok" if r.get("meets_goal") else ("over" if r.get("meets_goal") is False else "")
        out.append(RiskRate("Platform fraud rate", int(r["fraud"]), int(r["charges"]), r.get("fraud_rate"),
                            r.get("goal"), status))
    return out


def forecast(reader: MartReader, reporting_currency: str) -> ForecastData | NotAvailable:
    """The platform net revenue forecast (`platform_net_revenue`, in the reporting currency by
    construction; else a series whose name carries the currency code), with the chosen model's
    backtest; the history is the series' own months before the first forecast month."""
    from pipelines.forecasting.inputs import PLATFORM_NET_REVENUE

    for name in ("revenue_forecast", "forecast_backtest"):
        if na := _missing(reader, FINANCE, name):
            return na
    series = [r["series"] for r in reader.rows(f"select distinct series from {FINANCE}.revenue_forecast order by series")]
    mine = [s for s in series if s == PLATFORM_NET_REVENUE] or \
        [s for s in series if reporting_currency.lower() in s.lower()]
    if not mine:
        return NotAvailable(f"no forecast series in {reporting_currency}")
    name = mine[0]
    points = reader.rows(f"select * from {FINANCE}.revenue_forecast where series = '{_quote(name)}' order by month")
    if not points:
        return NotAvailable(f"forecast {name} has no points")
    model = points[0]["model"]
    accuracy = reader.rows(f"select * from {FINANCE}.forecast_backtest where series = '{_quote(name)}' "
                           f"and model = '{_quote(model)}' order by horizon")
    history: list[dict[str, Any]] = []
    first = _as_day(points[0]["month"])
    if name == PLATFORM_NET_REVENUE and reader.has_table(MARTS, "fct_revenue_monthly"):
        history = reader.rows(f"""
            select revenue_month as month, sum(platform_net_revenue_reporting) as value
            from {MARTS}.fct_revenue_monthly
            where revenue_month >= {_d(add_months(first, -12))} and revenue_month < {_d(first)}
            group by revenue_month order by revenue_month""")
        history = [h for h in history if h["value"] is not None]
    return ForecastData(series=name, model=model, currency=reporting_currency,
                        history_months=tuple(_as_day(h["month"]) for h in history),
                        history_values=tuple(int(h["value"]) for h in history),
                        points=tuple(rows_from(ForecastPoint, points)),
                        accuracy=tuple(rows_from(ForecastAccuracy, accuracy)))


def _as_day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _quote(text: str) -> str:
    return text.replace("'", "''")


def data_quality(run_results: Path) -> list[QualityCheck] | NotAvailable:
    """dbt's test results of the last build (target/run_results.json): one check per test;
    error-severity tests block what depends on them, warn-severity ones do not."""
    if not run_results.exists():
        return NotAvailable("no dbt build results yet")
    results = json.loads(run_results.read_text())
    checks = []
    for r in results.get("results", []):
        uid = r.get("unique_id", "")
        if not (uid.startswith("test.") or uid.startswith("unit_test.")):
            continue
        parts = uid.split(".")
        status = r.get("status")
        checks.append(QualityCheck(check=parts[-2] if uid.startswith("test.") else parts[-1],
                                   target="dbt", passed=status in ("pass", "success"),
                                   blocking=status != "warn",
                                   detail=f"{status}" + (f": {r['failures']} failing rows" if r.get("failures") else "")))
    return checks or NotAvailable("the last dbt build ran no tests")


# ------------------------------------------------------------------ creator statements


@dataclass
class Statements:
    statements: list[CreatorStatementData] | NotAvailable
    notes: list[str] = field(default_factory=list)


def creator_statements(reader: MartReader, month: date) -> Statements:
    """One statement per creator and balance currency for `month`, from
    fct_creator_statements_monthly: the creator's own Stripe account, so the previous balance is
    the account's balance when the month began, payouts are what went to the bank, and the
    balance carried forward is the account's balance at the month's end (to the minor unit, and
    the previous balance of the next month). Signed mart amounts become the magnitudes the
    statement shows; what goes the other way (a dispute won back, a failed payout returned) is an
    itemised adjustment, so net and the carried balance still equal the mart's."""
    for name in (STATEMENTS_MART, "dim_creators"):
        if na := _missing(reader, MARTS, name):
            return Statements(na)
    has_tiers = reader.has_table(MARTS, "dim_creator_tiers_monthly")
    subscribers = "coalesce(t.active_subscribers_at_start, 0)" if has_tiers else "0"
    tiers_join = (f"left join {MARTS}.dim_creator_tiers_monthly t on t.creator_account_id = e.creator_account_id "
                  "and t.month = e.month") if has_tiers else ""
    rows = reader.rows(f"""
        select e.*, coalesce(d.business_name, e.creator_account_id) as creator_name,
               e.opening_balance as previous_balance, {subscribers} as active_subscribers
        from {MARTS}.{STATEMENTS_MART} e
        left join {MARTS}.dim_creators d on d.creator_account_id = e.creator_account_id
        {tiers_join}
        where e.month = {_d(month)}
        order by e.creator_account_id, e.currency""")
    per_creator: dict[str, int] = defaultdict(int)
    for r in rows:
        per_creator[r["creator_account_id"]] += 1
    notes = [f"{acct} has a balance in {n} currencies: one statement each" for acct, n in per_creator.items() if n > 1]
    statements = [statement_from_row(r, month, multi=per_creator[r["creator_account_id"]] > 1) for r in rows]
    for s in statements:
        if s.closing_balance is not None and statement_totals(s).balance_carried_forward != s.closing_balance:
            notes.append(f"{s.creator_account_id}: carried balance differs from the account's balance "
                         f"{s.closing_balance} {s.currency}")
    return Statements(statements, notes)


def statement_from_row(r: dict[str, Any], month: date, *, multi: bool = False) -> CreatorStatementData:
    """One statements-mart row (plus creator_name, previous_balance, active_subscribers) as a
    statement: refunds, disputes and fees become positive deductions, payouts a positive amount;
    the parts that go the other way are itemised adjustments."""
    disputes = int(r["disputes"])
    refunds = int(r["refunds"])
    fees = int(r["processing_fees"])
    payouts = int(r["payouts"])
    bonuses = int(r["bonuses"])
    lines = []
    if disputes > 0:
        lines.append(StatementLine(month, disputes, "Disputes won back exceeding losses, credited"))
    if refunds > 0:
        lines.append(StatementLine(month, refunds, "Failed refunds exceeding refunds, credited"))
    if fees < 0:
        lines.append(StatementLine(month, -fees, "Processing fees returned, credited"))
    if payouts < 0:
        lines.append(StatementLine(month, -payouts, "Failed payouts returned to the balance"))
    if bonuses < 0:
        lines.append(StatementLine(month, bonuses, "Bonuses reversed"))
    other = int(r.get("adjustments") or 0)
    if other:
        lines.append(StatementLine(month, other, "Other balance adjustments"))
    adjustments = (other + max(disputes, 0) + max(refunds, 0) + max(-fees, 0) + max(-payouts, 0)
                   + min(bonuses, 0))
    account = r["creator_account_id"]
    closing = r.get("closing_balance")
    return CreatorStatementData(
        creator_account_id=f"{account}_{r['currency']}" if multi else account,
        creator_name=r["creator_name"] or account,
        tier=r["commission_tier"],
        month=month,
        currency=r["currency"],
        commission_rate=r["commission_rate"],
        previous_balance=int(r["previous_balance"]),
        gross=int(r["gross_volume"]),
        refunds=max(-refunds, 0),
        disputes=max(-disputes, 0),
        fees=max(fees, 0),
        commission=int(r["commission"]),
        bonuses=max(bonuses, 0),
        payouts=max(payouts, 0),
        adjustments=adjustments,
        closing_balance=None if closing is None else int(closing),
        active_subscribers=int(r["active_subscribers"]),
        lines=tuple(lines),
    )
