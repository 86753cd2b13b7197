"""Hand-worked numbers for the simulator's pure money rules (no world needed)."""
from __future__ import annotations

import calendar
import random
from decimal import Decimal

import pytest
from stdnum.us import ein, ssn

from pipelines.sandbox import people
from pipelines.sandbox.catalogue import add_months, nice_minor, period_end
from pipelines.sandbox.fx import FxWalk
from pipelines.sandbox.ids import IdMaker
from pipelines.sandbox.payments import split_destination_charge, stripe_fee_details
from pipelines.sandbox.world import Balance


@pytest.mark.parametrize("amount, tax, rate, fixed, fee, transfer", [
    # $15.00, standard 5%: 75 commission + 43.5->44 card + 30 fixed = 149
    (1500, 0, "0.05", 30, 149, 1351),
    # €4.50 + 19% German VAT (85.5->86) = 536; 30 US cents at 0.92 = 27.6->28 euro cents;
    # commission 5% of 450 = 22.5->23; card 2.9% of 536 = 15.544->16: 86+23+16+28 = 153
    (536, 86, "0.05", 28, 153, 383),
    # $50.00, premium 3%: 150 + 145 + 30 = 325
    (5000, 0, "0.03", 30, 325, 4675),
    # $0.30: 1.5->2 + 0.87->1 + 30 = 33 > 30, capped at the amount
    (30, 0, "0.05", 30, 30, 0),
])
def test_split_destination_charge(amount, tax, rate, fixed, fee, transfer):
    assert split_destination_charge(amount, tax, Decimal(rate), fixed) == (fee, transfer)


def test_stripe_fee_details():
    # US card, USD: 1500 x 2.9% = 43.5 -> 44, + 30
    assert stripe_fee_details(1500, "US", "usd")[0]["amount"] == 74
    # German card, EUR charge settled as 583 US cents: 583 x 5.4% = 31.482 -> 31, + 30
    details = stripe_fee_details(583, "DE", "eur")
    assert details[0]["amount"] == 61 and details[0]["currency"] == "usd" and details[0]["type"] == "stripe_fee"


def test_nice_local_prices():
    assert nice_minor(Decimal(5), "usd") == 500
    assert nice_minor(Decimal(5), "jpy") == 750      # 5 x 151 = 755 -> ¥750
    assert nice_minor(Decimal(5), "krw") == 7000     # 5 x 1385 = 6925 -> ₩7,000
    assert nice_minor(Decimal(5), "eur") == 450      # 4.60 -> €4.50
    assert nice_minor(Decimal(5), "gbp") == 400      # 3.95 -> £4.00


def test_billing_periods():
    jan31 = calendar.timegm((2026, 1, 31, 10, 0, 0))
    assert add_months(jan31, 1, 31) == calendar.timegm((2026, 2, 28, 10, 0, 0))
    assert add_months(calendar.timegm((2026, 2, 28, 10, 0, 0)), 1, 31) == calendar.timegm((2026, 3, 31, 10, 0, 0))
    assert period_end(jan31, "quarter", 31) == calendar.timegm((2026, 4, 30, 10, 0, 0))
    assert period_end(jan31, "week", 31) == jan31 + 7 * 86400
    assert add_months(calendar.timegm((2026, 11, 1, 0, 0, 0)), -6, 1) == calendar.timegm((2026, 5, 1, 0, 0, 0))


def test_balance_pending_then_available():
    bal = Balance("usd")
    bal.add(1000, available_on=200, now=100)
    bal.add(-300, available_on=100, now=100)   # debits are available at once
    assert (bal.available, bal.pending_total) == (-300, 1000)
    bal.release(200)
    assert (bal.available, bal.pending_total) == (700, 0)


def test_fx_walk_is_seeded_and_stays_near_its_anchor():
    a, b = FxWalk(3), FxWalk(3)
    for _ in range(365):
        a.step()
        b.step()
    assert a.per_usd == b.per_usd
    assert Decimal("0.75") < a.per_usd["EUR"] < Decimal("1.10")
    assert a.rate("EUR", "EUR") == 1
    assert a.per_usd["BGN"] / a.per_usd["EUR"] == pytest.approx(Decimal("1.80") / Decimal("0.92"), rel=Decimal("0.001"))


def test_ids_and_identifiers():
    ids = IdMaker(1)
    first = ids.new("ch_")
    assert first.startswith("ch_") and len(first) == 27 and first[3:].isalnum()
    assert IdMaker(1).new("ch_") == first
    rng = random.Random(5)
    assert ssn.is_valid(people.ssn(rng)) and ein.is_valid(people.ein(rng))
    for country in sorted(people.VAT_COUNTRIES):
        assert people.vat_number_is_valid(people.vat_number(rng, country, valid=True))
        assert not people.vat_number_is_valid(people.vat_number(rng, country, valid=False))
    assert people.VAT_RATES["DE"] == Decimal("0.19") and people.VAT_RATES["HU"] == Decimal("0.27")
