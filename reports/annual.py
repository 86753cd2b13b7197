"""The annual report: the monthly sections month by month for a year, plus year totals."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from reports import sections
from reports.layout import Report
from reports.model import AnnualReportData
from reports.output import write_report


def annual_report(data: AnnualReportData) -> Report:
    months = [date(data.year, m, 1) for m in range(1, 13)]
    cur = data.reporting_currency
    return Report(
        name=f"annual_report_{data.year}",
        title="Cashbook annual financial report",
        period=f"{data.year} (January to December), reporting currency {cur}",
        generated_at=data.generated_at,
        source=data.source,
        sections=[
            sections.headlines_section(data.revenue, data.subscriptions, data.payouts, data.risk_by_month,
                                       data.data_quality, months, cur),
            sections.revenue_section(data.revenue, months, cur, by_month_table=True),
            sections.mrr_section(data.subscriptions, months, cur, by_month_table=True),
            sections.cohort_section(data.cohorts, months[-1], cur),
            sections.top_creators_section(data.top_creators, cur),
            sections.payouts_section(data.payouts),
            sections.risk_section(data.risk_by_month),
            sections.forecast_section(data.forecast),
            sections.quality_section(data.data_quality),
        ],
    )


def build_annual_report(data: AnnualReportData, out_dir: Path | str) -> list[Path]:
    """Writes annual_report_YYYY.{html,pdf}, _tables.zip and chart PNGs; returns their paths."""
    return write_report(annual_report(data), out_dir)
