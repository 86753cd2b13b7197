"""What finance reads (issue 8 items 1, 2, 5, 6): the monthly and annual financial reports and
the monthly creator statements, built from the marts by the pure builders in `reports/`.

Each asset reads its rows through `assets.report_inputs` (the marts, via WAREHOUSE_URL), calls a
builder, and attaches what a finance lead wants to see in the UI without opening a file: the
headline figures, a markdown preview, the chart, and links to the HTML/PDF/CSV files written
under `$CASHBOOK_OUTPUT_DIR`:
  reports/<YYYY-MM>/monthly_report_<YYYY-MM>.{html,pdf} + _tables.zip + chart PNGs
  reports/<YYYY>/annual_report_<YYYY>.*
  statements/<YYYY-MM>/statement_<acct>_<YYYY-MM>.{pdf,csv}
"""

import base64
import os
from datetime import date, datetime, timezone
from pathlib import Path

import dagster as dg

from assets import report_inputs as inputs
from pipelines.settings import PROJECT_ROOT, load_settings
from reports.annual import annual_report, build_annual_report
from reports.layout import Money, Report, Table, display
from reports.model import AnnualReportData, MonthlyReportData, NotAvailable
from reports.monthly import build_monthly_report, monthly_report
from reports.statements import build_creator_statements, statement_totals

GROUP = "reports"
OWNERS = ["team:finance"]
MONTHLY = dg.MonthlyPartitionsDefinition(start_date="2024-01", fmt="%Y-%m")
# end_offset=1: the current year is a partition too (a year-to-date annual report on demand)
ANNUAL = dg.TimeWindowPartitionsDefinition(cron_schedule="0 0 1 1 *", fmt="%Y", start="2024", end_offset=1)
TREND_MONTHS = 12


def dbt_run_results() -> Path:
    """The newest dbt run_results.json that holds test results: under DBT_TARGET_PATH when set
    (dbt's own variable), else dbt_project/target (dagster-dbt writes one sub-folder per run)."""
    target = Path(os.environ.get("DBT_TARGET_PATH") or PROJECT_ROOT / "dbt_project" / "target")
    candidates = sorted(target.rglob("run_results.json"), key=lambda p: p.stat().st_mtime, reverse=True) \
        if target.is_dir() else []
    for path in candidates:
        if '"unique_id": "test.' in path.read_text() or '"unique_id":"test.' in path.read_text():
            return path
    return target / "run_results.json"


def _mart(name: str) -> dg.AssetKey:
    return dg.AssetKey(["marts", name])


REPORT_DEPS = [_mart(n) for n in (
    "fct_revenue_monthly", "subscription_metrics_monthly", "cohort_retention", "fct_creator_earnings_monthly",
    "dim_creators", "dim_creator_tiers_monthly", "fct_payout_reconciliation_itemized", "fct_creator_payouts")]
STATEMENT_DEPS = [_mart(n) for n in ("fct_creator_statements_monthly", "dim_creators", "dim_creator_tiers_monthly")]


def month_of(partition_key: str) -> date:
    return datetime.strptime(partition_key, "%Y-%m").date()


def output_dir() -> Path:
    return load_settings().output_dir


# ------------------------------------------------------------------ gathering (no Dagster)


def gather_monthly(reader: inputs.MartReader, month: date, reporting_currency: str,
                   run_results: Path | None = None, generated_at: datetime | None = None
                   ) -> tuple[MonthlyReportData, list[str]]:
    """The month's report input from the marts, and notes on what was left out."""
    first = inputs.add_months(month, -(TREND_MONTHS - 1))
    top = inputs.top_creators(reader, month, month, reporting_currency)
    data = MonthlyReportData(
        month=month, reporting_currency=reporting_currency,
        generated_at=generated_at or datetime.now(timezone.utc),
        revenue=inputs.revenue(reader, first, month),
        subscriptions=inputs.subscriptions(reader, first, month),
        cohorts=inputs.cohorts(reader, month),
        top_creators=top.rows,
        payouts=inputs.payouts(reader, month, month),
        risk=inputs.risk(reader, month),
        forecast=inputs.forecast(reader, reporting_currency),
        data_quality=inputs.data_quality(run_results or dbt_run_results()),
        source=f"marts of {reader.describe()}",
    )
    return data, top.notes


def gather_annual(reader: inputs.MartReader, year: int, reporting_currency: str,
                  run_results: Path | None = None, generated_at: datetime | None = None
                  ) -> tuple[AnnualReportData, list[str]]:
    first, last = date(year, 1, 1), date(year, 12, 1)
    top = inputs.top_creators(reader, first, last, reporting_currency)
    risk_by_month: dict | NotAvailable = {}
    for m in range(1, 13):
        rows = inputs.risk(reader, date(year, m, 1))
        if isinstance(rows, NotAvailable):
            risk_by_month = rows
            break
        if rows:
            risk_by_month[date(year, m, 1)] = rows
    data = AnnualReportData(
        year=year, reporting_currency=reporting_currency,
        generated_at=generated_at or datetime.now(timezone.utc),
        revenue=inputs.revenue(reader, first, last),
        subscriptions=inputs.subscriptions(reader, first, last),
        cohorts=inputs.cohorts(reader, last),
        top_creators=top.rows,
        payouts=inputs.payouts(reader, first, last),
        risk_by_month=risk_by_month,
        forecast=inputs.forecast(reader, reporting_currency),
        data_quality=inputs.data_quality(run_results or dbt_run_results()),
        source=f"marts of {reader.describe()}",
    )
    return data, top.notes


# ------------------------------------------------------------------ metadata for the UI


def markdown_table(table: Table, limit: int = 15) -> str:
    def cell(c) -> str:
        return display(c).replace("|", "\\|")
    lines = [f"**{table.title}**", "", "| " + " | ".join(table.columns) + " |",
             "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in table.rows[:limit]]
    if len(table.rows) > limit:
        lines.append(f"\n… {len(table.rows) - limit} more rows in the CSV pack")
    return "\n".join(lines)


def headline_figures(report: Report) -> dict[str, str]:
    """The headlines section as label -> displayed value ('n/a' where a section is missing)."""
    headlines = next(s for s in report.sections if s.key == "headlines")
    return {str(row[0]): display(row[1]) for t in headlines.tables for row in t.rows}


def _section_table(report: Report, key: str) -> Table | None:
    for s in report.sections:
        if s.key == key and s.tables:
            return s.tables[0]
    return None


def report_metadata(report: Report, paths: list[Path], notes: list[str]) -> dict[str, dg.MetadataValue]:
    headlines = headline_figures(report)
    preview = [markdown_table(t) for t in (_section_table(report, "headlines"), _section_table(report, "revenue")) if t]
    unavailable = [f"- {s.title}: not available ({s.unavailable})" for s in report.sections if s.unavailable]
    if unavailable:
        preview.append("**Sections not available**\n\n" + "\n".join(unavailable))
    meta: dict[str, dg.MetadataValue] = {
        f"headline: {label}": dg.MetadataValue.text(value) for label, value in headlines.items()}
    meta["preview"] = dg.MetadataValue.md("\n\n".join(preview))
    charts = report.charts()
    if charts:
        png = base64.b64encode(charts[0].png).decode()
        meta["chart"] = dg.MetadataValue.md(f"**{charts[0].title}**\n\n![{charts[0].title}](data:image/png;base64,{png})")
    by_suffix = {p.suffix: p for p in paths}
    for label, suffix in (("html", ".html"), ("pdf", ".pdf"), ("csv_pack", ".zip")):
        if suffix in by_suffix:
            meta[label] = dg.MetadataValue.path(str(by_suffix[suffix]))
    meta["charts"] = dg.MetadataValue.json([str(p) for p in paths if p.suffix == ".png"])
    meta["folder"] = dg.MetadataValue.path(str(paths[0].parent))
    meta["sections_not_available"] = dg.MetadataValue.int(len(unavailable))
    if notes:
        meta["notes"] = dg.MetadataValue.md("\n".join(f"- {n}" for n in notes))
    return meta


# ------------------------------------------------------------------ the assets


@dg.asset(
    key=["reports", "monthly_report"], group_name=GROUP, partitions_def=MONTHLY, deps=REPORT_DEPS,
    kinds={"python", "pdf", "html", "csv"}, owners=OWNERS,
    description="The monthly financial report (HTML, PDF, CSV pack): revenue by currency and consolidated, MRR "
                "and its movements, churn/NRR/quick ratio, cohorts, top creators, payouts, fraud and disputes, "
                "the forecast and the month's data quality. Every figure comes from the marts.",
)
def monthly_report_asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    month = month_of(context.partition_key)
    reader = inputs.MartReader(settings.warehouse_url)
    data, notes = gather_monthly(reader, month, settings.reporting_currency)
    folder = settings.output_dir / "reports" / f"{month:%Y-%m}"
    paths = build_monthly_report(data, folder)
    report = monthly_report(data)
    context.log.info("monthly report %s written to %s", context.partition_key, folder)
    return dg.MaterializeResult(metadata=report_metadata(report, paths, notes))


@dg.asset(
    key=["reports", "annual_report"], group_name=GROUP, partitions_def=ANNUAL, deps=REPORT_DEPS,
    kinds={"python", "pdf", "html", "csv"}, owners=OWNERS,
    description="The annual financial report: the monthly sections month by month for the year, with year totals.",
)
def annual_report_asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    year = int(context.partition_key)
    reader = inputs.MartReader(settings.warehouse_url)
    data, notes = gather_annual(reader, year, settings.reporting_currency)
    folder = settings.output_dir / "reports" / f"{year}"
    paths = build_annual_report(data, folder)
    return dg.MaterializeResult(metadata=report_metadata(annual_report(data), paths, notes))


def statements_preview(statements, limit: int = 20) -> str:
    lines = ["| Creator | Currency | Gross | Commission | Net | Carried forward |", "|---|---|---|---|---|---|"]
    for s in statements[:limit]:
        t = statement_totals(s)
        lines.append(f"| {s.creator_name} ({s.creator_account_id}) | {s.currency} | {display(Money(s.gross, s.currency))} "
                     f"| {display(Money(s.commission, s.currency))} | {display(Money(t.net, s.currency))} "
                     f"| {display(Money(t.balance_carried_forward, s.currency))} |")
    if len(statements) > limit:
        lines.append(f"\n… {len(statements) - limit} more statements in the folder")
    return "\n".join(lines)


@dg.asset(
    key=["reports", "creator_statements"], group_name=GROUP, partitions_def=MONTHLY, deps=STATEMENT_DEPS,
    kinds={"python", "pdf", "csv"}, owners=OWNERS,
    description="One statement per creator for the month (PDF and CSV): gross, refunds, disputes, fees, "
                "commission at their tier, bonuses, net, payouts to the bank and the balance carried forward, "
                "in the currency of the creator's Stripe balance (which the carried balance equals).",
)
def creator_statements_asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    month = month_of(context.partition_key)
    reader = inputs.MartReader(settings.warehouse_url)
    found = inputs.creator_statements(reader, month)
    folder = settings.output_dir / "statements" / f"{month:%Y-%m}"
    if isinstance(found.statements, NotAvailable):
        return dg.MaterializeResult(metadata={
            "statements": dg.MetadataValue.int(0),
            "not_available": dg.MetadataValue.text(found.statements.reason)})
    generated_at = datetime.now(timezone.utc)
    statements = [s.__class__(**{**s.__dict__, "generated_at": generated_at}) for s in found.statements]
    paths = build_creator_statements(statements, folder)
    totals: dict[str, int] = {}
    for s in statements:
        totals[s.currency] = totals.get(s.currency, 0) + statement_totals(s).net
    meta = {
        "statements": dg.MetadataValue.int(len(statements)),
        "files": dg.MetadataValue.int(len(paths)),
        "folder": dg.MetadataValue.path(str(folder)),
        "net earnings by currency": dg.MetadataValue.text(
            ", ".join(display(Money(v, c)) for c, v in sorted(totals.items())) or "none"),
        "preview": dg.MetadataValue.md(statements_preview(statements)),
    }
    if found.notes:
        meta["notes"] = dg.MetadataValue.md("\n".join(f"- {n}" for n in found.notes))
    return dg.MaterializeResult(metadata=meta)


defs = dg.Definitions(assets=[monthly_report_asset, annual_report_asset, creator_statements_asset])
