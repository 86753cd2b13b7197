"""Fraud labels: a charge is positive when it has a dispute with a fraud reason or an early fraud
warning (issue 7 item 6). Labels are for training and evaluation only, never features.

`labelled_at` is when the label became known (the first such dispute or warning): recent months
are under-labelled because disputes arrive weeks after the charge.
"""
from __future__ import annotations

import polars as pl

from pipelines.fraud.schemas import DISPUTE_COLUMNS, EFW_COLUMNS, conform

FRAUD_DISPUTE_REASONS = frozenset({"fraudulent"})


def fraud_labels(charge_ids: pl.Series, disputes: pl.DataFrame | None,
                 early_fraud_warnings: pl.DataFrame | None,
                 fraud_reasons: frozenset[str] = FRAUD_DISPUTE_REASONS) -> pl.DataFrame:
    """charge_id, is_fraud (0/1), labelled_at (null for negatives), in the order of charge_ids."""
    di = conform(disputes, DISPUTE_COLUMNS, "disputes")
    ef = conform(early_fraud_warnings, EFW_COLUMNS, "early_fraud_warnings")
    positives = pl.concat([
        di.filter(pl.col("reason").is_in(sorted(fraud_reasons))).select("charge_id", "created_at"),
        ef.select("charge_id", "created_at"),
    ]).group_by("charge_id").agg(pl.col("created_at").min().alias("labelled_at"))
    frame = pl.DataFrame({"charge_id": charge_ids.cast(pl.Utf8)})
    return frame.join(positives, on="charge_id", how="left", maintain_order="left").select(
        "charge_id", pl.col("labelled_at").is_not_null().cast(pl.Int64).alias("is_fraud"), "labelled_at")
