"""The monthly report: every section present, exact figures (worked by hand in sample_data) in the
HTML, the PDF text and the CSV pack; real, non-blank charts embedded in the PDF."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from html import unescape

import pytest

from reports.model import NotAvailable
from reports.monthly import build_monthly_report
from tests.reports.pdf_bytes import read_pdf
from tests.reports.sample_data import monthly_data

# Hand-worked in sample_data.py
REVENUE_FIGURES = [
    "1,234.50 EUR", "1,234.50 USD", "3,735 JPY", "12.345 KWD",       # gross by currency
    "533.40 USD", "688.50 EUR", "1,600 JPY", "11.945 KWD",           # net by currency
    "-15.00 USD", "5.00 EUR",                                        # disputes: losses + reversals
    "36.10 USD", "30.00 EUR", "135 JPY", "0.400 KWD",                # Stripe fees
    "2,645.12 USD", "1,333.35 USD", "71.00 USD",                     # consolidated gross, net, fees
]
MRR_FIGURES = ["1,000.00 USD", "200.00 USD", "50.00 USD", "10.00 USD", "-30.00 USD", "-80.00 USD",
               "-2.50 USD", "1,147.50 USD", "8.00%", "11.00%", "5.00%", "95.00%", "2.36x"]
OTHER_FIGURES = [
    "102.00%", "96.00%", "70.00%", "500.00 USD",                     # cohorts
    "1,500.00 USD", "Bob Sings", "99.00 USD",                        # top creators
    "300.00 EUR", "50.00 EUR", "5,000 JPY", "400.00 USD",            # payouts made / pending
    "0.08%", "0.10%", "1.50%",                                       # risk rates and lines
    "1,450.55 USD", "1,660.00 USD", "4.25%", "0.81x",                # forecast, 95% high, MAPE, MASE
    "landed 998 of 1000",                                            # data quality
]
SEPTEMBER_ONLY = "999.99 USD"  # in the trend chart, never in the October tables


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_writes_html_pdf_csv_pack_and_charts(monthly_files):
    assert {"monthly_report_2026-10.html", "monthly_report_2026-10.pdf",
            "monthly_report_2026-10_tables.zip"} <= set(monthly_files)
    charts = sorted(n for n in monthly_files if n.endswith(".png"))
    assert charts == sorted(f"monthly_report_2026-10_{c}.png" for c in (
        "revenue_by_month", "mrr_waterfall", "cohort_heatmap", "top_creators", "risk_rates", "forecast"))


@pytest.mark.parametrize("figure", REVENUE_FIGURES + MRR_FIGURES + OTHER_FIGURES)
def test_html_shows_exact_figures(monthly_html, figure):
    assert figure in _text(monthly_html)


@pytest.mark.parametrize("figure", REVENUE_FIGURES + MRR_FIGURES + OTHER_FIGURES)
def test_pdf_shows_exact_figures(monthly_pdf_pages, figure):
    assert figure in "\n".join(p.text for p in monthly_pdf_pages)


def test_other_months_stay_out_of_the_tables(monthly_html, monthly_pdf_pages):
    assert SEPTEMBER_ONLY not in _text(monthly_html)
    assert SEPTEMBER_ONLY not in "\n".join(p.text for p in monthly_pdf_pages)


def test_consolidated_row_follows_the_currencies(monthly_html):
    table = monthly_html.split('id="revenue_by_currency"')[1].split("</table>")[0]
    rows = [_text(r).split() for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)][1:]
    assert [r[0] for r in rows] == ["EUR", "JPY", "KWD", "USD", "All"]
    assert 'class="total"' in table.split("All currencies")[0].rsplit("<tr", 1)[1]


def test_html_is_self_contained(monthly_html):
    assert monthly_html.count("data:image/png;base64,") == 6
    assert not re.search(r'(src|href)="(https?:|//|/)', monthly_html)


def test_pdf_header_and_page_numbers(monthly_pdf_pages):
    total = len(monthly_pdf_pages)
    for number, page in enumerate(monthly_pdf_pages, start=1):
        assert "October 2026 (2026-10), reporting currency USD" in page.text
        assert "generated 2026-11-01 06:00 UTC" in page.text
        assert f"Page {number} of {total}" in page.text


def test_pdf_page_one_and_chart_pages_are_not_blank(monthly_pdf_pages):
    first = monthly_pdf_pages[0]
    assert "Cashbook monthly financial report" in first.text
    assert len(first.images) == 1 and first.images[0].variance > 500
    images = [i for p in monthly_pdf_pages for i in p.images]
    assert len(images) == 6
    for image in images:
        assert image.width >= 600 and image.height >= 200
        # a chart has ink: several distinct colours and spread, not a blank sheet
        assert image.variance > 500
        assert len({tuple(px) for px in image.pixels[::7, ::7].reshape(-1, 3)}) > 20


def test_blank_images_fail_the_check(tmp_path):
    """The non-blank check above can fail: a white 'chart' in the same renderer has zero variance."""
    from PIL import Image

    from reports.layout import Chart, Report, Section
    from reports.render_pdf import write_pdf

    buf = io.BytesIO()
    Image.new("RGB", (400, 200), "white").save(buf, format="PNG")
    report = Report("blank", "Blank", "none", monthly_data().generated_at,
                    [Section("s", "S", charts=[Chart("c", "C", buf.getvalue())])])
    image = read_pdf(write_pdf(report, tmp_path / "blank.pdf").read_bytes())[0].images[0]
    assert image.variance == 0


def test_csv_pack_has_every_table_with_exact_major_units(monthly_files):
    with zipfile.ZipFile(monthly_files["monthly_report_2026-10_tables.zip"]) as archive:
        names = set(archive.namelist())
        assert {"headlines.csv", "revenue_by_currency.csv", "payments_by_currency.csv", "mrr_waterfall.csv",
                "subscription_metrics.csv", "cohort_revenue_retention.csv", "cohort_logo_retention.csv",
                "top_creators.csv", "payouts_by_status.csv", "payouts_made_pending.csv", "risk_rates.csv",
                "forecast.csv", "forecast_accuracy.csv", "data_quality.csv"} == names
        revenue = list(csv.reader(io.StringIO(archive.read("revenue_by_currency.csv").decode())))
    assert revenue[0][:2] == ["Currency", "Gross volume"]
    by_currency = {r[0]: r for r in revenue[1:]}
    assert by_currency["JPY"][1] == "3735" and by_currency["JPY"][8] == "1600"
    assert by_currency["KWD"][1] == "12.345" and by_currency["KWD"][8] == "11.945"
    assert by_currency["EUR"][1] == "1234.50" and by_currency["EUR"][3] == "5.00"
    assert by_currency["All currencies (USD)"][1] == "2645.12"
    assert by_currency["All currencies (USD)"][8] == "1333.35"


def test_missing_sections_say_not_available(tmp_path):
    data = monthly_data(forecast=NotAvailable("the forecast lands with issue 7"),
                        cohorts=NotAvailable("cohort mart not built yet"))
    paths = {p.name: p for p in build_monthly_report(data, tmp_path)}
    html = _text(paths["monthly_report_2026-10.html"].read_text())
    assert "Not available: the forecast lands with issue 7" in html
    assert "Not available: cohort mart not built yet" in html
    assert "1,450.55 USD" not in html
    pdf = "\n".join(p.text for p in read_pdf(paths["monthly_report_2026-10.pdf"].read_bytes()))
    assert "Not available: the forecast lands with issue 7" in pdf
    assert "monthly_report_2026-10_forecast.png" not in paths
    with zipfile.ZipFile(paths["monthly_report_2026-10_tables.zip"]) as archive:
        assert "forecast.csv" not in archive.namelist()


def test_defaults_are_not_available_not_zero(tmp_path):
    data = monthly_data()
    bare = type(data)(month=data.month, reporting_currency="USD", generated_at=data.generated_at)
    html = _text(build_monthly_report(bare, tmp_path)[0].read_text())
    assert html.count("Not available:") == 8
    assert "0.00 USD" not in html
