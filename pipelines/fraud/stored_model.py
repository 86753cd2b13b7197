"""The fitted model kept in the warehouse (`finance.fraud_model`) so a day scores with it instead
of fitting again, and the fit's report read back from `finance.fraud_model_report` and
`finance.fraud_calibration` for the day's metadata.

`finance.fraud_model`: one row per term (position 0 is the intercept, then the features in model
order): term, coefficient, mean and deviation (the standardisation; null for the intercept), and
on every row the fit: fitted_at, train_months and test_months (ISO month starts, comma-joined),
and the settings it was fitted with (seed, test_month_count, negatives_per_positive,
review_threshold). Floats go through DOUBLE columns unchanged, so the stored model scores to the
bit what the fitted one did.
"""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import polars as pl

from pipelines.fraud.evaluation import CalibrationBin, ThresholdMetrics
from pipelines.fraud.model import FraudModel, ModelReport

SETTINGS = ("seed", "test_month_count", "negatives_per_positive", "review_threshold", "features")


def settings(seed: int, test_month_count: int, negatives_per_positive: int | None,
             review_threshold: float, features: tuple[str, ...]) -> dict:
    return {"seed": int(seed), "test_month_count": int(test_month_count),
            "negatives_per_positive": int(negatives_per_positive or 0),
            "review_threshold": float(review_threshold), "features": ",".join(features)}


def model_rows(model: FraudModel, report: ModelReport, fit_settings: dict,
               fitted_at: datetime) -> pl.DataFrame:
    n = len(model.features)
    return pl.DataFrame({
        "position": list(range(n + 1)),
        "term": ["intercept", *model.features],
        "coefficient": [float(p) for p in model.params],
        "mean": [None, *map(float, model.means)],
        "deviation": [None, *map(float, model.deviations)],
        "fitted_at": [fitted_at] * (n + 1),
        "train_months": [",".join(map(str, report.train_months))] * (n + 1),
        "test_months": [",".join(map(str, report.test_months))] * (n + 1),
        "seed": [fit_settings["seed"]] * (n + 1),
        "test_month_count": [fit_settings["test_month_count"]] * (n + 1),
        "negatives_per_positive": [fit_settings["negatives_per_positive"]] * (n + 1),
        "review_threshold": [fit_settings["review_threshold"]] * (n + 1),
    }, schema={"position": pl.Int64, "term": pl.Utf8, "coefficient": pl.Float64, "mean": pl.Float64,
               "deviation": pl.Float64, "fitted_at": pl.Datetime("us"), "train_months": pl.Utf8,
               "test_months": pl.Utf8, "seed": pl.Int64, "test_month_count": pl.Int64,
               "negatives_per_positive": pl.Int64, "review_threshold": pl.Float64})


def _months(text: str | None) -> list[date]:
    return [date.fromisoformat(m) for m in text.split(",")] if text else []


def model_from_rows(rows: pl.DataFrame) -> tuple[FraudModel, dict]:
    """The stored model and its fit: settings plus fitted_at, train_months, test_months."""
    rows = rows.sort("position")
    features = tuple(rows["term"][1:].to_list())
    model = FraudModel(features, rows["mean"][1:].to_numpy().astype(float),
                       rows["deviation"][1:].to_numpy().astype(float),
                       rows["coefficient"].to_numpy().astype(float))
    first = rows.row(0, named=True)
    fit = {"seed": int(first["seed"]), "test_month_count": int(first["test_month_count"]),
           "negatives_per_positive": int(first["negatives_per_positive"]),
           "review_threshold": float(first["review_threshold"]), "features": ",".join(features),
           "fitted_at": first["fitted_at"], "train_months": _months(first["train_months"]),
           "test_months": [str(m) for m in _months(first["test_months"])]}
    return model, fit


def report_from_tables(model: FraudModel, fit: dict, metrics: pl.DataFrame,
                       calibration: pl.DataFrame) -> ModelReport:
    """The ModelReport of the stored fit, from `finance.fraud_model_report` (metric, value) and
    `finance.fraud_calibration`, as the day's metadata prints it."""
    m = dict(zip(metrics["metric"].to_list(), metrics["value"].to_list()))

    def count(name):
        return None if m.get(name) is None else int(m[name])

    review = ThresholdMetrics(m.get("review_threshold"), count("flagged"), count("true_positives"),
                              m.get("precision"), m.get("recall"))
    bins = [CalibrationBin(int(r["bin"]), int(r["n"]), float(r["mean_score"]), float(r["observed_rate"]),
                           int(r["positives"])) for r in calibration.iter_rows(named=True)]
    return ModelReport(train_months=fit["train_months"],
                       test_months=[date.fromisoformat(t) for t in fit["test_months"]],
                       n_train=count("n_train"), n_test=count("n_test"),
                       positives_train=count("positives_train"), positives_test=count("positives_test"),
                       auc=m.get("auc"), review=review, calibration=bins,
                       coefficients=model.coefficients())


def same_model(a: FraudModel, b: FraudModel) -> bool:
    return (a.features == b.features and np.array_equal(a.means, b.means)
            and np.array_equal(a.deviations, b.deviations) and np.array_equal(a.params, b.params))
