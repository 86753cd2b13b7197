"""Hand-worked 1099 cases: thresholds at and just over each limit, a 12-month creator,
refunds that must not reduce 1a, a JPY fan, backup withholding, TIN exceptions."""
import os
import stat
from decimal import Decimal

import pytest

from tax_forms.privacy import write_private
from tax_forms.thresholds import federal_required, state_filing_flag, THRESHOLDS
from tax_forms.tin import check_tin, mask_tin
from tax_forms.us_1099 import (
    Compensation, Payment, Recipient, aggregate_1099k, backup_withholding, build_1099k,
    build_1099nec, payments_from_charges, payments_from_rows, recipients_from_rows, usd_cents,
)


@pytest.mark.parametrize("year, cents, count, expected", [
    (2024, 500_000, 1, False),      # exactly $5,000: not over
    (2024, 500_001, 1, True),       # $5,000.01, one transaction: no count test in 2024
    (2025, 2_000_000, 500, False),  # exactly $20,000
    (2025, 2_000_001, 200, False),  # over $20,000 but exactly 200 transactions
    (2025, 2_000_001, 201, True),
    (2026, 2_000_000, 201, False),
    (2026, 2_000_001, 201, True),
])
def test_1099k_federal_threshold(year, cents, count, expected):
    assert federal_required("1099-K", year, cents, count) is expected


@pytest.mark.parametrize("year, cents, expected", [
    (2024, 59_999, False), (2024, 60_000, True),
    (2025, 59_999, False), (2025, 60_000, True),
    (2026, 60_000, False), (2026, 199_999, False), (2026, 200_000, True),
])
def test_1099nec_threshold(year, cents, expected):
    assert federal_required("1099-NEC", year, cents) is expected


def test_state_thresholds_2025():
    assert state_filing_flag("1099-K", "MA", 2025, 60_000, 1)
    assert not state_filing_flag("1099-K", "MA", 2025, 59_999, 1)
    assert state_filing_flag("1099-K", "IL", 2025, 100_001, 4)
    assert not state_filing_flag("1099-K", "IL", 2025, 100_001, 3)
    assert not state_filing_flag("1099-K", "IL", 2025, 100_000, 4)
    assert state_filing_flag("1099-K", "AR", 2025, 250_001, 1)
    assert not state_filing_flag("1099-K", "AR", 2025, 250_000, 1)
    assert not state_filing_flag("1099-K", "TX", 2025, 10_000_000, 999)
    assert all(rule.source for rule in THRESHOLDS)


def _twelve_month_payments():
    # month m: one payment of m x $100.01; odd months card-not-present
    return [Payment(f"ch_{m}", "acct_A", f"2024-{m:02d}-15", 10_001 * m, card_not_present=m % 2 == 1)
            for m in range(1, 13)]


def test_creator_with_sales_in_twelve_months():
    form = aggregate_1099k(_twelve_month_payments(), 2024)["acct_A"]
    assert form.months_5 == [10_001 * m for m in range(1, 13)]
    assert form.gross_1a == 780_078  # 78 x 10,001 = $7,800.78
    assert form.gross_1a == sum(form.months_5)
    assert form.card_not_present_1b == 360_036  # (1+3+5+7+9+11) x 10,001
    assert form.transactions_3 == 12
    assert form.mcc_2 == "5815"
    assert form.sources["5c"] == ["ch_3"]
    assert sorted(form.sources["1a"]) == sorted(f"ch_{m}" for m in range(1, 13))


def test_refunds_do_not_reduce_gross():
    charges = [
        {"id": "ch_1", "status": "succeeded", "amount": 3000, "amount_refunded": 3000, "refunded": True,
         "currency": "usd", "created": 1718000000, "transfer_data": {"destination": "acct_A"},
         "payment_method_details": {"type": "card"}},
        {"id": "ch_2", "status": "succeeded", "amount": 1500, "amount_refunded": 500,
         "currency": "usd", "created": 1718000000,
         "transfer_data": {"destination": {"id": "acct_A", "object": "account"}},  # expanded
         "payment_method_details": {"type": "card"}},
        {"id": "ch_3", "status": "failed", "amount": 9999, "amount_refunded": 0,
         "currency": "usd", "created": 1718000000, "transfer_data": {"destination": "acct_A"}},
    ]
    charges.append({"id": "ch_4", "status": "succeeded", "amount": 700, "amount_refunded": 0, "currency": "usd",
                    "created": 1718000000, "transfer_data": {"destination": "acct_A"},
                    "payment_method_details": {"type": "us_bank_account"}})
    form = aggregate_1099k(payments_from_charges(charges, {}), 2024)["acct_A"]
    assert form.gross_1a == 5200  # $30 fully refunded + $15 partly refunded still count in full, + $7 bank
    assert form.card_not_present_1b == 4500  # the bank debit is not a card payment
    assert form.transactions_3 == 3
    assert form.months_5[5] == 5200  # 1718000000 = 2024-06-10 UTC


def test_jpy_fan_converted_to_usd():
    # 12,345 JPY x 0.006789 USD/JPY = 83.810205 USD -> $83.81
    assert usd_cents(12_345, "JPY", Decimal("0.006789")) == 8381
    # 1,235 JPY x 0.0069 = 8.5215 -> half-up to $8.52
    assert usd_cents(1_235, "JPY", "0.0069") == 852
    charges = [{"id": "ch_jp", "status": "succeeded", "amount": 12_345, "currency": "jpy",
                "created": 1735732800, "transfer_data": {"destination": "acct_J"}}]
    [payment] = payments_from_charges(charges, {"JPY": Decimal("0.006789")})
    assert payment.amount_cents == 8381
    with pytest.raises(ValueError, match="ch_jp: no USD rate for currency JPY"):
        payments_from_charges(charges, {})


def test_backup_withholding_and_recipients():
    assert backup_withholding(780_078) == 187_219  # $7,800.78 x 24% = $1,872.1872 -> $1,872.19
    recipients = [
        Recipient("acct_A", "Ada Lovelace", "536-90-4399", "SSN", state="NY", backup_withholding=True),
    ]
    result = build_1099k(_twelve_month_payments(), recipients, 2024)
    [form] = result.forms
    assert form.withholding_4 == 187_219
    assert form.federal_required and not result.exceptions


def test_invalid_and_missing_tins_go_to_exceptions_masked():
    pays = [Payment("ch_x", "acct_X", "2024-03-01", 600_000), Payment("ch_y", "acct_Y", "2024-03-01", 600_000),
            Payment("ch_z", "acct_Z", "2024-03-01", 600_000)]
    recipients = [Recipient("acct_X", "X", "078-05-1120", "SSN"), Recipient("acct_Y", "Y", None)]
    result = build_1099k(pays, recipients, 2024)
    assert result.forms == []
    by_id = {e.recipient_id: e for e in result.exceptions}
    assert by_id["acct_X"].masked_tin == "***-**-1120"
    assert "078" not in repr(by_id["acct_X"]) and "24%" in by_id["acct_X"].consequence
    assert by_id["acct_Y"].reason == "missing TIN"
    assert "acct_Z" not in by_id and result.no_us_profile == ["acct_Z"]


def test_state_only_recipient_is_flagged_not_federal():
    pays = [Payment(f"ch_{i}", "acct_M", "2025-05-01", 5_000) for i in range(30)]  # $1,500, 30 tx
    result = build_1099k(pays, [Recipient("acct_M", "M", "536-90-4399", "SSN", state="MA", backup_withholding=True)], 2025)
    assert result.federal_forms == []
    [form] = result.state_only_forms
    assert form.state_filing_flag and form.state_6 == "MA" and form.gross_1a == 150_000
    assert form.withholding_4 == 0  # below the federal threshold: no backup withholding


def test_1099nec_bonuses():
    items = [Compensation("tr_1", "acct_A", "2025-02-01", 40_000), Compensation("tr_2", "acct_A", "2025-11-30", 20_000),
             Compensation("tr_3", "acct_B", "2025-11-30", 59_999)]
    recipients = [Recipient("acct_A", "A", "91-1144442", "EIN", backup_withholding=True),
                  Recipient("acct_B", "B", "536-90-4399", "SSN")]
    result = build_1099nec(items, recipients, 2025)
    [form] = result.forms
    assert (form.recipient_id, form.compensation_1, form.withholding_4) == ("acct_A", 60_000, 14_400)
    assert form.sources["1"] == ["tr_1", "tr_2"]
    assert result.below_threshold == ["acct_B"]


def test_tins_stay_out_of_reprs():
    recipient = Recipient("acct_A", "Ada", "536-90-4399", "SSN")
    assert "4399" not in repr(recipient) and "536" not in repr(check_tin(recipient.tin))


def test_tin_rules_and_masks():
    assert check_tin("536-90-4399").kind == "SSN"
    assert check_tin("912-70-1234").kind == "ITIN"
    assert check_tin("91-1144442").kind == "EIN"
    assert not check_tin("000-12-3456").valid
    assert not check_tin("12345").valid
    assert mask_tin("536904399") == "***-**-4399"
    assert mask_tin("91-1144442", "EIN") == "**-***4442"


def test_write_private_is_owner_only(tmp_path):
    old = os.umask(0)
    try:
        path = write_private(tmp_path / "tax" / "2025" / "fire.txt", "B536904399")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    write_private(path, b"again")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_bytes() == b"again"


def test_rows_from_a_polars_frame():
    import polars as pl
    frame = pl.DataFrame({"source_id": ["ch_1", "ch_2"], "recipient_id": ["acct_A", "acct_A"],
                          "paid_on": ["2024-01-31", "2024-02-01"], "amount_cents": [250_001, 250_000]})
    form = aggregate_1099k(payments_from_rows(frame.iter_rows(named=True)), 2024)["acct_A"]
    assert (form.gross_1a, form.months_5[0], form.months_5[1]) == (500_001, 250_001, 250_000)
    with pytest.raises(ValueError, match="payment ch_x: field amount_cents must be integer cents"):
        payments_from_rows([{"source_id": "ch_x", "recipient_id": "a", "paid_on": "2024-01-01", "amount_cents": 1.5}])


def test_recipients_from_sandbox_tax_profiles():
    rows = [
        {"account": "acct_1", "legal_name": "Ada L", "tin_type": "SSN", "tin": "536-90-4399", "is_us": 1,
         "address_line1": "1 A St", "city": "Austin", "state": "tx", "postal_code": "73301", "country": "US",
         "backup_withholding": 0},
        {"account": "acct_2", "legal_name": "Bo", "tin_type": None, "tin": None, "is_us": 0,
         "address_line1": "2 B St", "city": "Lyon", "state": None, "postal_code": "69001", "country": "FR",
         "backup_withholding": 0},
    ]
    [r] = recipients_from_rows(rows)
    assert (r.recipient_id, r.name, r.state, r.zip_code, r.backup_withholding) == ("acct_1", "Ada L", "TX", "73301", False)
