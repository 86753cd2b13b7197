"""US economic nexus and digital-services VAT/GST elsewhere: hand-worked monitoring cases."""
from datetime import date
from decimal import Decimal

from tax_forms.digital_services import CountrySales, countries, liability_report, load_rules
from tax_forms.nexus import StateSales, assess, load_rules as nexus_rules


def test_nexus_statuses():
    sales = [
        StateSales("TX", trailing_12_months_cents=40_000_000, trailing_12_months_transactions=900),
        StateSales("CA", current_year_cents=50_000_000, current_year_transactions=10),
        StateSales("CT", trailing_12_months_cents=15_000_000, trailing_12_months_transactions=150),
        StateSales("NJ", current_year_cents=5_000_000, current_year_transactions=200, source_ids=("in_1",)),
        StateSales("OR", current_year_cents=90_000_000, current_year_transactions=5_000),
        StateSales("FL", current_year_cents=15_000_000, previous_year_cents=9_999_999, previous_year_transactions=3),
    ]
    out = {r.state: r for r in assess(sales, date(2025, 10, 1))}
    assert (out["TX"].status, out["TX"].ratio) == ("near", Decimal("0.8000"))  # $400,000 of $500,000
    assert out["CA"].status == "crossed"  # exactly $500,000
    assert (out["CT"].status, out["CT"].ratio) == ("below", Decimal("0.7500"))  # needs $100k AND 200 tx
    assert out["NJ"].status == "crossed" and out["NJ"].source_ids == ("in_1",)  # 200 transactions suffice
    assert out["OR"].status == "no sales tax"
    assert out["FL"].status == "near" and out["FL"].measured_cents == 9_999_999  # previous year only
    assert all(r.source for r in nexus_rules())


def test_nexus_rule_changes_by_date():
    il = [StateSales("IL", trailing_12_months_cents=5_000_000, trailing_12_months_transactions=250)]
    assert assess(il, date(2025, 12, 31))[0].status == "crossed"
    assert assess(il, date(2026, 1, 1))[0].status == "below"  # transaction test repealed


def test_digital_services_table_covers_fifty_countries():
    on = date(2025, 9, 30)
    assert len(countries(on)) >= 50
    assert all(r.source for r in load_rules())


def test_quarterly_liability():
    rows = liability_report([
        CountrySales("AU", 1_000_000, 8_000_000, source_ids=("in_au",)),
        CountrySales("CA", 123_456, 2_000_000, region="QC"),
        CountrySales("JP", 100_000, 5_000_000),
        CountrySales("FI", 10_000, 10_000),
        CountrySales("CA", 100_000, 100_000, region="NS"),
    ], date(2025, 9, 30))
    got = {(r.country, r.region): (r.tax_due_minor, r.registration_due, r.marketplace_liable) for r in rows}
    assert got[("AU", "")] == (100_000, True, True)       # A$10,000 x 10%; A$80,000 >= A$75,000
    assert got[("CA", "QC")] == (12_315, False, True)     # C$1,234.56 x 9.975% = 123.1473 -> 123.15
    assert got[("JP", "")] == (10_000, False, True)       # JPY 100,000 x 10%; below JPY 10m
    assert got[("FI", "")] == (2_550, True, True)         # EUR 100 x 25.5%; no threshold in the EU
    assert got[("CA", "NS")] == (14_000, False, True)     # 14% from 1 April 2025
