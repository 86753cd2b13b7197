"""Copy B (For Recipient) statements as PDF, one per creator, with the TIN truncated.

Treas. Reg. 301.6109-4 lets a filer show a truncated TIN on a payee statement (last four
digits); the full TIN goes only to the IRS. The PDF is an IRS-acceptable substitute statement
in substance (Publication 1179): form number, year, boxes and their captions, the filer's
details and the recipient instructions pointer.
"""
from __future__ import annotations

import io

from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from pipelines.money import to_major

from .tin import check_tin, mask_tin
from .us_1099 import MONTH_BOXES, Form1099K, Form1099NEC, Recipient

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def _usd(cents: int) -> str:
    return f"${to_major(cents, 'USD'):,.2f}"


def box_lines(form) -> list[tuple[str, str]]:
    if isinstance(form, Form1099K):
        lines = [
            ("1a Gross amount of payment card/third party network transactions", _usd(form.gross_1a)),
            ("1b Card not present transactions", _usd(form.card_not_present_1b)),
            ("2 Merchant category code", form.mcc_2),
            ("3 Number of payment transactions", str(form.transactions_3)),
            ("4 Federal income tax withheld", _usd(form.withholding_4)),
        ]
        lines += [(f"{b} {m}", _usd(form.months_5[i])) for i, (b, m) in enumerate(zip(MONTH_BOXES, MONTHS))]
        lines += [("6 State", form.state_6 or "-"), ("7 State identification no.", form.state_id_7 or "-"),
                  ("8 State income tax withheld", _usd(form.state_withholding_8))]
        return lines
    if isinstance(form, Form1099NEC):
        return [("1 Nonemployee compensation", _usd(form.compensation_1)),
                ("4 Federal income tax withheld", _usd(form.withholding_4))]
    raise TypeError(f"unsupported form object {type(form).__name__}")


def copy_b_pdf(form, recipient: Recipient, filer: dict, *, compress: bool = True) -> bytes:
    """`filer`: name, address, city_state_zip, phone, tin (the filer's own TIN is printed)."""
    form_name = "1099-K" if isinstance(form, Form1099K) else "1099-NEC"
    title = ("Payment Card and Third Party Network Transactions" if form_name == "1099-K"
             else "Nonemployee Compensation")
    check = check_tin(recipient.tin, recipient.tin_type)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, pageCompression=1 if compress else 0, invariant=1)
    pdf.setTitle(f"Form {form_name} {form.tax_year} Copy B {recipient.recipient_id}")
    width, height = letter
    y = height - 0.8 * inch
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(0.8 * inch, y, f"Form {form_name}  {title}  -  {form.tax_year}")
    y -= 0.28 * inch
    pdf.setFont("Helvetica", 9)
    pdf.drawString(0.8 * inch, y, "Copy B - For Recipient. This is important tax information and is being furnished "
                                  "to the IRS.")
    y -= 0.4 * inch
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(0.8 * inch, y, "FILER")
    pdf.drawString(4.3 * inch, y, "RECIPIENT")
    pdf.setFont("Helvetica", 10)
    left = [filer.get("name", ""), filer.get("address", ""), filer.get("city_state_zip", ""),
            f"Phone: {filer.get('phone', '')}", f"FILER'S TIN: {filer.get('tin', '')}"]
    right = [recipient.name, recipient.address, f"{recipient.city} {recipient.state} {recipient.zip_code}".strip(),
             f"Account number: {recipient.account_number or recipient.recipient_id}",
             f"RECIPIENT'S TIN: {mask_tin(recipient.tin, check.kind)}"]
    for a, b in zip(left, right):
        y -= 0.2 * inch
        pdf.drawString(0.8 * inch, y, a)
        pdf.drawString(4.3 * inch, y, b)
    y -= 0.45 * inch
    for caption, value in box_lines(form):
        pdf.drawString(0.8 * inch, y, caption)
        pdf.drawRightString(width - 0.8 * inch, y, value)
        y -= 0.22 * inch
    y -= 0.2 * inch
    pdf.setFont("Helvetica", 8)
    pdf.drawString(0.8 * inch, y, f"See the IRS Instructions for Recipient on Form {form_name} (www.irs.gov/Form{form_name.replace('-', '')}).")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
