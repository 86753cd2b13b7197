"""Hand-worked cases for schedules, minimums and the instant fee."""
from datetime import date
from decimal import Decimal

import pytest

from pipelines.payouts.config import PayoutRules
from pipelines.payouts.fees import instant_fee, largest_instant_payout
from pipelines.payouts.fx import FxRates
from pipelines.payouts.minimums import instant_minimum, minimum_minor, standard_minimum
from pipelines.payouts.schedule import (PayoutSchedule, is_due, monthly_pay_day,
                                        schedule_from_stripe)

# --- schedules -------------------------------------------------------------------------------

def test_monthly_anchor_31_falls_back_to_february_28_and_29():
    assert monthly_pay_day(31, 2026, 2) == date(2026, 2, 28)
    assert monthly_pay_day(31, 2028, 2) == date(2028, 2, 29)   # 2028 is a leap year
    assert monthly_pay_day(31, 2026, 4) == date(2026, 4, 30)
    assert monthly_pay_day(29, 2026, 2) == date(2026, 2, 28)
    assert monthly_pay_day(15, 2026, 2) == date(2026, 2, 15)


def test_monthly_anchor_31_is_due_only_on_the_months_last_day():
    s = PayoutSchedule("monthly", monthly_days=(31,))
    assert is_due(s, date(2026, 2, 28))
    assert not is_due(s, date(2026, 2, 27))
    assert is_due(s, date(2028, 2, 29))
    assert not is_due(s, date(2028, 2, 28))
    assert is_due(s, date(2026, 1, 31))
    assert not is_due(s, date(2026, 1, 30))
    assert is_due(s, date(2026, 4, 30))


def test_monthly_anchor_30_in_a_31_day_month_is_the_30th_only():
    s = PayoutSchedule("monthly", monthly_days=(30,))
    assert is_due(s, date(2026, 3, 30))
    assert not is_due(s, date(2026, 3, 31))


def test_weekly_anchor_friday():
    s = PayoutSchedule("weekly", weekly_days=("friday",))
    assert is_due(s, date(2026, 11, 27))          # a Friday
    assert not is_due(s, date(2026, 11, 28))      # Saturday
    assert not is_due(s, date(2026, 11, 23))      # Monday
    assert is_due(s, date(2026, 12, 4))           # the next Friday


def test_daily_is_always_due_and_manual_never():
    assert is_due(PayoutSchedule("daily"), date(2026, 12, 25))
    assert not is_due(PayoutSchedule("manual"), date(2026, 12, 25))


def test_schedule_from_stripe_account_settings():
    s = schedule_from_stripe({"delay_days": 2, "interval": "weekly", "weekly_anchor": "friday"})
    assert s == PayoutSchedule("weekly", weekly_days=("friday",))
    s = schedule_from_stripe({"interval": "monthly", "monthly_anchor": 31})
    assert s.monthly_days == (31,)
    s = schedule_from_stripe({"interval": "weekly", "weekly_anchor": "monday",
                              "weekly_payout_days": ["monday", "thursday"]})
    assert s.weekly_days == ("monday", "thursday")
    with pytest.raises(ValueError, match="acct_9.*weekly anchor"):
        schedule_from_stripe({"interval": "weekly"}, "acct_9")
    with pytest.raises(ValueError, match="1-31"):
        schedule_from_stripe({"interval": "monthly", "monthly_anchor": 32})

# --- minimums --------------------------------------------------------------------------------

RULES = PayoutRules()


def test_usd_minimum_is_2500_cents_and_10000_for_instant():
    assert standard_minimum(RULES, "USD", None) == 2500
    assert instant_minimum(RULES, "usd", None) == 10000


def test_jpy_minimum_rounds_up_so_it_is_never_below_25_dollars():
    # $25 x 149.37 = ¥3,734.25. Half-up would be ¥3,734 = $24.998; the minimum rounds UP: ¥3,735.
    fx = FxRates(date(2026, 11, 27), "USD", {"JPY": Decimal("149.37")})
    assert standard_minimum(RULES, "JPY", fx) == 3735
    # $100 x 149.37 = ¥14,937 exactly: nothing to round.
    assert instant_minimum(RULES, "JPY", fx) == 14937


def test_jpy_minimum_through_ecb_euro_cross_rates():
    # ECB: 1 EUR = 162.06 JPY = 1.0850 USD. $25 = 25 x 162.06 / 1.085 = ¥3,734.1014 -> ¥3,735.
    fx = FxRates(date(2026, 11, 27), "EUR", {"JPY": Decimal("162.06"), "USD": Decimal("1.0850")})
    assert standard_minimum(RULES, "JPY", fx) == 3735
    # 163.50 / 1.09 = 150 exactly, so $25 = ¥3,750 with no upward step (exact arithmetic).
    fx = FxRates(date(2026, 11, 27), "EUR", {"JPY": Decimal("163.50"), "USD": Decimal("1.09")})
    assert standard_minimum(RULES, "JPY", fx) == 3750


def test_eur_minimum_rounds_up_to_the_cent():
    # 1 EUR = 1.0850 USD: $25 = 23.041474... EUR. Half-up: 23.04 EUR = $24.998 (too little);
    # up: 23.05 EUR = $25.009. $100 = 92.165898... EUR -> 92.17 EUR.
    fx = FxRates(date(2026, 11, 27), "EUR", {"USD": Decimal("1.0850")})
    assert standard_minimum(RULES, "EUR", fx) == 2305
    assert instant_minimum(RULES, "EUR", fx) == 9217


def test_three_decimal_currency_minimum():
    # 1 USD = 0.376 BHD exactly (per USD base): $25 = 9.400 BHD = 9400 fils.
    fx = FxRates(date(2026, 11, 27), "USD", {"BHD": Decimal("0.376")})
    assert minimum_minor(Decimal("25"), "USD", "BHD", fx) == 9400


def test_minimum_needs_the_rate_of_the_day():
    with pytest.raises(ValueError, match="FX rates"):
        standard_minimum(RULES, "EUR", None)
    fx = FxRates(date(2026, 11, 27), "EUR", {"USD": Decimal("1.0850")})
    with pytest.raises(KeyError, match="GBP on 2026-11-27"):
        standard_minimum(RULES, "GBP", fx)
    with pytest.raises(TypeError):
        FxRates(date(2026, 11, 27), "EUR", {"USD": 1.085})

# --- instant fee -----------------------------------------------------------------------------

def test_instant_fee_is_one_percent_half_up():
    assert instant_fee(12345, Decimal("0.01")) == 123     # 123.45 -> 123
    assert instant_fee(12350, Decimal("0.01")) == 124     # 123.50 -> 124 (half-up)
    assert instant_fee(10000, Decimal("0.015")) == 150
    assert instant_fee(14937, Decimal("0.01")) == 149     # ¥149.37 -> ¥149
    with pytest.raises(TypeError):
        instant_fee(12345, 0.01)


def test_instant_fee_floor_is_half_a_major_unit():
    assert instant_fee(4000, Decimal("0.01"), Decimal("0.50"), "USD") == 50   # 40 -> floor 50
    assert instant_fee(5001, Decimal("0.01"), Decimal("0.50"), "USD") == 50   # 50.01 -> 50
    assert instant_fee(30, Decimal("0.01"), Decimal("0.50"), "JPY") == 1      # ¥0.50 -> ¥1
    assert instant_fee(1000, Decimal("0.01"), Decimal("0.50"), "BHD") == 500  # 0.500 BHD


def test_largest_instant_payout_that_fits_with_its_fee():
    # 20,000 payable: 19,802 + fee 198 (198.02 half-up) = 20,000; 19,803 + 198 = 20,001 is too much.
    assert largest_instant_payout(20000, Decimal("0.01")) == 19802
    # 5,000 payable: 4,950 + 50 (49.50 half-up) = 5,000; 4,951 + 50 = 5,001.
    assert largest_instant_payout(5000, Decimal("0.01")) == 4950
    # 60 payable with the 50 floor: 10 + 50.
    assert largest_instant_payout(60, Decimal("0.01"), Decimal("0.50"), "USD") == 10
    assert largest_instant_payout(50, Decimal("0.01"), Decimal("0.50"), "USD") == 0
    assert largest_instant_payout(-5, Decimal("0.01")) == 0


def test_rules_refuse_floats():
    with pytest.raises(TypeError, match="minimum_standard"):
        PayoutRules(minimum_standard=25.0)
