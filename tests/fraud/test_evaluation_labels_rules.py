"""AUC, threshold metrics, calibration, labels and rules, worked by hand."""
from datetime import datetime as D

import polars as pl
import pytest

from pipelines.fraud.evaluation import at_threshold, auc, calibration_table
from pipelines.fraud.labels import fraud_labels
from pipelines.fraud.rules import RULES, rule_hits, rule_report


def test_auc_by_pairs():
    # positives 0.9 and 0.3, negatives 0.8 and 0.1: pairs won 0.9>0.8, 0.9>0.1, 0.3>0.1,
    # lost 0.3<0.8 -> 3/4
    assert auc([1, 0, 1, 0], [0.9, 0.8, 0.3, 0.1]) == 0.75
    assert auc([1, 0], [0.5, 0.5]) == 0.5  # a tie counts half
    assert auc([0, 0], [0.1, 0.2]) is None


def test_precision_and_recall_at_the_threshold():
    # flagged (>= 0.5): 0.9 (fraud), 0.6 (legit), 0.5 (fraud, at the line) -> precision 2/3;
    # frauds 0.9, 0.4, 0.5 -> recall 2/3
    m = at_threshold([1, 0, 1, 0, 1], [0.9, 0.6, 0.4, 0.2, 0.5], 0.5)
    assert (m.flagged, m.true_positives) == (3, 2)
    assert m.precision == pytest.approx(2 / 3) and m.recall == pytest.approx(2 / 3)
    none = at_threshold([0, 0], [0.1, 0.2], 0.5)
    assert none.precision is None and none.recall is None


def test_calibration_bins_by_score():
    scores = [0.05, 0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9]
    labels = [0, 0, 0, 1, 0, 1, 1, 1]
    table = calibration_table(labels, scores, bins=4)
    assert [(b.n, b.positives) for b in table] == [(2, 0), (2, 1), (2, 1), (2, 2)]
    assert table[1].mean_score == pytest.approx(0.25) and table[1].observed_rate == 0.5
    assert table[3].mean_score == pytest.approx(0.85)


def test_fraud_labels_from_fraud_disputes_and_warnings():
    disputes = pl.DataFrame({"charge_id": ["a", "b", "c"],
                             "created_at": [D(2026, 2, 1), D(2026, 2, 2), D(2026, 2, 9)],
                             "reason": ["fraudulent", "product_not_received", "fraudulent"]})
    efws = pl.DataFrame({"charge_id": ["c", "d"], "created_at": [D(2026, 2, 3), D(2026, 2, 4)]})
    labels = fraud_labels(pl.Series(["a", "b", "c", "d", "e"]), disputes, efws)
    assert labels["is_fraud"].to_list() == [1, 0, 1, 1, 0]
    # c: warning on Feb 3 came before its dispute on Feb 9 -> known from Feb 3
    assert labels["labelled_at"].to_list() == [D(2026, 2, 1), None, D(2026, 2, 3), D(2026, 2, 4), None]


def features_for_rules() -> pl.DataFrame:
    base = {"card_charges_1h": 1, "ip_charges_1h": 1, "card_ip_country_mismatch": 0,
            "card_billing_country_mismatch": 0, "status": "succeeded", "customer_failed_1d": 0,
            "card_failed_1d": 0, "amount_to_customer_median": 1.0, "has_customer": 1,
            "customer_age_days": 30.0, "amount_to_creator_median": 1.0, "prior_disputes_customer": 0,
            "prior_disputes_card": 0, "prior_efw_customer": 0, "prior_efw_card": 0}
    rows = [
        {"charge_id": "burst_card", "card_charges_1h": 5},           # at the line -> hit
        {"charge_id": "burst_ip", "ip_charges_1h": 6},
        {"charge_id": "almost_burst", "card_charges_1h": 4, "ip_charges_1h": 4},
        {"charge_id": "abroad", "card_ip_country_mismatch": 1},
        {"charge_id": "retry", "card_failed_1d": 3},
        {"charge_id": "retry_failed", "card_failed_1d": 3, "status": "failed"},  # not a success
        {"charge_id": "spike", "amount_to_customer_median": 5.0},
        {"charge_id": "new_big", "customer_age_days": 0.5, "amount_to_creator_median": 3.0},
        {"charge_id": "history", "prior_efw_card": 1},
        {"charge_id": "clean"},
    ]
    return pl.DataFrame([base | r for r in rows])


def test_each_rule_fires_on_its_case_only():
    hits = rule_hits(features_for_rules())
    fired = dict(zip(hits["charge_id"], hits["rule_hits"].to_list()))
    assert fired == {
        "burst_card": ["card_testing_burst"], "burst_ip": ["card_testing_burst"], "almost_burst": [],
        "abroad": ["card_ip_country_mismatch"], "retry": ["failures_before_success"],
        "retry_failed": [], "spike": ["amount_spike"], "new_big": ["new_customer_large_amount"],
        "history": ["prior_fraud_history"], "clean": [],
    }


def test_rule_report_hit_rates_with_labels():
    features = features_for_rules()
    labels = pl.Series([1, 0, 0, 1, 0, 0, 0, 1, 0, 0])  # burst_card, abroad, new_big are fraud
    report = {r["rule"]: r for r in rule_report(features, labels).to_dicts()}
    burst = report["card_testing_burst"]
    # 2 hits out of 10 charges; 1 of them fraud; 3 frauds in all
    assert (burst["hits"], burst["hit_rate"], burst["fraud_hits"]) == (2, 0.2, 1)
    assert burst["precision"] == 0.5 and burst["recall"] == pytest.approx(1 / 3)
    assert report["card_billing_country_mismatch"]["hits"] == 0
    assert report["card_billing_country_mismatch"]["precision"] is None
    assert len(report) == len(RULES)
