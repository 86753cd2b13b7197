"""Logistic-regression fraud score (statsmodels GLM, binomial) with its measured accuracy.

- Features are the `features.FEATURE_COLUMNS`, transformed (log1p of counts and days, log of
  amount ratios) and standardised with the training means and deviations.
- Fitted with a small ridge penalty on the coefficients, not the intercept
  (`GLM.fit_regularized`, L1_wt=0) so a rare pattern that perfectly separates the training
  labels does not send a coefficient to infinity. A feature constant in training keeps a 0
  coefficient (it cannot be estimated, and must not move scores when it varies later).
- Negatives may be down-sampled (`negatives_per_positive`) with a seeded generator; the
  intercept is then corrected by log(kept share of negatives) so scores stay calibrated
  probabilities. Same data + same seed -> the same coefficients.
- Test on the latest complete calendar months, train on every month before them
  (`split_months`); the current month, still partial, is scored but neither trained nor tested
  on, so the report always describes whole months. Recent labels are incomplete (disputes arrive
  weeks later), which the report's positives count makes visible.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from pipelines.fraud.evaluation import (
    CalibrationBin,
    ThresholdMetrics,
    at_threshold,
    auc,
    calibration_table,
)
from pipelines.fraud.features import FEATURE_COLUMNS

REVIEW_THRESHOLD = 0.5  # a charge at or above this score goes to manual review
RIDGE_ALPHA = 1e-4
RATIO_COLUMNS = frozenset({"amount_to_customer_median", "amount_to_creator_median"})


@dataclass(frozen=True)
class FraudModel:
    features: tuple[str, ...]
    means: np.ndarray
    deviations: np.ndarray
    params: np.ndarray  # intercept first, then one coefficient per feature

    def design(self, frame: pl.DataFrame) -> np.ndarray:
        """Standardised transformed features (no intercept column)."""
        return (_transform(frame, self.features) - self.means) / self.deviations

    def score(self, frame: pl.DataFrame) -> np.ndarray:
        return self.score_contributions(self.contributions(frame))

    def contributions(self, frame: pl.DataFrame) -> np.ndarray:
        """coefficient x standardised value, one column per feature."""
        return self.design(frame) * self.params[1:]

    def score_contributions(self, contributions: np.ndarray) -> np.ndarray:
        # summed column by column, in feature order, not `z @ params` or `.sum(axis=1)`: BLAS and
        # numpy's reductions may order a row's additions differently for different row counts,
        # and a charge scored among a day's few must get the very bits it gets among all of
        # history (the incremental day's scores equal a full rescore)
        linear = np.full(contributions.shape[0], self.params[0])
        for k in range(contributions.shape[1]):
            linear = linear + contributions[:, k]
        return 1.0 / (1.0 + np.exp(-linear))

    def coefficients(self) -> dict[str, float]:
        return {"intercept": float(self.params[0]),
                **{name: float(c) for name, c in zip(self.features, self.params[1:])}}


@dataclass(frozen=True)
class ModelReport:
    """Everything printed in the materialization metadata."""

    train_months: list
    test_months: list
    n_train: int
    n_test: int
    positives_train: int
    positives_test: int
    auc: float | None
    review: ThresholdMetrics
    calibration: list[CalibrationBin]
    coefficients: dict[str, float] = field(default_factory=dict)


def _transform(frame: pl.DataFrame, features: Sequence[str]) -> np.ndarray:
    columns = []
    for name in features:
        values = frame[name].cast(pl.Float64).to_numpy()
        if name in RATIO_COLUMNS:
            columns.append(np.log(np.clip(values, 1e-3, None)))
        else:
            columns.append(np.log1p(np.clip(values, 0.0, None)))
    return np.column_stack(columns)


def fit(frame: pl.DataFrame, labels: Sequence[int], *, features: Sequence[str] = FEATURE_COLUMNS,
        seed: int = 0, negatives_per_positive: int | None = None) -> FraudModel:
    """Fit on rows of `frame` (a features frame) with 0/1 `labels` in the same order."""
    from statsmodels.genmod.families import Binomial
    from statsmodels.genmod.generalized_linear_model import GLM

    y = np.asarray(labels, dtype=float)
    if y.size != frame.height:
        raise ValueError(f"fraud model: {frame.height} feature rows but {y.size} labels")
    if y.sum() == 0 or y.sum() == y.size:
        raise ValueError("fraud model: training needs both fraudulent and legitimate charges")
    x = _transform(frame, features)
    keep = np.ones(y.size, dtype=bool)
    kept_share = 1.0
    if negatives_per_positive is not None:
        rng = np.random.default_rng(seed)
        negatives = np.flatnonzero(y == 0)
        wanted = min(negatives.size, int(y.sum()) * negatives_per_positive)
        chosen = rng.choice(negatives, size=wanted, replace=False)
        keep = y == 1
        keep[chosen] = True
        kept_share = wanted / negatives.size
    means = x[keep].mean(axis=0)
    deviations = x[keep].std(axis=0)
    varying = deviations > 0  # a constant feature carries no information: its coefficient stays 0
    deviations[~varying] = 1.0
    z = (x[keep] - means) / deviations
    design = np.column_stack([np.ones(z.shape[0]), z[:, varying]])
    penalty = np.full(design.shape[1], RIDGE_ALPHA)
    penalty[0] = 0.0  # the intercept is not shrunk
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = GLM(y[keep], design, family=Binomial()).fit_regularized(
            alpha=penalty, L1_wt=0.0)
    fitted = np.asarray(result.params, dtype=float)
    params = np.zeros(len(features) + 1)
    params[0] = fitted[0] + np.log(kept_share)  # prior correction for down-sampled negatives
    params[1:][varying] = fitted[1:]
    return FraudModel(tuple(features), means, deviations, params)


def split_months(months: Sequence[date], test_months: int = 1) -> tuple[list[date], list[date]]:
    """(train months, test months) of the calendar months charges were created in.

    A month is complete when a charge of a later month exists: the month of the latest charge is
    the current one, still filling, and is neither trained nor tested on (a test month cut short,
    say the 30 minutes of a refit on the 1st, would report an AUC on a handful of charges, maybe
    none fraudulent, and that report stands until the next refit). The test set is the latest
    `test_months` complete months, the training set every month before them.

    Fallback for a tiny history (fewer than `test_months` + 1 complete months, so no training
    month would be left): the latest `test_months` months, the partial one included, are tested
    on and every older month trains, as before complete months were asked for. Fewer months than
    `test_months` + 1 in all is an error."""
    months = sorted(set(months))
    complete = months[:-1]
    if len(complete) > test_months:
        return complete[:-test_months], complete[-test_months:]
    if len(months) > test_months:
        return months[:-test_months], months[-test_months:]
    raise ValueError(f"fraud model: {len(months)} months of charges; need more than {test_months}")


def split_by_month(frame: pl.DataFrame, test_months: int = 1) -> tuple[pl.Series, pl.Series, list, list]:
    """Boolean masks of the training and test rows of `frame` by the calendar month of
    `created_at` (`split_months`; rows of the current month are in neither), then the months."""
    month = frame["created_at"].dt.truncate("1mo").dt.date()
    train, test = split_months(month.unique().to_list(), test_months)
    return month.is_in(train), month.is_in(test), train, test


def train_and_evaluate(frame: pl.DataFrame, labels: Sequence[int], *, test_months: int = 1,
                       threshold: float = REVIEW_THRESHOLD, seed: int = 0,
                       negatives_per_positive: int | None = None) -> tuple[FraudModel, ModelReport]:
    """Train on the months before the test months, measure on the latest `test_months` complete
    months (`split_months`: the current, partial month is in neither)."""
    y = np.asarray(labels, dtype=int)
    is_train, is_test, train_months, test_month_list = split_by_month(frame, test_months)
    train, mask = is_train.to_numpy(), is_test.to_numpy()
    model = fit(frame.filter(is_train), y[train], seed=seed,
                negatives_per_positive=negatives_per_positive)
    scores = model.score(frame.filter(is_test))
    report = ModelReport(
        train_months=train_months, test_months=test_month_list,
        n_train=int(train.sum()), n_test=int(mask.sum()),
        positives_train=int(y[train].sum()), positives_test=int(y[mask].sum()),
        auc=auc(y[mask], scores), review=at_threshold(y[mask], scores, threshold),
        calibration=calibration_table(y[mask], scores), coefficients=model.coefficients(),
    )
    return model, report


def charge_fraud_scores(model: FraudModel, frame: pl.DataFrame, top: int = 3) -> pl.DataFrame:
    """`finance.charge_fraud_scores`: charge_id, score (probability 0..1), top_reasons (the
    features pushing this score up most: coefficient x standardised value, positive only)."""
    contributions = model.contributions(frame)
    names = np.asarray(model.features, dtype=object)
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :top]
    values = np.take_along_axis(contributions, order, axis=1)
    ranked = {f"_r{k}": pl.Series(np.where(values[:, k] > 0, names[order[:, k]], None), dtype=pl.Utf8)
              for k in range(order.shape[1])}
    reasons = pl.DataFrame(ranked).select(
        pl.concat_list(list(ranked)).list.drop_nulls().alias("top_reasons"))["top_reasons"]
    return pl.DataFrame({
        "charge_id": frame["charge_id"],
        "score": model.score_contributions(contributions),
        "top_reasons": reasons,
    })
