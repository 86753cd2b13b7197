"""A `Report` as a PDF (reportlab platypus): a header with the period and generation time on every
page, "page N of M" in the footer, each section's notes, charts and tables in order."""
from __future__ import annotations

import io
import struct
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from reports.layout import Money, Multiple, Percent, Report, display
from reports.layout import Table as ReportTable

PAGE = landscape(A4)
MARGIN = 14 * mm
_STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_STYLES["BodyText"], fontSize=9, leading=11)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=7, leading=8.5)
NA = ParagraphStyle("na", parent=BODY, textColor=colors.HexColor("#b5452c"), backColor=colors.HexColor("#fdf1ed"),
                    borderPadding=4, spaceBefore=4, spaceAfter=6)
H1 = _STYLES["Title"]
H2 = ParagraphStyle("h2", parent=_STYLES["Heading2"], textColor=colors.HexColor("#264653"))


def _png_size(png: bytes) -> tuple[int, int]:
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("chart is not a PNG")
    return struct.unpack(">II", png[16:24])


def _image(png: bytes, max_width: float, max_height: float) -> Image:
    w, h = _png_size(png)
    scale = min(max_width / w, max_height / h)
    return Image(io.BytesIO(png), width=w * scale, height=h * scale)


def _is_number(cell) -> bool:
    return isinstance(cell, (Money, Percent, Multiple, int)) and not isinstance(cell, bool)


def _table(table: ReportTable, width: float) -> list:
    small = len(table.columns) > 9
    size = 6.5 if small else 7.5
    data = [[Paragraph(f"<b>{escape(c)}</b>", CELL) for c in table.columns]]
    for row in table.rows:
        data.append([Paragraph(escape(display(c)), CELL) if isinstance(c, str) and len(c) > 40 else display(c)
                     for c in row])
    if len(data) == 1:
        data.append(["No rows."] + [""] * (len(table.columns) - 1))
    style = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", size),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef3f4")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    for r, row in enumerate(table.rows, start=1):
        for c, cell in enumerate(row):
            if _is_number(cell):
                style.append(("ALIGN", (c, r), (c, r), "RIGHT"))
    for k in range(table.total_rows):
        r = len(table.rows) - k
        style += [("FONT", (0, r), (-1, r), "Helvetica-Bold", size),
                  ("BACKGROUND", (0, r), (-1, r), colors.HexColor("#f4f4f4"))]
    flow = Table(data, repeatRows=1, hAlign="LEFT", style=TableStyle(style))
    return [Paragraph(f"<b>{escape(table.title)}</b>", BODY), flow, Spacer(1, 5 * mm)]


def _side_by_side(section) -> bool:
    """A short two-column table and one chart share the width (the headlines on page 1)."""
    return (len(section.tables) == 1 and len(section.charts) == 1 and len(section.tables[0].columns) <= 2
            and len(section.tables[0].rows) <= 14)


def _numbered_canvas(report: Report):
    header = f"{report.title}  |  {report.period}  |  generated {display(report.generated_at)}"

    class NumberedCanvas(Canvas):
        """Defers each page until the end so the footer can say 'page N of M'."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont("Helvetica", 7.5)
                self.setFillColor(colors.HexColor("#555555"))
                self.drawString(MARGIN, PAGE[1] - 9 * mm, header)
                self.drawRightString(PAGE[0] - MARGIN, 8 * mm, f"Page {self._pageNumber} of {total}")
                super().showPage()
            super().save()

    return NumberedCanvas


def write_pdf(report: Report, path: Path) -> Path:
    doc = SimpleDocTemplate(str(path), pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=15 * mm, bottomMargin=14 * mm, title=f"{report.title} {report.period}",
                            author="Cashbook", subject=report.period)
    width = PAGE[0] - 2 * MARGIN
    story: list = [Paragraph(escape(report.title), H1),
                   Paragraph(f"Period: <b>{escape(report.period)}</b>", BODY),
                   Paragraph(f"Generated {escape(display(report.generated_at))}"
                             + (f" from {escape(report.source)}" if report.source else ""), BODY),
                   Spacer(1, 4 * mm)]
    for section in report.sections:
        head = Paragraph(escape(section.title), H2)
        if section.unavailable:
            story.append(KeepTogether([head, Paragraph(f"Not available: {escape(section.unavailable)}", NA)]))
            continue
        first: list = [head] + [Paragraph(escape(n), BODY) for n in section.notes]
        if _side_by_side(section):
            chart = section.charts[0]
            pair = Table([[_table(section.tables[0], width / 2)[:2], _image(chart.png, width * 0.55, 80 * mm)]],
                         colWidths=[width * 0.42, width * 0.58], hAlign="LEFT",
                         style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story.append(KeepTogether(first + [pair, Spacer(1, 4 * mm)]))
            continue
        # the main table's exact figures first, then its chart, then the detail tables
        tables = [_table(t, width) for t in section.tables]
        rest: list = tables[0] if tables else []
        for chart in section.charts:
            rest += [_image(chart.png, width * 0.62, 70 * mm), Spacer(1, 3 * mm)]
        for flows in tables[1:]:
            rest += flows
        story.append(KeepTogether(first + rest[:2]))
        story.extend(rest[2:])
    doc.build(story, canvasmaker=_numbered_canvas(report))
    return path
