"""Files around the returns: IRIS CSV (header-driven, 100 per file), Copy B PDFs with truncated
TINs, the 1099 summary and drill-down, and the OSS XML/CSV/PDF."""
import csv
import io
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from tax_forms import ecb
from tax_forms.copy_b import copy_b_pdf
from tax_forms.iris import PayerInfo, header_from_template, write_iris_csv
from tax_forms.oss import Quarter, Supply, build_return
from tax_forms.oss_xml import drilldown_rows as oss_drilldown, to_csv, to_pdf, to_xml
from tax_forms.summary import drilldown_rows, summary_csv, year_readme
from tax_forms.us_1099 import Compensation, Payment, Recipient, build_1099k, build_1099nec

PAYER = PayerInfo("12-3456789", "Cashbook Platform Inc", "1 Market St", "San Francisco", "CA", "94105", "4155550100")


def _recipients(n):
    # SSNs 536-90-0001 .. valid area/group, serial varies
    return [Recipient(f"acct_{i:03d}", f"Creator {i}", f"536-90-{i + 1:04d}", "SSN", "1 Main St", "Austin", "TX", "73301")
            for i in range(n)]


def test_iris_default_layout_splits_at_100():
    recipients = _recipients(205)
    items = [Compensation(f"tr_{i}", r.recipient_id, "2026-03-01", 200_000 + i) for i, r in enumerate(recipients)]
    result = build_1099nec(items, recipients, 2026)
    files = write_iris_csv("1099-NEC", result.federal_forms, recipients, PAYER)
    assert [len(f.decode().strip().split("\r\n")) - 1 for f in files.files] == [100, 100, 5]
    rows = list(csv.DictReader(io.StringIO(files.files[2].decode())))
    assert rows[-1]["Recipient TIN"] == "536900205"
    assert rows[-1]["Box 1 Nonemployee Compensation"] == "2002.04"  # 200,204 cents
    assert files.unmapped_columns == []


def test_iris_header_from_the_portal_template():
    template = "\ufeffPayee TIN,Recipient Name,Gross Amount,Box 5c March,Some New Column\n"
    header = header_from_template(template)
    recipients = _recipients(1)
    pays = [Payment(f"c{i}", "acct_000", "2026-03-05", 10_001) for i in range(201)]
    [form] = build_1099k(pays, recipients, 2026).federal_forms  # $20,102.01, 201 tx
    files = write_iris_csv("1099-K", [form], recipients, PAYER, header)
    assert files.files[0].decode() == (
        "Payee TIN,Recipient Name,Gross Amount,Box 5c March,Some New Column\r\n"
        "536900001,Creator 0,20102.01,20102.01,\r\n")
    assert files.unmapped_columns == ["Some New Column"]


def test_iris_refuses_invalid_tin():
    bad = [Recipient("acct_x", "X", "078-05-1120", "SSN")]
    from tax_forms.us_1099 import Form1099NEC
    form = Form1099NEC("acct_x", 2026, 300_000, 0)
    with pytest.raises(ValueError, match="acct_x: invalid TIN") as err:
        write_iris_csv("1099-NEC", [form], bad, PAYER)
    assert "078" not in str(err.value)


def test_copy_b_pdf_truncates_the_tin():
    recipients = _recipients(1)
    pays = [Payment(f"c{m}", "acct_000", f"2024-{m:02d}-01", 50_000) for m in range(1, 13)]
    [form] = build_1099k(pays, recipients, 2024).forms  # $6,000 > $5,000
    pdf = copy_b_pdf(form, recipients[0], {"name": "Cashbook", "tin": "12-3456789"}, compress=False)
    assert pdf.startswith(b"%PDF")
    assert b"***-**-0001" in pdf and b"536900001" not in pdf and b"536-90-0001" not in pdf
    assert b"$6,000.00" in pdf and b"5l December" in pdf


def test_summary_and_drilldown():
    recipients = _recipients(2) + [Recipient("acct_bad", "Bad", "000-00-0000", "SSN")]
    pays = [Payment("c1", "acct_000", "2024-01-01", 300_000), Payment("c2", "acct_000", "2024-02-01", 300_000),
            Payment("c3", "acct_bad", "2024-02-01", 900_000)]
    result = build_1099k(pays, recipients, 2024)
    text = summary_csv(result.forms, recipients, result.exceptions).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["tin"] == "***-**-0001" and rows[0]["box_1a"] == "6000.00" and rows[0]["box_5b"] == "3000.00"
    assert rows[1]["status"].startswith("NOT FILED: SSN fails") and rows[1]["tin"] == "***-**-0000"
    assert "536900001" not in text
    drill = drilldown_rows(result.forms)
    assert sorted((d["box"], d["source_id"]) for d in drill if d["box"] in ("1a", "5a", "5b")) == [
        ("1a", "c1"), ("1a", "c2"), ("5a", "c1"), ("5b", "c2")]
    readme = year_readme(2025, {"fire_1099k_2025.txt": "FIRE file"})
    assert "FIRE" in readme and "fire_1099k_2025.txt" in readme
    assert "IRIS Taxpayer Portal" in year_readme(2026, {})


def test_oss_files():
    rates = ecb.EcbRates({__import__("datetime").date(2025, 3, 31): {"USD": Decimal("1.0815")}})
    ret = build_return([Supply("in_1", "GR", "2025-02-01", 10_815, "USD"), Supply("in_2", "DE", "2025-03-01", 1_000, "EUR")],
                       Quarter(2025, 1), rates, vat_number="EU372000041")
    root = ET.fromstring(to_xml(ret))
    ns = {"o": "urn:cashbook:oss-return:1"}
    assert root.find("o:Header/o:DueDate", ns).text == "2025-04-30"
    el = root.find("o:Supplies/o:MemberStateOfConsumption[@code='EL']/o:Supply", ns)
    # USD 108.15 / 1.0815 = 100.00 EUR; 24% = 24.00
    assert (el.find("o:VATRate", ns).text, el.find("o:TaxableAmount", ns).text, el.find("o:VATAmount", ns).text) == (
        "24.00", "100.00", "24.00")
    assert root.find("o:Totals/o:TotalVATAmount", ns).text == "25.90"  # 24.00 + 10.00 x 19%
    lines = to_csv(ret).decode().splitlines()
    assert lines[-1] == "total,ALL,2025-Q1,,,,25.90,"
    assert {d["source_id"] for d in oss_drilldown(ret)} == {"in_1", "in_2"}
    nil = build_return([], Quarter(2025, 2), rates)
    assert ET.fromstring(to_xml(nil)).find("o:Header/o:NilReturn", ns).text == "true"
    assert b"NIL RETURN" in to_pdf(nil, compress=False)
