"""Hand-worked EU OSS and UK VAT cases: a rate change inside a quarter, corrections of earlier
quarters, a nil quarter, the Union-scheme threshold, Greece as EL, reverse charge, location
evidence, ECB files, the nine UK boxes and the MTD body."""
import json
from datetime import date
from decimal import Decimal

import pytest

from tax_forms import ecb
from tax_forms.location import decide, decide_all
from tax_forms.oss import Quarter, Supply, build_return, cross_border_eur_cents, supplies_from_rows
from tax_forms.reverse_charge import split_b2b
from tax_forms.uk_vat import UkPurchase, UkSale, build_return as build_uk, purchases_from_csv
from tax_forms.vat_rates import standard_rate

ECB_XML = """<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
  <Cube>
    <Cube time="2025-09-30"><Cube currency="USD" rate="1.1703"/><Cube currency="GBP" rate="0.87350"/></Cube>
    <Cube time="2025-03-31"><Cube currency="USD" rate="1.0815"/><Cube currency="JPY" rate="162.14"/></Cube>
    <Cube time="2024-07-01"><Cube currency="USD" rate="1.0745"/></Cube>
    <Cube time="2024-06-28"><Cube currency="USD" rate="1.0705"/></Cube>
  </Cube>
</gesmes:Envelope>"""

ECB_CSV = "Date,USD,JPY,BGN,CYP,\n2025-03-31,1.0815,162.14,1.9558,N/A,\n2025-03-28,1.0790,162.02,1.9558,N/A,\n"

RATES = ecb.EcbRates(ecb.parse(ECB_XML))


def test_ecb_formats():
    by_day = ecb.parse(ECB_CSV)
    assert by_day[date(2025, 3, 31)] == {"USD": Decimal("1.0815"), "JPY": Decimal("162.14"), "BGN": Decimal("1.9558")}
    assert ecb.parse(ECB_XML)[date(2025, 3, 31)]["JPY"] == Decimal("162.14")
    # 30 June 2024 was a Sunday: the next publication (1 July) is the one to use
    assert RATES.rate_for_period_end("USD", date(2024, 6, 30)) == (Decimal("1.0745"), date(2024, 7, 1))
    assert RATES.rate_for_period_end("EUR", date(2024, 6, 30))[0] == 1
    # 10,000 JPY / 162.14 = 61.6751... EUR -> 61.68
    assert ecb.to_eur_minor(10_000, "JPY", Decimal("162.14")) == 6168


def test_ecb_single_day_csv():
    # eurofxref.csv (the zipped daily file) spells the date out and pads the header with spaces
    text = "Date, USD, JPY, BGN, \n31 March 2025, 1.0815, 162.14, 1.9558, \n"
    assert ecb.parse(text) == {date(2025, 3, 31): {"USD": Decimal("1.0815"), "JPY": Decimal("162.14"),
                                                    "BGN": Decimal("1.9558")}}
    with pytest.raises(LookupError, match="no ECB rate for USD on or after 2025-04-01"):
        ecb.EcbRates(ecb.parse(text)).rate_for_period_end("USD", date(2025, 4, 1))


def test_dated_rates():
    assert standard_rate("EE", date(2025, 6, 30)).rate == Decimal("22")
    assert standard_rate("EE", date(2025, 7, 1)).rate == Decimal("24")
    assert standard_rate("FI", date(2024, 8, 31)).rate == Decimal("24")
    assert standard_rate("FI", date(2024, 9, 1)).rate == Decimal("25.5")
    assert standard_rate("SK", date(2025, 1, 1)).rate == Decimal("23")
    assert standard_rate("RO", date(2025, 7, 31)).rate == Decimal("19")
    assert standard_rate("RO", date(2025, 8, 1)).rate == Decimal("21")
    assert standard_rate("GR", date(2025, 1, 1)).country == "EL"


def _q3_supplies():
    return [
        Supply("in_ro1", "RO", "2025-07-15", 10_000, "EUR"),
        Supply("in_ro2", "RO", "2025-08-15", 20_000, "EUR"),
        Supply("in_ee", "EE", "2025-09-30", 5_000, "EUR"),
        Supply("in_gr", "GR", "2025-08-01", 10_000, "USD"),
        Supply("in_fi1", "FI", "2025-07-01", 1_001, "EUR"),
        Supply("in_fi2", "FI", "2025-09-01", 1_001, "EUR"),
        Supply("in_ch", "CH", "2025-08-01", 9_999, "EUR"),
        Supply("cn_de", "DE", "2025-05-10", -5_000, "EUR"),   # credit note for a Q2 sale
        Supply("cn_fr", "FR", "2025-02-10", -2_163, "USD"),   # refund of a Q1 sale paid in USD
    ]


def test_oss_quarter_with_rate_change_and_corrections():
    ret = build_return(_q3_supplies(), Quarter(2025, 3), RATES, vat_number="EU372000041")
    rows = {(r.member_state, r.rate): (r.taxable_eur_cents, r.vat_eur_cents, r.sources) for r in ret.rows}
    assert rows == {
        ("RO", Decimal("19")): (10_000, 1_900, ["in_ro1"]),
        ("RO", Decimal("21")): (20_000, 4_200, ["in_ro2"]),
        ("EE", Decimal("24")): (5_000, 1_200, ["in_ee"]),
        # USD 100.00 / 1.1703 = 85.448175... EUR; VAT 24% = 20.50756... -> 85.45 and 20.51
        ("EL", Decimal("24")): (8_545, 2_051, ["in_gr"]),
        # 20.02 x 25.5% = 5.1051 -> 5.11 (rounding per invoice would give 2 x 2.55 = 5.10)
        ("FI", Decimal("25.5")): (2_002, 511, ["in_fi1", "in_fi2"]),
    }
    corrections = {(c.member_state, c.period): (c.vat_eur_cents, c.sources) for c in ret.corrections}
    # DE: -50.00 x 19% = -9.50; FR: USD -21.63 / 1.0815 (31 March) = -20.00 EUR x 20% = -4.00
    assert corrections == {("DE", "2025-Q2"): (-950, ["cn_de"]), ("FR", "2025-Q1"): (-400, ["cn_fr"])}
    assert ret.excluded == [("in_ch", "CH is not an EU member state")]
    assert ret.vat_by_member_state() == {"DE": -950, "EE": 1_200, "EL": 2_051, "FI": 511, "FR": -400, "RO": 6_100}
    assert ret.total_vat_eur_cents == 8_512
    assert ret.due_date == date(2025, 10, 31)
    assert ret.fx["USD"] == (Decimal("1.1703"), date(2025, 9, 30))
    assert not ret.nil


def test_nil_return_and_due_dates():
    ret = build_return([], Quarter(2025, 4), RATES)
    assert ret.nil and ret.rows == [] and ret.total_vat_eur_cents == 0
    assert ret.due_date == date(2026, 1, 31)
    assert Quarter(2024, 1).due_date == date(2024, 4, 30)
    assert Quarter(2024, 2).due_date == date(2024, 7, 31)


def test_union_scheme_threshold_and_domestic_sales():
    supplies = [
        Supply("s1", "DE", "2025-01-05", 5_000, "EUR"),  # running 9,950.00: still within
        Supply("s2", "FR", "2025-01-06", 6_000, "EUR"),  # running 10,010.00: exceeds, from here OSS
        Supply("s3", "DE", "2025-01-07", 1_000, "EUR"),
        Supply("s4", "IE", "2025-01-08", 7_000, "EUR"),  # home state: national return
    ]
    ret = build_return(supplies, Quarter(2025, 1), RATES, scheme="union", identification_state="IE",
                       current_year_before_period_eur_cents=990_000)
    assert [(r.member_state, r.taxable_eur_cents, r.vat_eur_cents, r.sources) for r in ret.rows] == [
        ("DE", 1_000, 190, ["s3"]), ("FR", 6_000, 1_200, ["s2"])]
    assert dict(ret.excluded) == {
        "s1": "within the EUR 10,000 threshold: taxed in IE (art. 59c)",
        "s4": "domestic supply: declare in IE's national VAT return",
    }
    over = build_return(supplies, Quarter(2025, 1), RATES, scheme="union", identification_state="IE",
                        previous_year_cross_border_eur_cents=1_000_001)
    assert sorted(s for r in over.rows for s in r.sources) == ["s1", "s2", "s3"]


def test_union_threshold_measure_counts_other_member_states_only():
    # Q1 2025 at the ECB rate of 2025-03-31 (USD 1.0815), Q3 2025 at 2025-09-30 (USD 1.1703).
    by_quarter = {
        Quarter(2025, 1): [Supply("s1", "DE", "2025-01-05", 1_081_500, "USD"),   # USD 10,815.00 = EUR 10,000.00
                           Supply("s2", "IE", "2025-02-01", 500_000, "EUR"),     # home state: not cross-border
                           Supply("s3", "US", "2025-02-02", 900_000, "EUR")],    # outside the EU
        Quarter(2025, 3): [Supply("s4", "GR", "2025-07-10", 117_030, "USD"),     # EL, USD 1,170.30 = EUR 1,000.00
                           Supply("cn1", "DE", "2025-08-01", -50_000, "EUR")],   # credit note nets the measure
    }
    assert cross_border_eur_cents(by_quarter, "IE", RATES) == 1_000_000 + 100_000 - 50_000
    assert cross_border_eur_cents({Quarter(2025, 3): [Supply("cn2", "DE", "2025-08-01", -5, "EUR")]}, "IE", RATES) == 0


def test_reverse_charge_split():
    rows = [{"source_id": "in_1", "vat_number": "DE 136 695 976", "country": "DE"},
            {"source_id": "in_2", "vat_number": "DE136695977", "country": "DE"},
            {"source_id": "in_3", "vat_number": "EL094259216", "country": "GR"},
            {"source_id": "in_4", "country": "FR"}]
    consumers, reverse, rejected = split_b2b(rows)
    assert [r["source_id"] for r in consumers] == ["in_2", "in_4"]
    assert [(c.source_id, c.vat_number, c.needs_vies_check) for c in reverse] == [
        ("in_1", "DE136695976", True), ("in_3", "EL094259216", True)]
    assert [c.source_id for c in rejected] == ["in_2"]


def test_location_evidence():
    d = decide("in_1", "de", "DE", "FR")
    assert (d.country, d.agreeing, d.dissent, d.conflict) == ("DE", ("billing", "ip"), "card", False)
    assert decide("in_2", None, "AT", "AT").country == "AT"
    decided, conflicts = decide_all([
        {"source_id": "in_3", "billing_country": "DE", "ip_country": "FR"},
        {"source_id": "in_4", "billing_country": "ES", "ip_country": "ES", "card_country": "ES"},
        {"source_id": "in_5", "billing_country": "IT", "ip_country": "PT", "card_country": "NL"},
    ])
    assert [d.source_id for d in decided] == ["in_4"]
    assert [(c.source_id, c.country) for c in conflicts] == [("in_3", None), ("in_5", None)]


def test_uk_nine_boxes_and_mtd_body():
    sales = [UkSale("in_1", 100_000, 20_000), UkSale("in_2", 4_999, 1_000), UkSale("in_b2b", 50_050, 0)]
    purchases = [UkPurchase("bill_1", 30_099, 6_020)]
    ret = build_uk("25A3", sales, purchases)
    assert (ret.box1, ret.box2, ret.box3, ret.box4, ret.box5) == (
        Decimal("210.00"), Decimal("0.00"), Decimal("210.00"), Decimal("60.20"), Decimal("149.80"))
    # 1,550.49 and 300.99: whole pounds, pence left out
    assert (ret.box6, ret.box7, ret.box8, ret.box9) == (1550, 300, 0, 0)
    assert ret.sources["1"] == ["in_1", "in_2", "in_b2b"]
    text = ret.mtd_json()
    assert json.loads(text) == {
        "periodKey": "25A3", "vatDueSales": 210.0, "vatDueAcquisitions": 0.0, "totalVatDue": 210.0,
        "vatReclaimedCurrPeriod": 60.2, "netVatDue": 149.8, "totalValueSalesExVAT": 1550.0,
        "totalValuePurchasesExVAT": 300.0, "totalValueGoodsSuppliedExVAT": 0.0, "totalAcquisitionsExVAT": 0.0,
        "finalised": True}
    assert '"netVatDue": 149.80' in text and '"totalValueSalesExVAT": 1550.00' in text
    refund = build_uk("25A4", [UkSale("in_9", 1_000, 200)], [UkPurchase("bill_9", 10_000, 2_000)])
    assert refund.box5 == Decimal("-18.00") and refund.repayment
    assert refund.mtd_body()["netVatDue"] == Decimal("18.00")


def test_supplies_from_rows():
    [s] = supplies_from_rows([{"source_id": "in_1", "country": "GR", "supply_date": date(2025, 1, 2),
                               "net_minor": 1000, "currency": "eur"}])
    assert (s.country, s.currency, s.net_minor) == ("GR", "EUR", 1000)
    with pytest.raises(ValueError, match="supply in_2: field net_minor"):
        supplies_from_rows([{"source_id": "in_2", "country": "DE", "supply_date": "2025-01-01", "net_minor": "10",
                             "currency": "EUR"}])


def test_uk_purchases_from_the_books_fill_boxes_4_and_7():
    text = ("date,reference,net_gbp,vat_gbp\n"
            "2025-06-30,INV-hosting-06,1200.50,240.10\n"
            "2025-07-01,INV-hosting-07,1000.00,200.00\n"     # next quarter: left out
            "2025-04-01,INV-legal-04,300,0\n")               # zero-rated / exempt purchase still in box 7
    purchases = purchases_from_csv(text, date(2025, 4, 1), date(2025, 6, 30))
    assert purchases == [UkPurchase("INV-hosting-06", 120_050, 24_010), UkPurchase("INV-legal-04", 30_000, 0)]
    ret = build_uk("25A2", [UkSale("in_1", 10_000, 2_000)], purchases)
    assert (ret.box4, ret.box5, ret.box7) == (Decimal("240.10"), Decimal("-220.10"), 1500)
    with pytest.raises(ValueError, match="line 2 \\(X\\): vat_gbp '1.234' has more than two decimals|"
                                         "line 2 \\(X\\): vat_gbp 1.234 has more than two decimals"):
        purchases_from_csv("date,reference,net_gbp,vat_gbp\n2025-04-01,X,1,1.234\n", date(2025, 4, 1), date(2025, 6, 30))
    with pytest.raises(ValueError, match="missing column\\(s\\) vat_gbp"):
        purchases_from_csv("date,reference,net_gbp\n", date(2025, 4, 1), date(2025, 6, 30))
