"""IRIS Taxpayer Portal CSV files for Forms 1099-K and 1099-NEC (tax year 2026 onwards, and
any year the accountant prefers IRIS for).

The IRS hands out the CSV templates only inside the portal, so the column layout is the header
row the accountant downloads and drops in (`header`): each column is matched by name to a field
we know; a column we cannot match stays empty and is reported, never guessed. Without a header
the documented default layout below is used. Each file holds at most `max_records` returns
(100 by default, per issue 6). Amounts are dollars with two decimals; TINs nine digits.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from pipelines.money import to_major

from .tin import check_tin
from .us_1099 import MONTH_BOXES, Form1099K, Form1099NEC, Recipient

MAX_RECORDS = 100

COMMON = [
    ("Payer TIN", "payer_tin"), ("Payer Name", "payer_name"), ("Payer Address", "payer_address"),
    ("Payer City", "payer_city"), ("Payer State", "payer_state"), ("Payer ZIP", "payer_zip"),
    ("Payer Phone", "payer_phone"), ("Recipient TIN Type", "recipient_tin_type"),
    ("Recipient TIN", "recipient_tin"), ("Recipient Name", "recipient_name"),
    ("Recipient Address", "recipient_address"), ("Recipient City", "recipient_city"),
    ("Recipient State", "recipient_state"), ("Recipient ZIP", "recipient_zip"),
    ("Account Number", "account_number"), ("Corrected", "corrected"),
    ("Second TIN Notice", "second_tin_notice"),
]
DEFAULT_LAYOUT = {
    "1099-K": COMMON + [
        ("Filer Type", "filer_type"), ("Transaction Type", "payment_type"),
        ("Box 1a Gross Amount", "box_1a"), ("Box 1b Card Not Present", "box_1b"),
        ("Box 2 Merchant Category Code", "box_2"), ("Box 3 Number of Payment Transactions", "box_3"),
        ("Box 4 Federal Income Tax Withheld", "box_4"),
        *[(f"Box {b} {m}", f"box_{b}") for b, m in zip(MONTH_BOXES, (
            "January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December"))],
        ("Box 6 State", "box_6"), ("Box 7 State ID", "box_7"), ("Box 8 State Income Tax Withheld", "box_8"),
    ],
    "1099-NEC": COMMON + [
        ("Box 1 Nonemployee Compensation", "box_1"), ("Box 2 Direct Sales", "box_2"),
        ("Box 4 Federal Income Tax Withheld", "box_4"), ("Box 5 State Tax Withheld", "box_5"),
        ("Box 6 State", "box_6"), ("Box 7 State Income", "box_7"),
    ],
}
# Other spellings seen in headers, normalised (lowercase, letters and digits only).
SYNONYMS = {
    "payertin": "payer_tin", "issuertin": "payer_tin", "filertin": "payer_tin", "payerein": "payer_tin",
    "payeetin": "recipient_tin", "recipientstin": "recipient_tin", "recipienttaxpayeridentificationnumber": "recipient_tin",
    "payeetintype": "recipient_tin_type", "tintype": "recipient_tin_type",
    "payeename": "recipient_name", "recipientfirstname": "recipient_name", "recipientsname": "recipient_name",
    "payeeaddress": "recipient_address", "payeecity": "recipient_city", "payeestate": "recipient_state",
    "payeezip": "recipient_zip", "payeezipcode": "recipient_zip", "recipientzipcode": "recipient_zip",
    "accountnumber": "account_number", "grossamount": "box_1a", "nonemployeecompensation": "box_1",
    "federalincometaxwithheld": "box_4", "merchantcategorycode": "box_2", "numberofpaymenttransactions": "box_3",
    "cardnotpresenttransactions": "box_1b",
}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _dollars(cents: int) -> str:
    return f"{to_major(cents, 'USD'):.2f}"


@dataclass(frozen=True)
class PayerInfo:
    tin: str
    name: str
    address: str
    city: str
    state: str
    zip_code: str
    phone: str


def _values(form, recipient: Recipient, payer: PayerInfo, corrected: bool) -> dict[str, str]:
    check = check_tin(recipient.tin, recipient.tin_type)
    if not check.valid:
        raise ValueError(f"recipient {recipient.recipient_id}: invalid TIN, belongs in the exceptions list")
    values = {
        "payer_tin": "".join(ch for ch in payer.tin if ch.isdigit()), "payer_name": payer.name,
        "payer_address": payer.address, "payer_city": payer.city, "payer_state": payer.state,
        "payer_zip": payer.zip_code, "payer_phone": payer.phone,
        "recipient_tin_type": "EIN" if check.kind == "EIN" else check.kind or "SSN",
        "recipient_tin": check.digits, "recipient_name": recipient.name, "recipient_address": recipient.address,
        "recipient_city": recipient.city, "recipient_state": recipient.state, "recipient_zip": recipient.zip_code,
        "account_number": recipient.account_number or recipient.recipient_id,
        "corrected": "X" if corrected else "", "second_tin_notice": "",
    }
    if isinstance(form, Form1099K):
        values.update({
            "filer_type": "PSE", "payment_type": "Third party network",
            "box_1a": _dollars(form.gross_1a), "box_1b": _dollars(form.card_not_present_1b),
            "box_2": form.mcc_2, "box_3": str(form.transactions_3), "box_4": _dollars(form.withholding_4),
            **{f"box_{b}": _dollars(form.months_5[i]) for i, b in enumerate(MONTH_BOXES)},
            "box_6": form.state_6, "box_7": form.state_id_7, "box_8": _dollars(form.state_withholding_8),
        })
    elif isinstance(form, Form1099NEC):
        values.update({
            "box_1": _dollars(form.compensation_1), "box_2": "", "box_4": _dollars(form.withholding_4),
            "box_5": _dollars(0), "box_6": form.state_6, "box_7": "",
        })
    else:
        raise TypeError(f"unsupported form object {type(form).__name__}")
    return values


@dataclass
class IrisFiles:
    files: list[bytes]  # CSV files, each at most max_records rows under the header
    header: list[str]
    unmapped_columns: list[str]  # header columns we could not fill: check them in the portal


def map_header(form_name: str, header: list[str]) -> tuple[list[str | None], list[str]]:
    known = {_norm(label): key for label, key in DEFAULT_LAYOUT[form_name]}
    keys, unmapped = [], []
    for column in header:
        key = known.get(_norm(column)) or SYNONYMS.get(_norm(column))
        keys.append(key)
        if key is None:
            unmapped.append(column)
    return keys, unmapped


def write_iris_csv(form_name: str, forms: list, recipients: list[Recipient], payer: PayerInfo,
                   header: list[str] | None = None, *, corrected: bool = False,
                   max_records: int = MAX_RECORDS) -> IrisFiles:
    if form_name not in DEFAULT_LAYOUT:
        raise ValueError(f"form {form_name!r} is not supported (1099-K, 1099-NEC)")
    if header is None:
        header = [label for label, _ in DEFAULT_LAYOUT[form_name]]
    keys, unmapped = map_header(form_name, header)
    by_id = {r.recipient_id: r for r in recipients}
    rows = []
    for form in forms:
        recipient = by_id.get(form.recipient_id)
        if recipient is None:
            raise ValueError(f"form for {form.recipient_id}: recipient has no tax profile")
        values = _values(form, recipient, payer, corrected)
        rows.append([values.get(k, "") if k else "" for k in keys])
    files = []
    for start in range(0, len(rows), max_records):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows[start:start + max_records])
        files.append(buffer.getvalue().encode("utf-8"))
    return IrisFiles(files, list(header), unmapped)


def header_from_template(template_csv: str) -> list[str]:
    """The first row of the template the accountant downloaded from the portal."""
    return next(csv.reader(io.StringIO(template_csv.lstrip("\ufeff"))))
