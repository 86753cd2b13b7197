"""The monthly financial report (issue 8 item 1): HTML, PDF and a CSV pack of every table."""
from __future__ import annotations

from pathlib import Path

from reports import sections
from reports.layout import Report
from reports.model import MonthlyReportData, NotAvailable
from reports.output import write_report


def monthly_report(data: MonthlyReportData) -> Report:
    """The report's sections in order, from the month's mart rows (pure; charts drawn in memory)."""
    month, cur = data.month, data.reporting_currency
    risk = data.risk if isinstance(data.risk, NotAvailable) else {month: list(data.risk)}
    return Report(
        name=f"monthly_report_{month:%Y-%m}",
        title="Cashbook monthly financial report",
        period=f"{month:%B %Y} ({month:%Y-%m}), reporting currency {cur}",
        generated_at=data.generated_at,
        source=data.source,
        sections=[
            sections.headlines_section(data.revenue, data.subscriptions, data.payouts, risk,
                                       data.data_quality, [month], cur),
            sections.revenue_section(data.revenue, [month], cur, by_month_table=False),
            sections.mrr_section(data.subscriptions, [month], cur, by_month_table=False),
            sections.cohort_section(data.cohorts, month, cur),
            sections.top_creators_section(data.top_creators, cur),
            sections.payouts_section(data.payouts),
            sections.risk_section(risk),
            sections.forecast_section(data.forecast),
            sections.quality_section(data.data_quality),
        ],
    )


def build_monthly_report(data: MonthlyReportData, out_dir: Path | str) -> list[Path]:
    """Writes monthly_report_YYYY-MM.{html,pdf}, _tables.zip and chart PNGs; returns their paths."""
    return write_report(monthly_report(data), out_dir)
