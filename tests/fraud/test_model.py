"""The logistic model on a seeded synthetic world: deterministic, and it separates fraud."""
import numpy as np
import polars as pl
import pytest

from pipelines.fraud.features import charge_features
from pipelines.fraud.labels import fraud_labels
from pipelines.fraud.model import charge_fraud_scores, fit, split_by_month, train_and_evaluate

from .synthetic import world


@pytest.fixture(scope="module")
def scored_world():
    charges, customers, efws = world()
    features = charge_features(charges, customers=customers, early_fraud_warnings=efws)
    succeeded = features.filter(pl.col("status") == "succeeded")
    labels = fraud_labels(succeeded["charge_id"], None, efws)["is_fraud"].to_numpy()
    return succeeded, labels


def test_train_on_older_months_test_on_the_latest(scored_world):
    features, labels = scored_world
    model, report = train_and_evaluate(features, labels, seed=1)
    assert [str(m) for m in report.test_months] == ["2026-04-01"]
    assert [str(m) for m in report.train_months] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert report.n_train + report.n_test == features.height
    assert report.positives_test > 5
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
