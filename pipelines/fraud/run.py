"""One call for the fraud assets: features, labels, model with its test-month report (the latest
complete months, `model.split_months`), scores, rules, creator risk and the platform fraud rate,
all from the input frames in `schemas`.

Only succeeded charges are scored and labelled (a failed charge moves no money and cannot be
disputed); failed ones still feed the velocity and failed-attempt features.
"""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.fraud.features import charge_features
from pipelines.fraud.labels import fraud_labels
from pipelines.fraud.model import REVIEW_THRESHOLD, FraudModel, ModelReport, charge_fraud_scores, train_and_evaluate
from pipelines.fraud.monitoring import creator_risk, platform_fraud_rate
from pipelines.fraud.rules import rule_hits, rule_report

CHARGE_FRAUD_SCORES_SCHEMA = {"charge_id": pl.Utf8, "score": pl.Float64,
                              "top_reasons": pl.List(pl.Utf8), "rule_hits": pl.List(pl.Utf8)}


@dataclass
class FraudRun:
    model: FraudModel
    report: ModelReport
    charge_fraud_scores: pl.DataFrame  # finance.charge_fraud_scores
    rules: pl.DataFrame
    creator_risk: pl.DataFrame  # finance.creator_risk
    platform_fraud_rate: pl.DataFrame


def run_fraud(charges: pl.DataFrame, customers: pl.DataFrame | None, disputes: pl.DataFrame | None,
              early_fraud_warnings: pl.DataFrame | None, *, seed: int = 0, test_months: int = 1,
              threshold: float = REVIEW_THRESHOLD,
              negatives_per_positive: int | None = None) -> FraudRun:
    features = charge_features(charges, customers, disputes, early_fraud_warnings)
    scored = features.filter(pl.col("status") == "succeeded")
    labels = fraud_labels(scored["charge_id"], disputes, early_fraud_warnings)["is_fraud"]
    model, report = train_and_evaluate(scored, labels.to_numpy(), test_months=test_months,
                                       threshold=threshold, seed=seed,
                                       negatives_per_positive=negatives_per_positive)
    scores = charge_fraud_scores(model, scored).join(
        rule_hits(scored).select("charge_id", "rule_hits"), on="charge_id", how="left",
        maintain_order="left")
    return FraudRun(model, report, scores, rule_report(scored, labels),
                    creator_risk(charges, disputes, early_fraud_warnings, scores),
                    platform_fraud_rate(charges, disputes, early_fraud_warnings))
