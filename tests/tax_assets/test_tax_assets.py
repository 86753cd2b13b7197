"""The tax assets end to end on the small world (built once in conftest.tax_run)."""
from __future__ import annotations

import csv
import io
import json
import stat
import xml.etree.ElementTree as ET
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

from tax_forms import ecb, fire_validate
from tests.tax_assets.conftest import CREATOR_A, CREATOR_B, JPY_DAY, TIN_A, TIN_B, event_log_text


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _q(wh, sql: str) -> list[tuple]:
    with duckdb.connect(str(wh.path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _jpy_in_usd_cents(ecb_csv: Path) -> int:
    """JPY 15,000 on 2025-08-14 in USD cents from the ECB file by hand: 15000 * USD/EUR / JPY/EUR,
    half-up to the cent (JPY has no minor unit)."""
    rates = ecb.parse(ecb_csv.read_text())[date(*JPY_DAY)]
    usd = Decimal(15000) * rates["USD"] / rates["JPY"]
    return int((usd * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_every_run_succeeds_and_every_blocking_check_passes(tax_run):
    for name, result in tax_run.results.items():
        assert result.success, name
    checks = {}
    for name in ("2025", "2026", "2026-07-01", "2026-01-01"):
        checks.update({f"{name} {k}": v for k, v in tax_run.checks(name).items()})
    assert len(checks) == 8  # 1099-K, 1099-NEC x 2 years; OSS, UK x 2 quarters
    assert all(checks.values()), checks


def test_1099k_2025_boxes_for_the_hand_made_creator(tax_run):
    jpy_cents = _jpy_in_usd_cents(tax_run.ecb_csv)
    assert 9_000 < jpy_cents < 11_500  # about $100 at 2025 levels: the conversion is the right way round
    boxes = dict(_q(tax_run.warehouse, f"""SELECT box, amount_cents FROM finance.tax_1099_boxes
                                          WHERE form = '1099-K' AND tax_year = 2025 AND recipient_id = '{CREATOR_A}'"""))
    # 204 x $100.00, the refunded one included (refunds never reduce 1a), plus the JPY charge
    assert boxes["1a"] == 2_040_000 + jpy_cents
    assert boxes["1b"] == boxes["1a"]  # all online card payments
    assert boxes["3"] == 205
    assert boxes["4"] == 0
    # round robin over June..December: i % 7 == 0 -> June gets 30 charges, the other months 29
    assert boxes["5f"] == 30 * 10_000
    assert boxes["5g"] == 29 * 10_000
    assert boxes["5h"] == 29 * 10_000 + jpy_cents  # the JPY charge is in August
    assert boxes["5a"] == boxes["5e"] == 0
    assert sum(boxes[b] for b in ("5a", "5b", "5c", "5d", "5e", "5f", "5g", "5h", "5i", "5j", "5k", "5l")) == boxes["1a"]


def test_1099k_drilldown_traces_each_box_to_its_charges(tax_run):
    wh = tax_run.warehouse
    (n, traced), = _q(wh, f"""SELECT count(*), sum(p.gross_usd_cents) FROM finance.tax_1099_drilldown d
                              JOIN marts.fct_tax_us_payments p ON p.charge_id = d.source_id
                              WHERE d.form = '1099-K' AND d.tax_year = 2025 AND d.recipient_id = '{CREATOR_A}'
                                AND d.box = '1a'""")
    assert n == 205
    assert traced == 2_040_000 + _jpy_in_usd_cents(tax_run.ecb_csv)
    refunded = _q(wh, "SELECT amount_refunded, refunded_usd_cents, gross_usd_cents FROM marts.fct_tax_us_payments "
                      "WHERE charge_id = 'ch_taxA2025_000'")
    assert refunded == [(10_000, 10_000, 10_000)]


def test_fire_file_2025_validates_and_is_owner_only(tax_run):
    folder = tax_run.output / "tax" / "2025"
    path = folder / "1099k_fire_2025.txt"
    data = path.read_bytes()
    assert fire_validate.validate(data, expected_year=2025) == []
    assert _mode(path) == 0o600
    records = [data[i:i + 750] for i in range(0, len(data), 750)]
    b_records = [r for r in records if r[:1] == b"B"]
    assert len(b_records) == 1  # only creator A is over $20,000 and 200 transactions
    assert b_records[0][11:20] == TIN_A.encode()
    assert TIN_B.encode() not in data
    nec = folder / "1099nec_fire_2025.txt"
    assert fire_validate.validate(nec.read_bytes(), expected_year=2025) == []
    nec_b = [r for r in (nec.read_bytes()[i:i + 750] for i in range(0, len(nec.read_bytes()), 750)) if r[:1] == b"B"]
    assert [int(r[54:66]) for r in nec_b if r[11:20] == TIN_A.encode()] == [75_000]  # $400 + $350 in box 1


def test_iris_2026_csv_and_copy_b(tax_run):
    folder = tax_run.output / "tax" / "2026"
    iris = folder / "1099k_iris_2026_001.csv"
    assert _mode(iris) == 0o600
    rows = list(csv.DictReader(io.StringIO(iris.read_text())))
    mine = [r for r in rows if r["Recipient TIN"] == TIN_A]
    assert len(mine) == 1 and mine[0]["Box 1a Gross Amount"] == "20100.00"
    assert mine[0]["Box 3 Number of Payment Transactions"] == "201"
    nec = list(csv.DictReader(io.StringIO((folder / "1099nec_iris_2026_001.csv").read_text())))
    assert [r["Box 1 Nonemployee Compensation"] for r in nec if r["Recipient TIN"] == TIN_A] == ["2100.00"]
    copy_b = folder / "copy_b_1099k" / f"1099k_2026_{CREATOR_A}.pdf"
    assert copy_b.read_bytes()[:4] == b"%PDF" and _mode(copy_b) == 0o600
    assert not list(folder.glob("*fire*"))  # 2026 is never a FIRE year
    assert "IRIS" in (folder / "README.md").read_text()


def test_tin_exception_is_listed_and_never_filed(tax_run):
    folder = tax_run.output / "tax" / "2025"
    exceptions = (folder / "1099k_exceptions_2025.csv").read_text()
    assert CREATOR_B in exceptions
    summary = (folder / "1099k_summary_2025.csv").read_text()
    assert TIN_B not in summary and TIN_A not in summary
    assert "***-**-8765" in summary  # creator A's TIN, truncated


def test_tins_never_in_event_log_metadata_or_marts(tax_run):
    log = event_log_text(tax_run.instance)
    assert "1099-K" in log or "tax_1099k" in log  # the log was read at all
    for tin in (TIN_A, TIN_B, "432-11-8765"):
        assert tin not in log
    for name in ("2025", "2026"):
        for key in (("finance", "tax_1099k"), ("finance", "tax_1099nec")):
            assert not any(TIN_A in str(v) for v in tax_run.metadata(name, key).values())
    wh = tax_run.warehouse
    tables = _q(wh, "SELECT table_schema, table_name FROM information_schema.tables "
                    "WHERE table_schema IN ('marts', 'finance', 'intermediate')")
    for schema, table in tables:
        cols = [c for (c,) in _q(wh, f"SELECT column_name FROM information_schema.columns WHERE table_schema = "
                                     f"'{schema}' AND table_name = '{table}' AND data_type = 'VARCHAR'")]
        if cols:
            text = "concat_ws('|', " + ", ".join(f'"{c}"' for c in cols) + ")"
            assert _q(wh, f"SELECT count(*) FROM {schema}.{table} WHERE {text} LIKE '%{TIN_A}%'") == [(0,)], table


def test_files_are_linked_from_metadata(tax_run):
    meta = tax_run.metadata("2025", ("finance", "tax_1099k"))
    assert Path(meta["fire_file"]).name == "1099k_fire_2025.txt" and Path(meta["fire_file"]).exists()
    oss_meta = tax_run.metadata("2026-07-01", ("finance", "eu_oss_return"))
    assert Path(oss_meta["oss_xml"]).exists() and oss_meta["oss_xml"].endswith("tax/2026-Q3/oss_return_2026-Q3.xml")


def test_oss_return_2026_q3_totals_match_rows_and_xml(tax_run):
    meta = tax_run.metadata("2026-07-01", ("finance", "eu_oss_return"))
    assert meta["nil_return"] is False and meta["due_date"] == "2026-10-31"
    rows = _q(tax_run.warehouse, "SELECT sum(vat_minor), count(*) FROM finance.vat_return_rows "
                                 "WHERE return_name = 'EU-OSS' AND period = '2026-Q3'")
    total_cents, n = rows[0]
    assert n > 0
    xml = ET.fromstring(Path(meta["oss_xml"]).read_bytes())
    ns = {"o": "urn:cashbook:oss-return:1"}
    assert Decimal(xml.find(".//o:TotalVATAmount", ns).text) == Decimal(total_cents) / 100
    assert Decimal(meta["total_vat_eur"]) == Decimal(total_cents) / 100
    # each supply row's VAT is its taxable amount times the member state's rate, to the cent
    for taxable, vat, rate in _q(tax_run.warehouse, "SELECT taxable_minor, vat_minor, vat_rate FROM "
                                                    "finance.vat_return_rows WHERE return_name = 'EU-OSS' AND "
                                                    "period = '2026-Q3' AND section = 'supply'"):
        assert abs(Decimal(taxable) * Decimal(rate) / 100 - vat) <= 1  # rounded once from the unrounded sum


def test_oss_nil_quarter(tax_run):
    meta = tax_run.metadata("2026-01-01", ("finance", "eu_oss_return"))
    assert meta["nil_return"] is True and meta["rows"] == 0 and meta["total_vat_eur"] == "0.00"
    xml = ET.fromstring(Path(meta["oss_xml"]).read_bytes())
    assert xml.find(".//{urn:cashbook:oss-return:1}NilReturn").text == "true"


def test_uk_vat_boxes(tax_run):
    meta = tax_run.metadata("2026-07-01", ("finance", "uk_vat_return"))
    box1 = Decimal(meta["box1"])
    assert box1 > 0 and Decimal(meta["box3"]) == box1 and Decimal(meta["box5"]) == box1 - Decimal(meta["box4"])
    assert meta["box2"] == "0.00" and meta["box8"] == 0 and meta["box9"] == 0
    # B2C digital services at 20%: box 1 is about a fifth of box 6 (whole pounds, converted per sale)
    assert abs(box1 * 5 - meta["box6"]) <= meta["sales"] * Decimal("0.05") + 5
    body = json.loads(Path(meta["mtd_json"]).read_text(), parse_float=Decimal)
    assert body["vatDueSales"] == box1 and body["periodKey"] == "26A3"
    assert body["totalValueSalesExVAT"] == meta["box6"]
    nil = tax_run.metadata("2026-01-01", ("finance", "uk_vat_return"))
    assert nil["box1"] == "0.00" and nil["box6"] == 0


def test_monitoring_reports(tax_run):
    nexus = tax_run.metadata("nexus", ("finance", "us_nexus"))
    assert nexus["states_with_sales"] > 0 and Path(nexus["report_csv"]).exists()
    ds = tax_run.metadata("2026-07-01", ("finance", "digital_services_liability"))
    assert ds["countries"] > 0
    ds_nil = tax_run.metadata("2026-01-01", ("finance", "digital_services_liability"))
    assert ds_nil["countries"] == 0


def test_union_scheme_threshold_measure_from_the_warehouse(tax_run):
    """The Union scheme's EUR 10,000 measure for 2026-Q3, seen from Ireland: nothing in 2025 (the
    world starts in 2026), and this year's Q1-Q2 equal to the Q2 return's taxable amounts outside
    Ireland (Q1 is before the world), to a cent per rounded row."""
    from assets import tax
    from assets.tax_bases import oss_supplies, split_supplies
    from assets.tax_warehouse import open_warehouse
    from tax_forms import oss

    config = tax.TaxConfig(warehouse_url=f"duckdb:///{tax_run.warehouse.path}", output_dir=str(tax_run.output),
                           oss_scheme="union", oss_identification_state="IE")
    with open_warehouse(config.warehouse_url) as wh:
        rates = tax._ecb(wh)
        measure = tax._union_threshold_measure(wh, oss.Quarter(2026, 3), rates, config)
        q2 = oss.build_return(oss_supplies(split_supplies(tax._quarter_rows(wh, oss.Quarter(2026, 2)))),
                              oss.Quarter(2026, 2), rates)
    outside_ie = [r for r in q2.rows if r.member_state != "IE"]
    assert outside_ie and not q2.corrections
    assert measure["previous_year_cross_border_eur_cents"] == 0
    assert abs(measure["current_year_before_period_eur_cents"] - sum(r.taxable_eur_cents for r in outside_ie)) \
        <= len(outside_ie)
    opted_in = tax.TaxConfig(warehouse_url=config.warehouse_url, output_dir=config.output_dir, oss_scheme="union",
                             oss_identification_state="IE", oss_opted_in=True)
    with open_warehouse(config.warehouse_url) as wh:
        assert tax._union_threshold_measure(wh, oss.Quarter(2026, 3), rates, opted_in) == {}
