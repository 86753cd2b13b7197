"""Programme lines at / just over / just under, before and after 2026-04-01; creator risk rows."""
from datetime import date, datetime as D

import polars as pl
import pytest

from pipelines.fraud.monitoring import (
    creator_risk,
    platform_fraud_rate,
    programme_status,
    threshold_for,
)

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


def test_vamp_line_changes_on_2026_04_01():
    assert threshold_for("visa_vamp", date(2025, 5, 1)) is None
    assert str(threshold_for("visa_vamp", date(2025, 6, 1)).ratio) == "0.022"
    assert str(threshold_for("visa_vamp", MARCH).ratio) == "0.022"
    assert str(threshold_for("visa_vamp", APRIL).ratio) == "0.015"
    assert programme_status("visa_vamp", date(2025, 5, 1), 5000, 10000) == "not_in_force"


@pytest.mark.parametrize("month,count,denominator,expected", [
    # 2.2% line in March 2026: 2,200 / 100,000 is exactly 2.2% -> over; 2,201 just over
    (MARCH, 2200, 100_000, "over"),
    (MARCH, 2201, 100_000, "over"),
    # 2,199 / 100,000 = 2.199%: just under; >= 80% of 2.2% (1.76%) with >= 1,200 events -> near
    (MARCH, 2199, 100_000, "near"),
    # 2% is under the March line but over the April line of 1.5%
    (MARCH, 2000, 100_000, "near"),
    (APRIL, 2000, 100_000, "over"),
    # April: 1,500 / 100,000 = 1.5% exactly with exactly 1,500 events -> over
    (APRIL, 1500, 100_000, "over"),
    # 1,499 events: ratio fine (1.499% < 1.5% anyway) and count under 1,500 -> near
    (APRIL, 1499, 100_000, "near"),
    # the count rule: 15% ratio but only 1,499 events -> not over
    (APRIL, 1499, 10_000, "near"),
    # 80% lines: 1,200 events at 1.2% -> near; 1,199 events -> ok
    (APRIL, 1200, 100_000, "near"),
    (APRIL, 1199, 100_000, "ok"),
    (APRIL, 0, 0, "no_volume"),
])
def test_vamp_status(month, count, denominator, expected):
    assert programme_status("visa_vamp", month, count, denominator) == expected


@pytest.mark.parametrize("programme,count,prev_sales,expected", [
    ("mastercard_ecm", 150, 10_000, "over"),   # exactly 1.5% and >= 100
    ("mastercard_ecm", 100, 6_666, "over"),    # 1.50015%, exactly 100 chargebacks
    ("mastercard_ecm", 100, 6_667, "near"),    # 1.49993%: just under
    ("mastercard_ecm", 99, 6_000, "near"),     # 1.65% but 99 chargebacks: just under the count
    ("mastercard_ecm", 79, 1_000, "ok"),       # 7.9% but 79 < 80% of 100
    ("mastercard_hecm", 300, 10_000, "over"),  # exactly 3% and 300
    ("mastercard_hecm", 300, 10_001, "near"),  # 2.9997%
    ("mastercard_hecm", 299, 9_000, "near"),   # 3.3% but 299 chargebacks
])
def test_mastercard_status(programme, count, prev_sales, expected):
    assert programme_status(programme, APRIL, count, prev_sales) == expected


def world():
    """acct_A: March 10 Mastercard + 5 Visa successes; April 4 Visa successes, 1 failed Visa,
    2 Mastercard successes. Disputes: m1 fraudulent Apr 3, v1 product_not_received Apr 10,
    v2 fraudulent Mar 20. Warnings: v1 Apr 2, v6 Apr 15."""
    rows = []
    for i in range(1, 11):
        rows.append(("m%d" % i, D(2026, 3, i), "mastercard", "succeeded"))
    for i in range(1, 6):
        rows.append(("v%d" % i, D(2026, 3, 10 + i), "visa", "succeeded"))
    for i in range(6, 10):
        rows.append(("v%d" % i, D(2026, 4, i), "visa", "succeeded"))
    rows.append(("v10", D(2026, 4, 20), "visa", "failed"))
    rows += [("m11", D(2026, 4, 11), "mastercard", "succeeded"), ("m12", D(2026, 4, 12), "mastercard", "succeeded")]
    charges = pl.DataFrame({"charge_id": [r[0] for r in rows], "created_at": [r[1] for r in rows],
                            "card_network": [r[2] for r in rows], "status": [r[3] for r in rows],
                            "creator_account": "acct_A", "amount": 1500, "currency": "usd"})
    disputes = pl.DataFrame({"charge_id": ["m1", "v1", "v2"],
                             "created_at": [D(2026, 4, 3), D(2026, 4, 10), D(2026, 3, 20)],
                             "reason": ["fraudulent", "product_not_received", "fraudulent"]})
    efws = pl.DataFrame({"charge_id": ["v1", "v6"], "created_at": [D(2026, 4, 2), D(2026, 4, 15)]})
    return charges, disputes, efws


def test_creator_risk_rows_by_dispute_date():
    charges, disputes, efws = world()
    scores = pl.DataFrame({"charge_id": ["v6", "v7", "v8", "v9", "m11", "m12"],
                           "score": [0.1, 0.2, 0.3, 0.4, 0.5, 0.9]})
    risk = {r["month"]: r for r in creator_risk(charges, disputes, efws, scores).to_dicts()}
    april = risk[APRIL]
    # 6 successes; disputes dated April: m1, v1 -> 2/6; fraud: m1 (dispute), v1 and v6 (warnings) -> 3/6
    assert (april["charges"], april["disputes"], april["fraud"]) == (6, 2, 3)
    assert april["dispute_rate"] == pytest.approx(2 / 6) and april["fraud_rate"] == 0.5
    # VAMP: 4 Visa successes; v1 dispute + v1, v6 warnings = 3 events (no de-duplication)
    assert (april["visa_charges"], april["vamp_count"], april["vamp_ratio"]) == (4, 3, 0.75)
    # Mastercard: 1 chargeback in April over 10 March sales
    assert (april["mastercard_chargebacks"], april["mastercard_prev_charges"]) == (1, 10)
    assert april["mastercard_ratio"] == pytest.approx(0.1)
    # counts far below the programmes' minimums, but (2 + 3) / 6 is over 1.5% -> watch
    assert (april["vamp_status"], april["ecm_status"], april["status"]) == ("ok", "ok", "watch")
    # scores of April's charges 0.1 .. 0.5, 0.9: p50 = (0.3+0.4)/2; p95 at 4.75 -> 0.5 + 0.75 x 0.4
    assert april["score_p50"] == pytest.approx(0.35) and april["score_p95"] == pytest.approx(0.8)
    march = risk[MARCH]
    assert (march["charges"], march["disputes"], march["fraud"], march["vamp_count"]) == (15, 1, 1, 1)
    assert march["ecm_status"] == "no_volume"  # no Mastercard sales in February
    assert march["score_p50"] is None
    deduped = {r["month"]: r for r in creator_risk(charges, disputes, efws, dedupe=True).to_dicts()}
    assert deduped[APRIL]["vamp_count"] == 2  # v1 once, v6


def test_creator_over_a_programme_is_held():
    n = 1600
    charges = pl.DataFrame({"charge_id": [f"c{i}" for i in range(100_000)],
                            "created_at": [D(2026, 4, 1 + i % 28) for i in range(100_000)],
                            "card_network": "visa", "status": "succeeded", "creator_account": "acct_B",
                            "amount": 500, "currency": "usd"})
    disputes = pl.DataFrame({"charge_id": [f"c{i}" for i in range(n)], "created_at": D(2026, 4, 29),
                             "reason": "fraudulent"})
    row = creator_risk(charges, disputes, None).row(0, named=True)
    # 1,600 / 100,000 = 1.6% >= 1.5% with 1,600 >= 1,500 events
    assert (row["vamp_count"], row["vamp_status"], row["status"]) == (1600, "over", "hold")


def test_platform_fraud_rate_against_the_goal():
    charges, disputes, efws = world()
    rows = {r["month"]: r for r in platform_fraud_rate(charges, disputes, efws).to_dicts()}
    assert (rows[MARCH]["charges"], rows[MARCH]["fraud"]) == (15, 1)
    assert (rows[APRIL]["charges"], rows[APRIL]["fraud"], rows[APRIL]["fraud_rate"]) == (6, 3, 0.5)
    assert rows[APRIL]["meets_goal"] is False


@pytest.mark.parametrize("n_charges,meets", [(1000, False), (1001, True)])
def test_platform_goal_is_strictly_under_one_in_a_thousand(n_charges, meets):
    charges = pl.DataFrame({"charge_id": [f"c{i}" for i in range(n_charges)],
                            "created_at": D(2026, 5, 2), "status": "succeeded",
                            "creator_account": "acct_A", "amount": 100, "currency": "usd"})
    efws = pl.DataFrame({"charge_id": ["c0"], "created_at": [D(2026, 5, 9)]})
    row = platform_fraud_rate(charges, None, efws).row(0, named=True)
    assert row["fraud"] == 1 and row["meets_goal"] is meets
