"""Section builders shared by the monthly and annual reports: rows of the marts in, `Section` out.

Pure: no I/O beyond drawing charts in memory. Amounts stay in their own currency; the only
cross-currency figures are the marts' `_reporting` amounts, all checked to be in the report's
reporting currency before they are added.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from reports import charts
from reports.layout import Chart, Money, Multiple, Percent, Section, Table, display
from reports.model import (
    CohortCell,
    ForecastData,
    NotAvailable,
    PayoutSummary,
    QualityCheck,
    ReportInputError,
    RevenueMonth,
    RiskRate,
    SubscriptionMonth,
    TopCreator,
)

REVENUE_COLUMNS = ["Currency", "Gross volume", "Refunds", "Disputes", "Stripe fees", "Application fees",
                   "Transfers to creators", "Other", "Platform net revenue"]


def _check_reporting(rows: Sequence, reporting_currency: str, what: str) -> None:
    for i, row in enumerate(rows):
        if row.reporting_currency != reporting_currency:
            raise ReportInputError(
                f"{type(row).__name__} row {i} ({what}).reporting_currency: {row.reporting_currency}, "
                f"but the report consolidates in {reporting_currency}")


def _month_label(month: date) -> str:
    return month.strftime("%Y-%m")


# ---------------------------------------------------------------- revenue

def _revenue_cells(currency: str, gross: int, refunds: int, disputes: int, fees: int, app_fees: int,
                   transfers: int, other: int, net: int) -> list:
    return [currency] + [Money(v, currency) for v in (gross, refunds, disputes, fees, app_fees, transfers, other, net)]


def _by_currency(rows: Sequence[RevenueMonth]) -> dict[str, list[int]]:
    """Sum each currency's own amounts (never across currencies)."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0] * 8)
    for r in rows:
        values = (r.gross_volume, r.refunds, r.dispute_losses + r.dispute_reversals, r.stripe_fees,
                  r.application_fees, r.transfers_to_creators, r.other_activity, r.platform_net_revenue)
        acc = totals[r.currency]
        for k, v in enumerate(values):
            acc[k] += v
    return totals


def _consolidated(rows: Sequence[RevenueMonth]) -> list[int]:
    acc = [0] * 8
    for r in rows:
        values = (r.gross_volume_reporting, r.refunds_reporting,
                  r.dispute_losses_reporting + r.dispute_reversals_reporting, r.stripe_fees_reporting,
                  r.application_fees_reporting, r.transfers_to_creators_reporting, r.other_activity_reporting,
                  r.platform_net_revenue_reporting)
        for k, v in enumerate(values):
            acc[k] += v
    return acc


def revenue_section(rows: list[RevenueMonth] | NotAvailable, months: Sequence[date], reporting_currency: str,
                    *, by_month_table: bool) -> Section:
    title = "Gross volume, refunds, disputes, fees and platform net revenue"
    if isinstance(rows, NotAvailable):
        return Section.not_available("revenue", title, rows.reason)
    _check_reporting(rows, reporting_currency, "revenue")
    period = [r for r in rows if r.revenue_month in set(months)]
    section = Section("revenue", title)
    section.notes.append(
        "By settlement currency, then consolidated in the reporting currency (each balance transaction "
        "converted once, as the marts do). Platform net revenue = gross volume + refunds + disputes + "
        "application fees + transfers to creators + other - Stripe fees.")
    if not period:
        section.notes.append(f"No balance activity in {', '.join(_month_label(m) for m in months)}.")
    table_rows = [_revenue_cells(c, *v) for c, v in sorted(_by_currency(period).items())]
    if period:
        table_rows.append([f"All currencies ({reporting_currency})"]
                          + [Money(v, reporting_currency) for v in _consolidated(period)])
    section.tables.append(Table("revenue_by_currency", "Revenue by currency" + (" (year totals)" if by_month_table else ""),
                                list(REVENUE_COLUMNS), table_rows, total_rows=1 if period else 0))
    counts = defaultdict(lambda: [0, 0])
    for r in period:
        counts[r.currency][0] += r.successful_payments
        counts[r.currency][1] += r.failed_payments
    if counts:
        section.tables.append(Table("payments_by_currency", "Payments", ["Currency", "Successful", "Failed"],
                                    [[c, s, f] for c, (s, f) in sorted(counts.items())]))
    if by_month_table:
        trend_months = sorted({r.revenue_month for r in rows if r.revenue_month <= max(months)})
        by_month = {m: _consolidated([r for r in rows if r.revenue_month == m]) for m in trend_months}
        month_rows = [[_month_label(m)] + [Money(v, reporting_currency) for v in by_month[m]]
                      for m in trend_months if m in set(months)]
        if month_rows:
            month_rows.append(["Year"] + [Money(v, reporting_currency) for v in _consolidated(period)])
        section.tables.insert(0, Table("revenue_by_month", f"Revenue by month ({reporting_currency}, consolidated)",
                                       ["Month"] + REVENUE_COLUMNS[1:], month_rows,
                                       total_rows=1 if month_rows else 0))
    return section


def revenue_trend_chart(rows: Sequence[RevenueMonth], until: date, reporting_currency: str) -> Chart | None:
    """Consolidated gross volume and net revenue of every supplied month up to `until`."""
    trend_months = sorted({r.revenue_month for r in rows if r.revenue_month <= until})
    if not trend_months:
        return None
    by_month = {m: _consolidated([r for r in rows if r.revenue_month == m]) for m in trend_months}
    return _chart("revenue_by_month", "Revenue by month (consolidated)",
                  charts.revenue_by_month(trend_months, [by_month[m][0] for m in trend_months],
                                          [by_month[m][7] for m in trend_months], reporting_currency))


def _chart(name: str, title: str, png: bytes) -> Chart:
    return Chart(name, title, png)


# ---------------------------------------------------------------- MRR

MOVEMENTS = (("new", "new_mrr_reporting", 1), ("expansion", "expansion_mrr_reporting", 1),
             ("reactivation", "reactivation_mrr_reporting", 1), ("contraction", "contraction_mrr_reporting", -1),
             ("churn", "churn_mrr_reporting", -1), ("fx", "fx_mrr_reporting", 1))


MOVEMENT_LABELS = {"new": "New", "expansion": "Expansion", "reactivation": "Reactivation",
                   "contraction": "Contraction", "churn": "Churn", "fx": "FX (exchange rate only)"}


def _movements(rows: Sequence[SubscriptionMonth]) -> list[tuple[str, int]]:
    return [(label, sign * sum(getattr(r, attr) for r in rows)) for label, attr, sign in MOVEMENTS]


def mrr_section(rows: list[SubscriptionMonth] | NotAvailable, months: Sequence[date], reporting_currency: str,
                *, by_month_table: bool) -> Section:
    title = "MRR and its movements; churn, NRR and quick ratio"
    if isinstance(rows, NotAvailable):
        return Section.not_available("mrr", title, rows.reason)
    _check_reporting(rows, reporting_currency, "subscriptions")
    period = sorted((r for r in rows if r.month in set(months)), key=lambda r: r.month)
    if not period:
        return Section.not_available("mrr", title, "no subscription metrics for "
                                     + ", ".join(_month_label(m) for m in months))
    cur = reporting_currency
    start, end = period[0].start_mrr_reporting, period[-1].mrr_reporting
    moves = _movements(period)
    section = Section("mrr", title)
    waterfall = [["MRR at start", Money(start, cur)]]
    waterfall += [[MOVEMENT_LABELS[label], Money(v, cur)] for label, v in moves]
    waterfall.append(["MRR at end", Money(end, cur)])
    section.tables.append(Table("mrr_waterfall", f"MRR movements ({cur})", ["Movement", "Amount"], waterfall,
                                total_rows=1))
    gap = start + sum(v for _, v in moves) - end
    if gap:
        section.notes.append(f"The movements do not reconcile with the MRR snapshots: start + movements - end = "
                             f"{gap} minor units of {cur}.")
    section.charts.append(_chart("mrr_waterfall", "MRR waterfall", charts.mrr_waterfall(start, moves, end, cur)))
    if by_month_table:
        section.tables.append(Table(
            "mrr_by_month", f"MRR and metrics by month ({cur})",
            ["Month", "MRR", "New", "Expansion", "Reactivation", "Contraction", "Churn", "FX",
             "Paying customers", "Customer churn", "Net MRR churn", "NRR", "Quick ratio"],
            [[_month_label(r.month), Money(r.mrr_reporting, cur)]
             + [Money(sign * getattr(r, attr), cur) for _, attr, sign in MOVEMENTS]
             + [r.paying_customers, Percent(r.customer_churn_rate), Percent(r.net_mrr_churn_rate),
                Percent(r.net_revenue_retention), Multiple(r.quick_ratio)] for r in period]))
    else:
        r = period[-1]
        section.tables.append(Table(
            "subscription_metrics", "Subscription metrics", ["Metric", "Value"],
            [["Paying customers", r.paying_customers], ["Customers at start", r.customers_at_start],
             ["New customers", r.new_customers], ["Churned customers", r.churned_customers],
             ["Reactivated customers", r.reactivated_customers],
             ["Customer churn rate", Percent(r.customer_churn_rate)],
             ["Gross MRR churn", Percent(r.gross_mrr_churn_rate)],
             ["Net MRR churn", Percent(r.net_mrr_churn_rate)],
             ["Net revenue retention (NRR)", Percent(r.net_revenue_retention)],
             ["Quick ratio", Multiple(r.quick_ratio)],
             ["ARR", Money(12 * r.mrr_reporting, cur)],
             ["ARPA", None if r.arpa_reporting is None else Money(r.arpa_reporting, cur)],
             ["LTV", None if r.ltv_reporting is None else Money(r.ltv_reporting, cur)]]))
    return section


# ---------------------------------------------------------------- cohorts

def cohort_section(cells: list[CohortCell] | NotAvailable, as_of: date, reporting_currency: str,
                   max_cohorts: int = 12) -> Section:
    title = "Cohort retention"
    if isinstance(cells, NotAvailable):
        return Section.not_available("cohorts", title, cells.reason)
    _check_reporting(cells, reporting_currency, "cohorts")
    cells = [c for c in cells if c.month <= as_of]
    cohorts = sorted({c.cohort_month for c in cells})[-max_cohorts:]
    if not cohorts:
        return Section.not_available("cohorts", title, f"no paying cohort up to {_month_label(as_of)}")
    chosen = [c for c in cells if c.cohort_month in set(cohorts)]
    max_age = max(c.months_since_first_paid for c in chosen)
    revenue = {(c.cohort_month, c.months_since_first_paid): c.revenue_retention for c in chosen}
    logo = {(c.cohort_month, c.months_since_first_paid): c.logo_retention for c in chosen}
    first = {c.cohort_month: c for c in chosen}
    section = Section("cohorts", title)
    section.notes.append("Cohorts by first paid month; revenue retention = cohort MRR / its new MRR, "
                         "logo retention = customers still paying / cohort customers.")
    ages = list(range(max_age + 1))
    for name, label, grid in (("cohort_revenue_retention", "Revenue retention", revenue),
                              ("cohort_logo_retention", "Logo retention", logo)):
        section.tables.append(Table(
            name, f"{label} by cohort (months since first paid month)",
            ["Cohort", "Customers", f"New MRR ({reporting_currency})"] + [f"M{a}" for a in ages],
            [[_month_label(k), first[k].cohort_customers, Money(first[k].cohort_new_mrr_reporting, reporting_currency)]
             + [Percent(grid[(k, a)]) if (k, a) in grid else "" for a in ages] for k in cohorts]))
    section.charts.append(_chart("cohort_heatmap", "Revenue retention heat map",
                                 charts.cohort_heatmap(cohorts, max_age, revenue)))
    return section


# ---------------------------------------------------------------- creators

def native_amounts(amounts: Sequence[tuple[str, int]]) -> str:
    """'1,234.00 EUR + 56.00 USD': a creator's gross in each currency, never added together."""
    return " + ".join(display(Money(v, c)) for c, v in amounts)


def top_creators_section(rows: list[TopCreator] | NotAvailable, reporting_currency: str, limit: int = 10) -> Section:
    title = "Top creators"
    if isinstance(rows, NotAvailable):
        return Section.not_available("top_creators", title, rows.reason)
    _check_reporting(rows, reporting_currency, "top creators")
    if not rows:
        return Section.not_available("top_creators", title, "no creator earned in the period")
    top = sorted(rows, key=lambda r: (-r.gross_volume_reporting, r.creator_account_id))[:limit]
    cur = reporting_currency
    section = Section("top_creators", title)
    section.tables.append(Table(
        "top_creators", f"Top {len(top)} creators by gross volume ({cur})",
        ["Rank", "Creator", "Account", "Tier", "Active subscribers", "Gross volume", "Commission", "Net earnings",
         "Gross volume (native)"],
        [[i + 1, r.creator_name, r.creator_account_id, r.tier, r.active_subscribers,
          Money(r.gross_volume_reporting, cur), Money(r.commission_reporting, cur),
          Money(r.net_earnings_reporting, cur), native_amounts(r.gross_volume_native)]
         for i, r in enumerate(top)]))
    if any(len(r.gross_volume_native) > 1 or any(c != cur for c, _ in r.gross_volume_native) for r in top):
        section.notes.append(f"Ranked by the {cur} equivalent of every settlement currency (each transaction's "
                             "own conversion); the native column shows what settled in each currency.")
    section.charts.append(_chart("top_creators", "Top creators",
                                 charts.top_creators_bar([r.creator_name for r in top],
                                                         [r.gross_volume_reporting for r in top], cur)))
    return section


# ---------------------------------------------------------------- payouts

MADE = frozenset({"paid"})
PENDING = frozenset({"pending", "in_transit"})


def payouts_section(rows: list[PayoutSummary] | NotAvailable) -> Section:
    title = "Payouts made and pending"
    if isinstance(rows, NotAvailable):
        return Section.not_available("payouts", title, rows.reason)
    if not rows:
        return Section.not_available("payouts", title, "no payout in the period")
    section = Section("payouts", title)
    section.tables.append(Table(
        "payouts_by_status", "Payouts by account, currency and status",
        ["Account", "Currency", "Status", "Payouts", "Amount"],
        [[r.balance_account, r.currency, r.status, r.payout_count, Money(r.amount, r.currency)]
         for r in sorted(rows, key=lambda r: (r.balance_account, r.currency, r.status))]))
    made: dict[str, int] = defaultdict(int)
    pending: dict[str, int] = defaultdict(int)
    for r in rows:
        if r.status in MADE:
            made[r.currency] += r.amount
        elif r.status in PENDING:
            pending[r.currency] += r.amount
    section.tables.append(Table(
        "payouts_made_pending", "Made (paid) and pending (pending or in transit), per currency",
        ["Currency", "Made", "Pending"],
        [[c, Money(made[c], c), Money(pending[c], c)] for c in sorted(set(made) | set(pending))]))
    return section


# ---------------------------------------------------------------- risk

def risk_section(by_month: dict[date, list[RiskRate]] | NotAvailable) -> Section:
    title = "Fraud and dispute rates against their thresholds"
    if isinstance(by_month, NotAvailable):
        return Section.not_available("risk", title, by_month.reason)
    months = sorted(by_month)
    if not any(by_month[m] for m in months):
        return Section.not_available("risk", title, "no fraud or dispute measure for the period")
    section = Section("risk", title)
    section.tables.append(Table(
        "risk_rates", "Rates and thresholds",
        ["Month", "Measure", "Count", "Out of", "Rate", "Threshold", "Minimum count", "Status"],
        [[_month_label(m), r.measure, r.numerator, r.denominator, Percent(r.rate), Percent(r.threshold),
          r.min_count, r.status] for m in months for r in by_month[m]]))
    last = by_month[months[-1]]
    if last:
        section.charts.append(_chart("risk_rates", "Rates against thresholds", charts.rates_vs_thresholds(
            [r.measure for r in last], [r.rate for r in last], [r.threshold for r in last],
            [r.status for r in last])))
    over = [f"{r.measure} ({_month_label(m)})" for m in months for r in by_month[m] if r.status == "over"]
    if over:
        section.notes.append("Over the line: " + ", ".join(over) + ".")
    return section


# ---------------------------------------------------------------- forecast

def forecast_section(data: ForecastData | NotAvailable) -> Section:
    title = "Forecast with intervals and its measured accuracy"
    if isinstance(data, NotAvailable):
        return Section.not_available("forecast", title, data.reason)
    cur = data.currency
    section = Section("forecast", title)
    section.notes.append(f"Series {data.series}, model {data.model}; intervals 80% and 95%.")
    if not data.points:
        section.notes.append("The model produced no forecast rows.")
    section.tables.append(Table(
        "forecast", f"Forecast ({cur})", ["Month", "Forecast", "80% low", "80% high", "95% low", "95% high"],
        [[_month_label(p.month), Money(p.point, cur), Money(p.lower_80, cur), Money(p.upper_80, cur),
          Money(p.lower_95, cur), Money(p.upper_95, cur)] for p in data.points]))
    if data.accuracy:
        section.tables.append(Table(
            "forecast_accuracy", "Measured accuracy (rolling-origin backtest)",
            ["Horizon (months)", "MASE", "MAPE", "80% coverage", "95% coverage", "Origins"],
            [[a.horizon, Multiple(a.mase), Percent(None if a.mape is None else a.mape / 100),
              Percent(a.coverage_80), Percent(a.coverage_95), a.n_origins] for a in data.accuracy]))
    else:
        section.notes.append("Accuracy not available: no backtest rows for the chosen model.")
    if data.history_months or data.points:
        section.charts.append(_chart("forecast", "Forecast", charts.forecast_chart(
            data.history_months, data.history_values, [p.month for p in data.points],
            [p.point for p in data.points], [p.lower_80 for p in data.points], [p.upper_80 for p in data.points],
            [p.lower_95 for p in data.points], [p.upper_95 for p in data.points], cur)))
    return section


# ---------------------------------------------------------------- data quality

def quality_section(checks: list[QualityCheck] | NotAvailable) -> Section:
    title = "Data quality"
    if isinstance(checks, NotAvailable):
        return Section.not_available("data_quality", title, checks.reason)
    if not checks:
        return Section.not_available("data_quality", title, "no check ran for the period")
    failed = [c for c in checks if not c.passed]
    blocking = [c for c in failed if c.blocking]
    section = Section("data_quality", title)
    status = "all checks passed" if not failed else (
        f"{len(failed)} check(s) failed" + (f", {len(blocking)} blocking" if blocking else ", none blocking"))
    section.notes.append(f"Status: {status} ({len(checks) - len(failed)} of {len(checks)} passed).")
    section.tables.append(Table(
        "data_quality", "Checks", ["Check", "Target", "Result", "Blocking", "Detail"],
        [[c.check, c.target, "pass" if c.passed else "FAIL", "blocking" if c.blocking else "warn", c.detail]
         for c in sorted(checks, key=lambda c: (c.passed, not c.blocking, c.target, c.check))]))
    return section


# ---------------------------------------------------------------- headlines

def headlines_section(data_revenue, data_subscriptions, data_payouts, data_risk, data_quality,
                      months: Sequence[date], reporting_currency: str) -> Section:
    """The figures a finance lead reads first, each taken from the same rows as its section below
    (a section without data shows 'n/a' here, never a zero)."""
    cur = reporting_currency
    wanted = set(months)
    rows: list[list] = []
    if isinstance(data_revenue, NotAvailable):
        rows += [["Gross volume (consolidated)", None], ["Platform net revenue (consolidated)", None]]
    else:
        totals = _consolidated([r for r in data_revenue if r.revenue_month in wanted])
        rows += [["Gross volume (consolidated)", Money(totals[0], cur)],
                 ["Platform net revenue (consolidated)", Money(totals[7], cur)]]
    period = [] if isinstance(data_subscriptions, NotAvailable) else sorted(
        (r for r in data_subscriptions if r.month in wanted), key=lambda r: r.month)
    last = period[-1] if period else None
    rows += [["MRR at the end of the period", last and Money(last.mrr_reporting, cur)],
             ["ARR", last and Money(12 * last.mrr_reporting, cur)],
             ["Net revenue retention (last month)", last and Percent(last.net_revenue_retention)],
             ["Quick ratio (last month)", last and Multiple(last.quick_ratio)]]
    if isinstance(data_payouts, NotAvailable):
        rows.append(["Payouts made", None])
    else:
        made: dict[str, int] = defaultdict(int)
        for p in data_payouts:
            if p.status in MADE:
                made[p.currency] += p.amount
        rows.append(["Payouts made", ", ".join(display(Money(v, c)) for c, v in sorted(made.items())) or "none"])
    if isinstance(data_risk, NotAvailable):
        rows.append(["Fraud and dispute programmes", None])
    else:
        risk_rows = [r for m in sorted(data_risk) for r in data_risk[m]]
        over = sum(r.status == "over" for r in risk_rows)
        near = sum(r.status == "near" for r in risk_rows)
        rows.append(["Fraud and dispute programmes",
                     f"{over} over the line, {near} near it, of {len(risk_rows)} measures"])
    if isinstance(data_quality, NotAvailable) or not data_quality:
        rows.append(["Data quality", None])
    else:
        failed = [c for c in data_quality if not c.passed]
        blocking = sum(c.blocking for c in failed)
        rows.append(["Data quality", "all checks passed" if not failed else
                     f"{len(failed)} failed ({blocking} blocking) of {len(data_quality)}"])
    section = Section("headlines", "Headlines")
    section.tables.append(Table("headlines", "The period at a glance", ["Figure", "Value"], rows))
    if not isinstance(data_revenue, NotAvailable):
        _check_reporting(data_revenue, reporting_currency, "revenue")
        trend = revenue_trend_chart(data_revenue, max(months), reporting_currency)
        if trend:
            section.charts.append(trend)
    return section
