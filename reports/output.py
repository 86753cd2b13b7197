"""Writes one `Report` in every format into a folder: HTML, PDF, the CSV zip and the chart PNGs."""
from __future__ import annotations

from pathlib import Path

from reports.csv_pack import write_csv_zip
from reports.layout import Report
from reports.render_html import write_html
from reports.render_pdf import write_pdf


def write_report(report: Report, out_dir: Path | str) -> list[Path]:
    """Returns [html, pdf, csv zip, chart PNGs...]; the PNGs let an asset show plots in the UI."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [write_html(report, out / f"{report.name}.html"),
             write_pdf(report, out / f"{report.name}.pdf"),
             write_csv_zip(report, out / f"{report.name}_tables.zip")]
    for chart in report.charts():
        png = out / f"{report.name}_{chart.name}.png"
        png.write_bytes(chart.png)
        paths.append(png)
    return paths
