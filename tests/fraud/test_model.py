"""The logistic model on a seeded synthetic world: deterministic, and it separates fraud."""
from datetime import date, datetime

import numpy as np
import polars as pl
import pytest

from pipelines.fraud.features import charge_features
from pipelines.fraud.labels import fraud_labels
from pipelines.fraud.model import charge_fraud_scores, fit, split_by_month, split_months, train_and_evaluate

from .synthetic import world


@pytest.fixture(scope="module")
def scored_world():
    charges, customers, efws = world()
    features = charge_features(charges, customers=customers, early_fraud_warnings=efws)
    succeeded = features.filter(pl.col("status") == "succeeded")
    labels = fraud_labels(succeeded["charge_id"], None, efws)["is_fraud"].to_numpy()
    return succeeded, labels


def test_train_on_older_months_test_on_the_latest_complete_one(scored_world):
    # the world's charges run from January to 30 April 23:50: April is the current month (scored,
    # neither trained nor tested on), March the latest complete one. Succeeded charges per month:
    # January 635, February 594, March 535, April 550; fraud among them 19, 15, 14, 12.
    features, labels = scored_world
    model, report = train_and_evaluate(features, labels, seed=1)
    assert [str(m) for m in report.test_months] == ["2026-03-01"]
    assert [str(m) for m in report.train_months] == ["2026-01-01", "2026-02-01"]
    assert (report.n_train, report.n_test) == (635 + 594, 535)
    assert report.n_train + report.n_test + 550 == features.height
    assert (report.positives_train, report.positives_test) == (19 + 15, 14)
    assert report.auc >= 0.85
    assert report.review.recall is not None and report.review.precision is not None
    assert sum(b.n for b in report.calibration) == report.n_test
    # calibration: the top decile holds far more fraud than the bottom one
    assert report.calibration[-1].observed_rate > report.calibration[0].observed_rate


def test_fit_is_deterministic_for_a_seed(scored_world):
    features, labels = scored_world
    a = fit(features, labels, seed=5, negatives_per_positive=5)
    b = fit(features, labels, seed=5, negatives_per_positive=5)
    c = fit(features, labels, seed=6, negatives_per_positive=5)
    assert np.array_equal(a.params, b.params)
    assert np.array_equal(a.score(features), b.score(features))
    assert not np.array_equal(a.params, c.params)  # the seed drives the negative sample


def test_downsampling_keeps_scores_calibrated(scored_world):
    # the intercept correction log(kept share of negatives) keeps the mean score near the base rate
    features, labels = scored_world
    full = fit(features, labels).score(features).mean()
    sampled = fit(features, labels, seed=3, negatives_per_positive=10).score(features).mean()
    assert full == pytest.approx(labels.mean(), rel=0.05)
    assert sampled == pytest.approx(labels.mean(), rel=0.5)


def test_score_frame_shape_and_reasons(scored_world):
    features, labels = scored_world
    model = fit(features, labels)
    scores = charge_fraud_scores(model, features)
    assert scores.columns == ["charge_id", "score"] + ["top_reasons"]
    assert scores.height == features.height
    assert scores["score"].min() >= 0 and scores["score"].max() <= 1
    top = scores.sort("score", descending=True).row(0, named=True)
    assert 1 <= len(top["top_reasons"]) <= 3
    assert set(top["top_reasons"]) <= set(model.features)


JAN, FEB, MAR, APR = (date(2026, m, 1) for m in (1, 2, 3, 4))


def test_test_months_are_the_latest_complete_ones_and_every_month_before_trains():
    # the month of the latest charge (April) is partial: in neither set
    assert split_months([MAR, JAN, APR, FEB, MAR]) == ([JAN, FEB], [MAR])
    assert split_months([JAN, FEB, MAR, APR], test_months=2) == ([JAN], [FEB, MAR])


def test_too_few_complete_months_fall_back_to_the_latest_months():
    # one complete month would leave nothing to train on: the partial month is tested, as before
    assert split_months([JAN, FEB]) == ([JAN], [FEB])
    assert split_months([JAN, FEB, MAR], test_months=2) == ([JAN], [FEB, MAR])
    with pytest.raises(ValueError, match="1 months of charges; need more than 1"):
        split_months([JAN])
    with pytest.raises(ValueError, match="2 months of charges; need more than 2"):
        split_months([JAN, FEB], test_months=2)


def test_split_by_month_masks_rows_of_the_train_and_test_months():
    frame = pl.DataFrame({"created_at": [datetime(2026, 1, 15), datetime(2026, 1, 31, 23, 59),
                                         datetime(2026, 2, 10), datetime(2026, 2, 28, 23, 59, 59),
                                         datetime(2026, 3, 1), datetime(2026, 3, 5)]})
    is_train, is_test, train, test = split_by_month(frame)
    assert (train, test) == ([JAN], [FEB])
    assert is_train.to_list() == [True, True, False, False, False, False]
    assert is_test.to_list() == [False, False, True, True, False, False]
    # a tiny history of two months: the latest, partial one is the test month
    is_train, is_test, train, test = split_by_month(frame.head(4))
    assert (train, test) == ([JAN], [FEB])
    assert is_test.to_list() == [False, False, True, True]


def test_split_needs_more_than_the_test_months(scored_world):
    features, _ = scored_world
    one_month = features.filter(pl.col("created_at").dt.month() == 1)
    with pytest.raises(ValueError, match="1 months of charges"):
        split_by_month(one_month)


def test_run_fraud_produces_every_table():
    from pipelines.fraud.run import CHARGE_FRAUD_SCORES_SCHEMA, run_fraud

    charges, customers, efws = world()
    run = run_fraud(charges, customers, None, efws, seed=2)
    succeeded = charges.filter(pl.col("status") == "succeeded").height
    assert dict(run.charge_fraud_scores.schema) == CHARGE_FRAUD_SCORES_SCHEMA
    assert run.charge_fraud_scores.height == succeeded
    assert run.report.auc >= 0.85
    assert set(run.creator_risk["status"]) <= {"ok", "watch", "hold"}
    # every fraud warning is on a succeeded charge of the world: the platform counts them all
    assert run.platform_fraud_rate["fraud"].sum() == efws.height
    assert run.platform_fraud_rate["charges"].sum() == succeeded
