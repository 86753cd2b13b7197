"""Each feature on frames small enough to count by hand."""
from datetime import datetime as D, timedelta

import polars as pl
import pytest

from pipelines.fraud.features import FEATURE_COLUMNS, charge_features


def charges(rows: list[dict]) -> pl.DataFrame:
    """Defaults: one creator, USD, succeeded, no customer/card/IP/country unless given."""
    base = {"customer_id": None, "creator_account": "acct_A", "card_fingerprint": None,
            "ip_address": None, "card_country": None, "ip_country": None, "billing_country": None,
            "amount": 1000, "currency": "usd", "status": "succeeded"}
    return pl.DataFrame([base | r for r in rows], schema_overrides={
        "customer_id": pl.Utf8, "card_fingerprint": pl.Utf8, "ip_address": pl.Utf8,
        "card_country": pl.Utf8, "ip_country": pl.Utf8, "billing_country": pl.Utf8})


def feature(frame: pl.DataFrame, column: str, **kw) -> list:
    return charge_features(frame, **kw)[column].to_list()


T0 = D(2026, 1, 1, 10, 0)


def test_card_velocity_counts_itself_and_earlier_charges_within_the_hour():
    # card f1 at 10:00, 10:30, 10:59 -> 1, 2, 3; at 11:00 the window [10:00, 11:00] still holds
    # 10:00 -> 4; at 11:01 the 10:00 charge has left -> 10:30, 10:59, 11:00, 11:01 = 4
    minutes = [0, 30, 59, 60, 61]
    frame = charges([{"charge_id": f"ch_{i}", "created_at": T0 + timedelta(minutes=m),
                      "card_fingerprint": "f1"} for i, m in enumerate(minutes)])
    assert feature(frame, "card_charges_1h") == [1, 2, 3, 4, 4]
    assert feature(frame, "card_charges_1d") == [1, 2, 3, 4, 5]


def test_customer_and_ip_velocity_over_a_day_and_unknown_keys():
    frame = charges([
        {"charge_id": "a", "created_at": T0, "customer_id": "cu1", "ip_address": "ip1"},
        {"charge_id": "b", "created_at": T0 + timedelta(hours=5), "customer_id": "cu1", "ip_address": "ip2"},
        {"charge_id": "c", "created_at": T0 + timedelta(hours=24), "customer_id": "cu1", "ip_address": "ip1"},
        {"charge_id": "d", "created_at": T0 + timedelta(hours=25), "customer_id": "cu1", "ip_address": None},
    ])
    # cu1: c at +24h keeps a (exactly 1 day) -> 3; d at +25h: b, c, d -> 3
    assert feature(frame, "customer_charges_1d") == [1, 2, 3, 3]
    assert feature(frame, "customer_charges_1h") == [1, 1, 1, 2]
    # ip1: a, then c 24h later (window includes a) -> 2; unknown IP counts only itself
    assert feature(frame, "ip_charges_1d") == [1, 1, 2, 1]


def test_charges_at_the_same_instant_are_ordered_by_id_not_counted_ahead():
    frame = charges([{"charge_id": "ch_b", "created_at": T0, "card_fingerprint": "f"},
                     {"charge_id": "ch_a", "created_at": T0, "card_fingerprint": "f"}])
    assert feature(frame, "card_charges_1h") == [2, 1]  # ch_a first, then ch_b


def test_country_agreement_flags():
    frame = charges([
        {"charge_id": "same", "created_at": T0, "card_country": "US", "ip_country": "US", "billing_country": "US"},
        {"charge_id": "ip_off", "created_at": T0, "card_country": "US", "ip_country": "FR", "billing_country": "US"},
        {"charge_id": "unknown", "created_at": T0, "card_country": "US", "ip_country": None, "billing_country": "GB"},
        {"charge_id": "case", "created_at": T0, "card_country": "us", "ip_country": "US", "billing_country": "Us"},
    ])
    f = charge_features(frame)
    assert f["card_ip_country_mismatch"].to_list() == [0, 1, 0, 0]
    assert f["ip_billing_country_mismatch"].to_list() == [0, 1, 0, 0]
    assert f["card_billing_country_mismatch"].to_list() == [0, 0, 1, 0]


def test_amount_against_the_customers_usual_uses_earlier_succeeded_same_currency_charges():
    day = timedelta(days=1)
    frame = charges([
        {"charge_id": "old", "created_at": T0 - 91 * day, "customer_id": "c", "amount": 100_000},
        {"charge_id": "s1", "created_at": T0, "customer_id": "c", "amount": 1000},
        {"charge_id": "f1", "created_at": T0 + day, "customer_id": "c", "amount": 2000, "status": "failed"},
        {"charge_id": "s2", "created_at": T0 + 2 * day, "customer_id": "c", "amount": 3000},
        {"charge_id": "eur", "created_at": T0 + 3 * day, "customer_id": "c", "amount": 9000, "currency": "eur"},
        {"charge_id": "now", "created_at": T0 + 3 * day, "customer_id": "c", "amount": 4000},
    ])
    # 'now': succeeded USD charges in the last 90 days = 1000, 3000 -> median 2000 -> 2.0;
    # 'old' is 94 days back, the failed 2000 and the EUR charge do not count.
    # s1: only 'old' is earlier but 91 days back -> no usual -> 1.0; f1: 1000 -> 2.0; s2: 1000 -> 3.0
    # eur: no earlier EUR charge -> 1.0
    assert feature(frame, "amount_to_customer_median") == [1.0, 1.0, 2.0, 3.0, 1.0, 2.0]


def test_amount_against_the_creators_usual_over_30_days():
    day = timedelta(days=1)
    frame = charges([
        {"charge_id": "a", "created_at": T0 - 31 * day, "amount": 50_000},
        {"charge_id": "b", "created_at": T0 - 2 * day, "amount": 1000, "creator_account": "acct_B"},
        {"charge_id": "c", "created_at": T0 - day, "amount": 2000},
        {"charge_id": "d", "created_at": T0 - day, "amount": 4000},
        {"charge_id": "e", "created_at": T0, "amount": 9000},
    ])
    # e: acct_A within 30 days = 2000, 4000 -> median 3000 -> 3.0 (a is 31 days back, b is acct_B)
    # c and d share an instant: neither sees the other (strictly earlier only), but both see a,
    # exactly 30 days earlier (the window [t - 30d, t) includes its start): 2000/50000, 4000/50000
    assert feature(frame, "amount_to_creator_median") == [1.0, 1.0, 0.04, 0.08, 3.0]


def test_customer_age_in_days():
    customers = pl.DataFrame({"customer_id": ["c"], "created_at": [T0 - timedelta(days=2, hours=12)]})
    frame = charges([{"charge_id": "x", "created_at": T0, "customer_id": "c"},
                     {"charge_id": "y", "created_at": T0, "customer_id": "ghost"},
                     {"charge_id": "z", "created_at": T0}])
    f = charge_features(frame, customers=customers)
    assert f["customer_age_days"].to_list() == [2.5, 0.0, 0.0]
    assert f["has_customer"].to_list() == [1, 0, 0]


def test_failed_attempts_in_the_day_before():
    h = timedelta(hours=1)
    frame = charges([
        {"charge_id": "f0", "created_at": T0 - 25 * h, "customer_id": "c", "card_fingerprint": "k", "status": "failed"},
        {"charge_id": "f1", "created_at": T0 - 23 * h, "customer_id": "c", "card_fingerprint": "k", "status": "failed"},
        {"charge_id": "f2", "created_at": T0 - 2 * h, "customer_id": "c", "card_fingerprint": "j", "status": "failed"},
        {"charge_id": "f3", "created_at": T0 - 1 * h, "customer_id": "c", "card_fingerprint": "k", "status": "failed"},
        {"charge_id": "ok", "created_at": T0, "customer_id": "c", "card_fingerprint": "k"},
    ])
    f = charge_features(frame)
    # at 'ok': customer failures in [T0-24h, T0) = f1, f2, f3 -> 3; card k: f1, f3 -> 2 (f0 too old)
    assert f["customer_failed_1d"].to_list()[-1] == 3
    assert f["card_failed_1d"].to_list()[-1] == 2
    # f1 sees f0 (2 hours earlier) -> 1
    assert f["customer_failed_1d"].to_list()[1] == 1


def test_earlier_disputes_and_warnings_of_customer_and_card():
    day = timedelta(days=1)
    frame = charges([
        {"charge_id": "c1", "created_at": T0, "customer_id": "cu", "card_fingerprint": "k1"},
        {"charge_id": "c2", "created_at": T0 + 3 * day, "customer_id": "cu", "card_fingerprint": "k2"},
        {"charge_id": "c3", "created_at": T0 + 5 * day, "customer_id": "cu", "card_fingerprint": "k2"},
        {"charge_id": "c4", "created_at": T0 + 6 * day, "customer_id": "other", "card_fingerprint": "k1"},
    ])
    disputes = pl.DataFrame({"charge_id": ["c1"], "created_at": [T0 + 4 * day], "reason": ["fraudulent"]})
    efws = pl.DataFrame({"charge_id": ["c2"], "created_at": [T0 + 5 * day]})
    f = charge_features(frame, disputes=disputes, early_fraud_warnings=efws)
    # dispute on c1 (cu, k1) dated day 4: c2 (day 3) does not see it; c3 (day 5) sees it by
    # customer; c4 (day 6, other customer, card k1) sees it by card
    assert f["prior_disputes_customer"].to_list() == [0, 0, 1, 0]
    assert f["prior_disputes_card"].to_list() == [0, 0, 0, 1]
    # warning on c2 (cu, k2) dated day 5 exactly when c3 is made: strictly before -> not seen
    assert f["prior_efw_customer"].to_list() == [0, 0, 0, 0]
    assert f["prior_efw_card"].to_list() == [0, 0, 0, 0]


def test_no_label_leakage_from_later_disputes_or_warnings():
    frame = charges([{"charge_id": f"c{i}", "created_at": T0 + timedelta(hours=i), "customer_id": "cu",
                      "card_fingerprint": "k", "amount": 1000 * (i + 1)} for i in range(4)])
    later = T0 + timedelta(days=30)
    disputes = pl.DataFrame({"charge_id": ["c0", "c3"], "created_at": [later, later],
                             "reason": ["fraudulent", "fraudulent"]})
    efws = pl.DataFrame({"charge_id": ["c1"], "created_at": [later]})
    without = charge_features(frame)
    with_labels = charge_features(frame, disputes=disputes, early_fraud_warnings=efws)
    assert without.equals(with_labels)
    assert set(FEATURE_COLUMNS) <= set(with_labels.columns)
    assert with_labels.select(FEATURE_COLUMNS).null_count().sum_horizontal().item() == 0


def test_bad_input_is_named():
    frame = charges([{"charge_id": "c", "created_at": T0}]).with_columns(pl.col("amount").cast(pl.Float64))
    with pytest.raises(TypeError, match="charges.amount is money in integer minor units"):
        charge_features(frame)
    with pytest.raises(ValueError, match="charges: missing columns \\['status'\\]"):
        charge_features(charges([{"charge_id": "c", "created_at": T0}]).drop("status"))
