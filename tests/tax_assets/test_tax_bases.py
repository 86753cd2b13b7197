"""The pure steps between the tax marts and tax_forms, with hand-worked figures."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from assets.tax import last_complete_quarter, last_complete_year, profile_rows_from_csv
from assets.tax_bases import (convert_cross, nexus_state_sales, oss_row_mismatches, oss_supplies,
                              quarter_of_partition, split_supplies)
from tax_forms.ecb import EcbRates
from tax_forms.oss import Quarter, build_return

RATES = EcbRates({
    date(2025, 6, 30): {"USD": Decimal("1.1720"), "GBP": Decimal("0.85550")},
    date(2025, 9, 30): {"USD": Decimal("1.1741"), "GBP": Decimal("0.87340")},
})


def _row(source_id, billing, ip, card, taxable, vat, *, supply="2025-08-01", reported="2025-08-01",
         currency="EUR", vat_number=None):
    return {"source_id": source_id, "billing_country": billing, "ip_country": ip, "card_country": card,
            "taxable_amount": taxable, "vat_amount": vat, "currency": currency,
            "supply_date": date.fromisoformat(supply), "reported_on": date.fromisoformat(reported),
            "vat_number": vat_number}


def test_partitions_map_to_quarters_and_the_demo_periods():
    assert quarter_of_partition("2026-07-01").label == "2026-Q3"
    with pytest.raises(ValueError):
        quarter_of_partition("2026-08-01")
    # the demo world ends 2026-11-01: the last complete year and quarter are 2025 and 2026-Q3
    assert last_complete_year(date(2026, 11, 1)) == "2025"
    assert last_complete_quarter(date(2026, 11, 1)) == "2026-07-01"
    assert last_complete_quarter(date(2026, 2, 10)) == "2025-10-01"


def test_split_decides_country_and_takes_reverse_charge_out():
    rows = [
        _row("in_de", "DE", "DE", "FR", 1000, 190),
        _row("in_conflict", "DE", "FR", "IT", 1000, 190),
        _row("in_b2b", "NL", "NL", "NL", 5000, 0, vat_number="NL004495445B01"),  # valid check digits
        _row("in_gb", "GB", "GB", None, 2000, 400, currency="GBP"),
    ]
    split = split_supplies(rows)
    assert sorted(split.by_country) == ["DE", "GB"]
    assert [c["source_id"] for c in split.conflicts] == ["in_conflict"]
    assert [c.source_id for c in split.reverse_charged] == ["in_b2b"]
    assert [s.source_id for s in oss_supplies(split)] == ["in_de"]  # GB is not in the OSS


def test_oss_sum_back_passes_for_a_true_return_and_fails_for_a_wrong_one():
    q3 = Quarter(2025, 3)
    rows = [_row("in_1", "DE", "DE", None, 10_000, 1_900, currency="USD"),
            _row("in_2", "DE", "DE", None, 5_000, 950),
            # credit note in Q3 for a Q2 supply: USD 20.00 -> EUR at 2025-06-30 -> 19% VAT
            _row("cn_1", "DE", "DE", None, -2_000, -380, supply="2025-05-10", currency="USD")]
    ret = build_return(oss_supplies(split_supplies(rows)), q3, RATES)
    (row,), (corr,) = ret.rows, ret.corrections
    # 100.00 USD / 1.1741 = 85.1716...; + 50.00 EUR = 135.17 EUR taxable; VAT 19% = 25.68
    assert (row.taxable_eur_cents, row.vat_eur_cents) == (13_517, 2_568)
    # -20.00 USD / 1.1720 = -17.0648... EUR; x 19% = -3.2423... -> -3.24
    assert (corr.period, corr.vat_eur_cents) == ("2025-Q2", -324)
    by_id = {r["source_id"]: r for r in rows}
    declared = [{"section": "supply", "member_state": "DE", "corrected_period": "", "vat_rate": str(row.rate),
                 "taxable_minor": row.taxable_eur_cents, "vat_minor": row.vat_eur_cents},
                {"section": "correction", "member_state": "DE", "corrected_period": "2025-Q2", "vat_rate": "",
                 "taxable_minor": None, "vat_minor": corr.vat_eur_cents}]
    sources = {("supply", "DE", "", str(row.rate)): [by_id["in_1"], by_id["in_2"]],
               ("correction", "DE", "2025-Q2", ""): [by_id["cn_1"]]}
    assert oss_row_mismatches(declared, sources, RATES, q3) == []
    declared[0]["vat_minor"] += 1
    assert len(oss_row_mismatches(declared, sources, RATES, q3)) == 1


def test_cross_conversion_through_eur():
    # USD 100.00 on 2025-09-30 in GBP: 100 / 1.1741 * 0.87340 = 74.3889... -> 74.39
    assert convert_cross(10_000, "USD", "GBP", RATES, date(2025, 9, 30)) == 7_439
    # a day without a publication takes the last one before it (here 2025-09-30)
    assert convert_cross(10_000, "USD", "GBP", RATES, date(2025, 10, 2)) == 7_439


def test_nexus_windows():
    rows = [{"state": "ca", "reported_on": date(2026, 3, 1), "usd_cents": 500, "source_id": "in_1"},
            {"state": "CA", "reported_on": date(2025, 12, 1), "usd_cents": 700, "source_id": "in_2"},
            {"state": "CA", "reported_on": date(2025, 1, 5), "usd_cents": 900, "source_id": "in_3"}]
    ca = nexus_state_sales(rows, date(2026, 6, 30))["CA"]
    assert ca["cy"] == [500, 1] and ca["py"] == [1_600, 2] and ca["t12"] == [1_200, 2]


def test_profiles_csv_needs_its_columns_and_account_ids():
    good = "account,legal_name,tin_type,tin,is_us,state,backup_withholding\nacct_1,Ada,SSN,432118765,1,oh,0\n"
    (row,) = profile_rows_from_csv(good)
    assert row[0] == "acct_1" and row[4] is True and row[7] == "OH"
    with pytest.raises(ValueError, match="missing columns tin"):
        profile_rows_from_csv("account,legal_name,tin_type,is_us\n")
    with pytest.raises(ValueError, match="line 2: field account"):
        profile_rows_from_csv("account,legal_name,tin_type,tin,is_us\ncus_1,Ada,SSN,1,1\n")
