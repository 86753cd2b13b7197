"""The OSS return as XML, CSV and PDF.

The XML follows the return's data elements as the VAT Directive (arts. 365 and 369g) and
Implementing Regulation (EU) No 815/2012 list them: the VAT identification number, the period,
per member state of consumption the supplies by rate type and rate (taxable amount, VAT amount),
the corrections of earlier periods per member state and period, and the total VAT per member
state. Element names are ours (namespace urn:cashbook:oss-return:1); each member state of
identification has its own upload channel, so the accountant imports or keys these figures
there. Amounts are EUR with two decimals.
"""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

from pipelines.money import to_major

from .oss import OssReturn

NAMESPACE = "urn:cashbook:oss-return:1"


def _eur(cents: int) -> str:
    return f"{to_major(cents, 'EUR'):.2f}"


def _sub(parent, tag, text=None, **attrs):
    el = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = str(text)
    return el


def to_xml(ret: OssReturn) -> bytes:
    root = ET.Element("OSSReturn", {"xmlns": NAMESPACE, "scheme": ret.scheme})
    header = _sub(root, "Header")
    _sub(header, "VATIdentificationNumber", ret.vat_number)
    if ret.identification_state:
        _sub(header, "MemberStateOfIdentification", ret.identification_state)
    period = _sub(header, "Period")
    _sub(period, "Year", ret.period.year)
    _sub(period, "Quarter", ret.period.quarter)
    _sub(header, "Currency", "EUR")
    _sub(header, "DueDate", ret.due_date.isoformat())
    _sub(header, "NilReturn", "true" if ret.nil else "false")
    for currency, (rate, published) in sorted(ret.fx.items()):
        _sub(header, "ExchangeRate", str(rate), currency=currency, ecbDate=published.isoformat())
    supplies = _sub(root, "Supplies")
    by_state: dict[str, list] = {}
    for row in ret.rows:
        by_state.setdefault(row.member_state, []).append(row)
    for state, rows in sorted(by_state.items()):
        ms = _sub(supplies, "MemberStateOfConsumption", code=state)
        for row in rows:
            supply = _sub(ms, "Supply")
            _sub(supply, "RateType", row.rate_type)
            _sub(supply, "VATRate", f"{row.rate:.2f}")
            _sub(supply, "TaxableAmount", _eur(row.taxable_eur_cents))
            _sub(supply, "VATAmount", _eur(row.vat_eur_cents))
    corrections = _sub(root, "Corrections")
    for corr in ret.corrections:
        el = _sub(corrections, "Correction")
        _sub(el, "MemberStateOfConsumption", corr.member_state)
        year, quarter = corr.period.split("-Q")
        p = _sub(el, "Period")
        _sub(p, "Year", year)
        _sub(p, "Quarter", quarter)
        _sub(el, "VATAmount", _eur(corr.vat_eur_cents))
    totals = _sub(root, "Totals")
    for state, cents in ret.vat_by_member_state().items():
        _sub(totals, "MemberStateTotal", _eur(cents), code=state)
    _sub(totals, "TotalVATAmount", _eur(ret.total_vat_eur_cents))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def to_csv(ret: OssReturn) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["section", "member_state", "period", "rate_type", "vat_rate", "taxable_eur", "vat_eur", "sources"])
    for row in ret.rows:
        writer.writerow(["supply", row.member_state, ret.period.label, row.rate_type, f"{row.rate:.2f}",
                         _eur(row.taxable_eur_cents), _eur(row.vat_eur_cents), len(row.sources)])
    for corr in ret.corrections:
        writer.writerow(["correction", corr.member_state, corr.period, "", "", "", _eur(corr.vat_eur_cents),
                         len(corr.sources)])
    for state, cents in ret.vat_by_member_state().items():
        writer.writerow(["total", state, ret.period.label, "", "", "", _eur(cents), ""])
    writer.writerow(["total", "ALL", ret.period.label, "", "", "", _eur(ret.total_vat_eur_cents), ""])
    return buffer.getvalue().encode("utf-8")


def drilldown_rows(ret: OssReturn) -> list[dict]:
    rows = []
    for row in ret.rows:
        rows += [{"section": "supply", "member_state": row.member_state, "period": ret.period.label,
                  "vat_rate": str(row.rate), "source_id": s} for s in row.sources]
    for corr in ret.corrections:
        rows += [{"section": "correction", "member_state": corr.member_state, "period": corr.period,
                  "vat_rate": "", "source_id": s} for s in corr.sources]
    return rows


def to_pdf(ret: OssReturn, *, compress: bool = True) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0, invariant=1)
    width, height = A4
    y = height - 2 * cm

    def line(text, bold=False, size=10, right=None):
        nonlocal y
        if y < 2 * cm:
            pdf.showPage()
            y = height - 2 * cm
        pdf.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        pdf.drawString(2 * cm, y, text)
        if right is not None:
            pdf.drawRightString(width - 2 * cm, y, right)
        y -= 0.55 * cm

    line(f"OSS VAT return {ret.period.label} ({ret.scheme} scheme)", bold=True, size=14)
    line(f"VAT number: {ret.vat_number or '-'}   Due by: {ret.due_date.isoformat()}")
    if ret.nil:
        line("NIL RETURN: no supplies and no corrections in this period.", bold=True)
    for currency, (rate, published) in sorted(ret.fx.items()):
        line(f"ECB rate {currency} {rate} per EUR ({published.isoformat()})")
    line("Supplies", bold=True)
    for row in ret.rows:
        line(f"{row.member_state}  {row.rate_type} {row.rate:.2f}%  taxable {_eur(row.taxable_eur_cents)}",
             right=f"VAT {_eur(row.vat_eur_cents)} EUR")
    line("Corrections of earlier periods", bold=True)
    for corr in ret.corrections:
        line(f"{corr.member_state}  {corr.period}", right=f"VAT {_eur(corr.vat_eur_cents)} EUR")
    line("Total VAT per member state", bold=True)
    for state, cents in ret.vat_by_member_state().items():
        line(state, right=f"{_eur(cents)} EUR")
    line("Total VAT due", bold=True, right=f"{_eur(ret.total_vat_eur_cents)} EUR")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
