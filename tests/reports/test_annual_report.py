"""The annual report: months of the year and year totals, worked by hand in sample_data."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from html import unescape

from tests.reports.pdf_bytes import read_pdf


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def _csv(files, name):
    with zipfile.ZipFile(files["annual_report_2026_tables.zip"]) as archive:
        return list(csv.reader(io.StringIO(archive.read(name).decode())))


def test_year_totals_by_currency_and_consolidated(annual_files):
    text = _text(annual_files["annual_report_2026.html"].read_text())
    # USD gross: 99999 (Sep) + 123450 (Oct) = 223449; consolidated: 99999 + 264512 = 364511
    assert "2,234.49 USD" in text
    assert "3,645.11 USD" in text
    # consolidated net: 99999 (Sep) + 133335 (Oct) = 233334
    assert "2,333.34 USD" in text
    # each currency keeps its own totals (EUR only in October)
    assert "1,234.50 EUR" in text and "3,735 JPY" in text


def test_revenue_by_month_rows_and_year_row(annual_files):
    rows = _csv(annual_files, "revenue_by_month.csv")
    assert [r[0] for r in rows[1:]] == ["2026-09", "2026-10", "Year"]
    assert rows[1][1] == "999.99" and rows[2][1] == "2645.12" and rows[3][1] == "3645.11"
    assert rows[3][8] == "2333.34"


def test_mrr_waterfall_over_the_year(annual_files):
    rows = {r[0]: r[1] for r in _csv(annual_files, "mrr_waterfall.csv")[1:]}
    # start of September 900.00; new 150 + 200 = 350; churn -(30 + 80) = -110; end of October 1147.50
    assert rows["MRR at start"] == "900.00"
    assert rows["New"] == "350.00"
    assert rows["Churn"] == "-110.00"
    assert rows["Contraction"] == "-50.00"
    assert rows["MRR at end"] == "1147.50"
    by_month = _csv(annual_files, "mrr_by_month.csv")
    assert [r[0] for r in by_month[1:]] == ["2026-09", "2026-10"]
    assert by_month[1][1] == "1000.00" and by_month[2][1] == "1147.50"


def test_risk_by_month(annual_files):
    rows = _csv(annual_files, "risk_rates.csv")[1:]
    assert [(r[0], r[1]) for r in rows] == [("2026-09", "Platform fraud rate"), ("2026-10", "Platform fraud rate"),
                                           ("2026-10", "Visa VAMP"), ("2026-10", "Mastercard ECM")]
    assert rows[0][4] == "0.00075"


def test_annual_pdf_has_charts_and_figures(annual_files):
    pages = read_pdf(annual_files["annual_report_2026.pdf"].read_bytes())
    text = "\n".join(p.text for p in pages)
    assert "3,645.11 USD" in text and "2,234.49 USD" in text
    assert "2026 (January to December), reporting currency USD" in pages[0].text
    images = [i for p in pages for i in p.images]
    assert len(images) == 6 and all(i.variance > 500 for i in images)
