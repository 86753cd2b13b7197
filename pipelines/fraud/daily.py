"""The fraud step of a day: score what changed with the stored model instead of refitting and
rescoring all of history (issue 9).

A day compares its inputs with the snapshot of the last run (`input_state`: one hash per row of
charges, customers, disputes and early fraud warnings) and finds the earliest time any change
can reach, the horizon (`changes`):
- a charge added, changed or removed at t changes the velocity, failed-attempt and median features
  of later charges, so everything from t on;
- a dispute or warning at t changes the prior-fraud features of the card's and customer's later
  charges and the creator month of t;
- a customer added or changed changes the age feature of its charges, from its first charge on.
A feature reads only a bounded past (`features._context`), so the charges created from the
horizon on, scored with the stored model, get exactly the scores a full rescore gives them
(`score_from`; `tests/fraud/test_daily.py` proves it); the creator months from the horizon's month
on are redone from those scores and the stored ones of the month's earlier charges.

The model is refitted only when its training window moved (`test_months_of`: the test set is
the latest complete calendar months, so on the first day a new month begins the month before
becomes a test month), when its settings changed, or when asked (`needs_refit`). Every other day
of a month reuses it, and its report describes whole months.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from pipelines.fraud.features import charge_features
from pipelines.fraud.model import FraudModel, charge_fraud_scores, split_months
from pipelines.fraud.rules import rule_hits
from pipelines.fraud.schemas import (
    CHARGE_COLUMNS,
    CUSTOMER_COLUMNS,
    DISPUTE_COLUMNS,
    EFW_COLUMNS,
    OPTIONAL_CHARGE_COLUMNS,
    conform,
)

STATE_SCHEMA = {"kind": pl.Utf8, "key": pl.Utf8, "created_at": pl.Datetime("us"),
                "row_hash": pl.Int64, "dup": pl.Int64}
INPUTS = {  # kind: (schema, key column, optional columns)
    "charges": (CHARGE_COLUMNS, "charge_id", OPTIONAL_CHARGE_COLUMNS),
    "customers": (CUSTOMER_COLUMNS, "customer_id", frozenset()),
    "disputes": (DISPUTE_COLUMNS, "charge_id", frozenset()),
    "early_fraud_warnings": (EFW_COLUMNS, "charge_id", frozenset()),
}


def input_state(frames: dict[str, pl.DataFrame | None]) -> pl.DataFrame:
    """`finance.fraud_inputs`: kind, key, created_at, row_hash (of the whole conformed row) and
    dup (0, 1, ... among identical rows, so a duplicated dispute row is a change too)."""
    parts = []
    for kind, (columns, key, optional) in INPUTS.items():
        # a row without its key (a customer without id) reaches no charge: nothing to track
        frame = conform(frames.get(kind), columns, kind, optional).filter(pl.col(key).is_not_null())
        hashes = frame.hash_rows(seed=0).reinterpret(signed=True).alias("row_hash")
        # 0, 1, ... among equal hashes in input order, by ranks (a window over a million hashes
        # costs 0.75 s, the ranks a tenth of that)
        dup = pl.col("row_hash").rank("ordinal") - pl.col("row_hash").rank("min")
        parts.append(frame.select(pl.lit(kind).alias("kind"), pl.col(key).alias("key"), "created_at")
                     .with_columns(hashes)
                     .with_columns(dup.cast(pl.Int64).alias("dup")))
    return pl.concat(parts).cast(STATE_SCHEMA)


@dataclass(frozen=True)
class Changes:
    rows: pl.DataFrame  # the input_state rows on either side only (kind, key, created_at, ...)
    horizon: datetime | None  # the earliest time a feature or creator month may have changed

    def keys(self, kind: str) -> pl.Series:
        return self.rows.filter(pl.col("kind") == kind)["key"].unique().sort()


def changes(stored: pl.DataFrame, current: pl.DataFrame, charges: pl.DataFrame) -> Changes:
    """What differs between the last run's snapshot and today's, and from when it matters."""
    stored, current = stored.cast(STATE_SCHEMA), current.cast(STATE_SCHEMA)
    parts = []
    for kind in INPUTS:  # the hash covers the key: integer joins per kind
        new, old = (f.filter(pl.col("kind") == kind) for f in (current, stored))
        parts += [new.join(old, on=["row_hash", "dup"], how="anti"),
                  old.join(new, on=["row_hash", "dup"], how="anti")]
    rows = pl.concat(parts)
    times = rows.filter(pl.col("kind") != "customers")["created_at"].to_list()
    customers = rows.filter(pl.col("kind") == "customers")["key"].unique()
    if customers.len():
        ch = conform(charges, CHARGE_COLUMNS, "charges", OPTIONAL_CHARGE_COLUMNS)
        first = ch.filter(pl.col("customer_id").is_in(customers.implode()))["created_at"].min()
        times.append(first)
    times = [t for t in times if t is not None]
    return Changes(rows, min(times) if times else None)


def month_start(at: datetime) -> datetime:
    return datetime(at.year, at.month, 1)


def test_months_of(charges: pl.DataFrame, test_months: int) -> list[date]:
    """The calendar months the model's test set would be made of today: the latest `test_months`
    complete months of succeeded charges (the months the model trains and tests on, so complete
    means before the month of the latest succeeded charge), with `model.split_months`' fallback
    for a tiny history. It moves on the first day a new month begins."""
    ch = conform(charges, CHARGE_COLUMNS, "charges", OPTIONAL_CHARGE_COLUMNS)
    months = (ch.filter(pl.col("status") == "succeeded")["created_at"]
              .dt.truncate("1mo").dt.date().unique().to_list())
    return split_months(months, test_months)[1]


NEW_TEST_MONTH = "new test month"


def needs_refit(stored_settings: dict | None, settings: dict, test_months: list[date],
                asked: bool) -> str | None:
    """Why the model must be fitted again today, or None when the stored one still holds."""
    if asked:
        return "asked (refit: true)"
    if stored_settings is None:
        return "no stored model"
    if {k: stored_settings.get(k) for k in settings} != settings:
        return "model settings changed"
    if [str(m) for m in test_months] != list(stored_settings["test_months"]):
        return NEW_TEST_MONTH
    return None


def score_from(model: FraudModel, charges: pl.DataFrame, customers: pl.DataFrame | None,
               disputes: pl.DataFrame | None, early_fraud_warnings: pl.DataFrame | None,
               since: datetime) -> pl.DataFrame:
    """`finance.charge_fraud_scores` rows of the succeeded charges created at or after `since`,
    as a full run with `model` scores them (charge_id, score, top_reasons, rule_hits)."""
    features = charge_features(charges, customers, disputes, early_fraud_warnings, since=since)
    scored = features.filter(pl.col("status") == "succeeded")
    return charge_fraud_scores(model, scored).join(
        rule_hits(scored).select("charge_id", "rule_hits"), on="charge_id", how="left",
        maintain_order="left")


def window_charge_ids(charges: pl.DataFrame, since: datetime, changed: pl.Series) -> pl.Series:
    """The score rows a day replaces: every charge created from `since` on, and every changed or
    removed charge (a charge no longer succeeded, or gone, loses its score)."""
    ch = conform(charges, CHARGE_COLUMNS, "charges", OPTIONAL_CHARGE_COLUMNS)
    return pl.concat([ch.filter(pl.col("created_at") >= since)["charge_id"],
                      changed.cast(pl.Utf8)]).unique().sort()


def scores_from_month(scores: pl.DataFrame, charges: pl.DataFrame, month: date) -> pl.DataFrame:
    """The scores of the charges created from `month` on: what the creator months to redo read."""
    ch = conform(charges, CHARGE_COLUMNS, "charges", OPTIONAL_CHARGE_COLUMNS)
    ids = ch.filter(pl.col("created_at") >= datetime(month.year, month.month, 1))["charge_id"]
    return scores.filter(pl.col("charge_id").is_in(ids.implode()))
