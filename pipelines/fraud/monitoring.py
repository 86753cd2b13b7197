"""Creator risk and the card networks' dispute-monitoring programmes, as dated rules with sources.

Programme ratios (counts, not amounts; exact `Decimal` division, compared with >=):
- Visa VAMP: (fraud reports TC40 + disputes TC15 in the month) / settled Visa transactions in the
  month. We count early fraud warnings as TC40s (Stripe derives them from issuer fraud reports)
  and every dispute as a TC15; a charge with both counts twice, as the formula reads (sources
  disagree on de-duplication; `dedupe` switches it). Merchant "excessive": >= 2.2% from
  2025-06-01, >= 1.5% from 2026-04-01, applied only from 1,500 fraud + disputes in the month
  (the issue's "counted from 1,500"; Checkout.com's summary says "greater than 1,500").
- Mastercard ECP: chargebacks in the month / Mastercard sales in the previous month; ECM at
  >= 1.5% and >= 100 chargebacks, HECM at >= 3% and >= 300. (Formal ECM enrolment needs two
  consecutive trigger months; a single month is flagged here so risk sees it early.)
A programme is 'near' when both its ratio and its count reach NEAR_FRACTION (80%) of the line
without crossing both. Rates for creator risk are by dispute / warning date (issue 7 item 7).

Creator status (feeds the payout holds through its asset): 'hold' when any programme is 'over';
'watch' when any is 'near', or when the creator's dispute+fraud ratio crosses the Visa line but
the counts are too small for the programme; else 'ok'.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import polars as pl

from pipelines.fraud.schemas import (
    CHARGE_COLUMNS,
    DISPUTE_COLUMNS,
    EFW_COLUMNS,
    OPTIONAL_CHARGE_COLUMNS,
    conform,
)

NEAR_FRACTION = Decimal("0.8")
PLATFORM_FRAUD_RATE_GOAL = Decimal("0.001")  # the founding brief: under 0.1%

VISA_SOURCE = ("Visa Acquirer Monitoring Program (VAMP), merchant excessive thresholds as "
               "summarised by Checkout.com, 'What are the thresholds for disputes and fraud under "
               "Visa's Acquirer Monitoring Program (VAMP)?', support.checkout.com article "
               "23330844282514; issue 7")
MASTERCARD_SOURCE = ("Mastercard Excessive Chargeback Program (ECM/HECM, both count and ratio "
                     "met, ratio = month's chargebacks / previous month's sales), per Braintree "
                     "'Excessive Chargeback Program' and Solidgate 'Mastercard monitoring "
                     "programs'; issue 7")


@dataclass(frozen=True)
class ProgrammeThreshold:
    programme: str  # visa_vamp | mastercard_ecm | mastercard_hecm
    network: str
    effective_from: date
    effective_to: date | None  # exclusive; None = still in force
    ratio: Decimal
    min_count: int
    source: str


PROGRAMME_THRESHOLDS: tuple[ProgrammeThreshold, ...] = (
    ProgrammeThreshold("visa_vamp", "visa", date(2025, 6, 1), date(2026, 4, 1),
                       Decimal("0.022"), 1500, VISA_SOURCE),
    ProgrammeThreshold("visa_vamp", "visa", date(2026, 4, 1), None,
                       Decimal("0.015"), 1500, VISA_SOURCE),
    ProgrammeThreshold("mastercard_ecm", "mastercard", date(2019, 10, 1), None,
                       Decimal("0.015"), 100, MASTERCARD_SOURCE),
    ProgrammeThreshold("mastercard_hecm", "mastercard", date(2019, 10, 1), None,
                       Decimal("0.03"), 300, MASTERCARD_SOURCE),
)
PROGRAMMES = ("visa_vamp", "mastercard_ecm", "mastercard_hecm")


def threshold_for(programme: str, month: date) -> ProgrammeThreshold | None:
    """The line in force on the first day of `month` (None before the programme started)."""
    if programme not in PROGRAMMES:
        raise ValueError(f"unknown programme {programme!r}")
    for t in PROGRAMME_THRESHOLDS:
        if t.programme == programme and t.effective_from <= month and (
                t.effective_to is None or month < t.effective_to):
            return t
    return None


def ratio(count: int, denominator: int) -> Decimal | None:
    return Decimal(count) / Decimal(denominator) if denominator else None


def programme_status(programme: str, month: date, count: int, denominator: int) -> str:
    """'over' | 'near' | 'ok' | 'not_in_force' | 'no_volume' for one merchant-month.

    count: the programme's numerator (VAMP: fraud reports + disputes; ECP: chargebacks);
    denominator: VAMP settled transactions of the month, ECP sales of the previous month."""
    line = threshold_for(programme, month)
    if line is None:
        return "not_in_force"
    r = ratio(count, denominator)
    if r is None:
        return "no_volume"
    if r >= line.ratio and count >= line.min_count:
        return "over"
    if r >= line.ratio * NEAR_FRACTION and count >= line.min_count * NEAR_FRACTION:
        return "near"
    return "ok"


def creator_status(vamp: str, ecm: str, hecm: str, ratio_only_breach: bool) -> str:
    statuses = (vamp, ecm, hecm)
    if "over" in statuses:
        return "hold"
    if "near" in statuses or ratio_only_breach:
        return "watch"
    return "ok"


def _month(column: str) -> pl.Expr:
    return pl.col(column).dt.truncate("1mo").dt.date().alias("month")


def _prev_month(month: date) -> date:
    return date(month.year - (month.month == 1), 12 if month.month == 1 else month.month - 1, 1)


def creator_risk(charges: pl.DataFrame, disputes: pl.DataFrame | None,
                 early_fraud_warnings: pl.DataFrame | None, scores: pl.DataFrame | None = None,
                 *, fraud_reasons: frozenset[str] = frozenset({"fraudulent"}),
                 dedupe: bool = False, from_month: date | None = None) -> pl.DataFrame:
    """`finance.creator_risk`, one row per creator and month with activity:
    creator_account, month, charges, disputes, fraud, dispute_rate, fraud_rate, score_p50,
    score_p95, visa_charges, vamp_count, vamp_ratio, vamp_status, mastercard_prev_charges,
    mastercard_chargebacks, mastercard_ratio, ecm_status, hecm_status, status.
    Rates are floats for display; statuses come from the exact Decimal comparison.

    With `from_month`, only the months from it on (the rows a day changed); `scores` then needs
    only the charges of those months. The counts still read every charge and event (a dispute
    this month may be on a charge of any month)."""
    ch = conform(charges, CHARGE_COLUMNS, "charges", OPTIONAL_CHARGE_COLUMNS)
    di = conform(disputes, DISPUTE_COLUMNS, "disputes")
    ef = conform(early_fraud_warnings, EFW_COLUMNS, "early_fraud_warnings")
    owners = ch.select("charge_id", "creator_account",
                       pl.col("card_network").str.to_lowercase().alias("network"))
    settled = ch.filter(pl.col("status") == "succeeded").select(
        "creator_account", _month("created_at"), pl.col("card_network").str.to_lowercase().alias("network"))
    di_m = di.join(owners, on="charge_id", how="inner").with_columns(_month("created_at"))
    ef_m = ef.join(owners, on="charge_id", how="inner").with_columns(_month("created_at"))
    if from_month is not None:  # only what the months from `from_month` count (and its month before)
        settled = settled.filter(pl.col("month") >= _prev_month(from_month))
        di_m, ef_m = (f.filter(pl.col("month") >= from_month) for f in (di_m, ef_m))
        ch = ch.filter(pl.col("created_at") >= datetime(from_month.year, from_month.month, 1))
    fraud_events = pl.concat([
        di_m.filter(pl.col("reason").is_in(sorted(fraud_reasons))).select("charge_id", "creator_account", "month"),
        ef_m.select("charge_id", "creator_account", "month"),
    ]).unique(["charge_id", "month"])
    keys = ["creator_account", "month"]

    def counts(frame: pl.DataFrame, name: str, network: str | None = None) -> pl.DataFrame:
        if network is not None:
            frame = frame.filter(pl.col("network") == network)
        return frame.group_by(keys).agg(pl.len().alias(name))

    if dedupe:
        vamp_events = pl.concat([di_m.select("charge_id", "creator_account", "month", "network"),
                                 ef_m.select("charge_id", "creator_account", "month", "network")]
                                ).unique(["charge_id", "month"])
    else:
        vamp_events = pl.concat([di_m.select("creator_account", "month", "network"),
                                 ef_m.select("creator_account", "month", "network")])
    mc_sales = counts(settled, "mastercard_prev_charges", "mastercard")
    frame = pl.concat([settled.select(keys), di_m.select(keys), ef_m.select(keys)]).unique().sort(keys)
    if from_month is not None:
        frame = frame.filter(pl.col("month") >= from_month)
    frame = (frame
             .join(counts(settled, "charges"), on=keys, how="left")
             .join(counts(di_m, "disputes"), on=keys, how="left")
             .join(counts(fraud_events, "fraud"), on=keys, how="left")
             .join(counts(settled, "visa_charges", "visa"), on=keys, how="left")
             .join(counts(vamp_events, "vamp_count", "visa"), on=keys, how="left")
             .join(counts(di_m, "mastercard_chargebacks", "mastercard"), on=keys, how="left"))
    frame = frame.with_columns(
        pl.col("month").map_elements(_prev_month, return_dtype=pl.Date).alias("_prev"))
    frame = frame.join(mc_sales.rename({"month": "_prev"}), on=["creator_account", "_prev"], how="left").drop("_prev")
    count_cols = ["charges", "disputes", "fraud", "visa_charges", "vamp_count",
                  "mastercard_chargebacks", "mastercard_prev_charges"]
    frame = frame.with_columns([pl.col(c).fill_null(0).cast(pl.Int64) for c in count_cols])
    frame = frame.with_columns(
        _rate("disputes", "charges").alias("dispute_rate"),
        _rate("fraud", "charges").alias("fraud_rate"),
        _rate("vamp_count", "visa_charges").alias("vamp_ratio"),
        _rate("mastercard_chargebacks", "mastercard_prev_charges").alias("mastercard_ratio"),
    )
    statuses = {"vamp_status": [], "ecm_status": [], "hecm_status": [], "status": []}
    for row in frame.iter_rows(named=True):
        vamp = programme_status("visa_vamp", row["month"], row["vamp_count"], row["visa_charges"])
        ecm = programme_status("mastercard_ecm", row["month"], row["mastercard_chargebacks"],
                               row["mastercard_prev_charges"])
        hecm = programme_status("mastercard_hecm", row["month"], row["mastercard_chargebacks"],
                                row["mastercard_prev_charges"])
        line = threshold_for("visa_vamp", row["month"])
        all_events = row["disputes"] + row["fraud"]
        r = ratio(all_events, row["charges"])
        breach = line is not None and r is not None and r >= line.ratio
        statuses["vamp_status"].append(vamp)
        statuses["ecm_status"].append(ecm)
        statuses["hecm_status"].append(hecm)
        statuses["status"].append(creator_status(vamp, ecm, hecm, breach))
    frame = frame.with_columns([pl.Series(k, v, dtype=pl.Utf8) for k, v in statuses.items()])
    return _with_scores(frame, ch, scores)


def _rate(numerator: str, denominator: str) -> pl.Expr:
    return (pl.when(pl.col(denominator) > 0)
            .then(pl.col(numerator) / pl.col(denominator)).otherwise(None))


def _with_scores(frame: pl.DataFrame, charges: pl.DataFrame, scores: pl.DataFrame | None) -> pl.DataFrame:
    """score_p50 / score_p95 of the creator's charges created in the month (linear interpolation)."""
    if scores is None:
        return frame.with_columns(pl.lit(None, dtype=pl.Float64).alias("score_p50"),
                                  pl.lit(None, dtype=pl.Float64).alias("score_p95"))
    scored = scores.select("charge_id", "score").join(
        charges.select("charge_id", "creator_account", _month("created_at")), on="charge_id", how="inner")
    dist = scored.group_by(["creator_account", "month"]).agg(
        pl.col("score").quantile(0.5, interpolation="linear").alias("score_p50"),
        pl.col("score").quantile(0.95, interpolation="linear").alias("score_p95"))
    return frame.join(dist, on=["creator_account", "month"], how="left")


def platform_fraud_rate(charges: pl.DataFrame, disputes: pl.DataFrame | None,
                        early_fraud_warnings: pl.DataFrame | None,
                        fraud_reasons: frozenset[str] = frozenset({"fraudulent"})) -> pl.DataFrame:
    """Per month: succeeded charges, fraud (charges with a fraud dispute or warning dated in the
    month, each once), fraud_rate, goal (0.001) and meets_goal (rate < goal, exact)."""
    ch = conform(charges, CHARGE_COLUMNS, "charges", OPTIONAL_CHARGE_COLUMNS)
    di = conform(disputes, DISPUTE_COLUMNS, "disputes")
    ef = conform(early_fraud_warnings, EFW_COLUMNS, "early_fraud_warnings")
    settled = ch.filter(pl.col("status") == "succeeded").group_by(_month("created_at")).agg(
        pl.len().alias("charges"))
    fraud = pl.concat([
        di.filter(pl.col("reason").is_in(sorted(fraud_reasons))).select("charge_id", _month("created_at")),
        ef.select("charge_id", _month("created_at")),
    ]).join(ch.select("charge_id"), on="charge_id", how="semi").unique().group_by("month").agg(
        pl.len().alias("fraud"))  # a semi join: `is_in` hashed all the charge ids (4x slower)
    frame = settled.join(fraud, on="month", how="full", coalesce=True).with_columns(
        pl.col("charges").fill_null(0).cast(pl.Int64), pl.col("fraud").fill_null(0).cast(pl.Int64)
    ).sort("month")
    meets = [None if c == 0 else Decimal(f) / Decimal(c) < PLATFORM_FRAUD_RATE_GOAL
             for f, c in zip(frame["fraud"], frame["charges"])]
    return frame.with_columns(
        _rate("fraud", "charges").alias("fraud_rate"),
        pl.lit(float(PLATFORM_FRAUD_RATE_GOAL)).alias("goal"),
        pl.Series("meets_goal", meets, dtype=pl.Boolean),
    )


def score_quantiles(scores: np.ndarray) -> tuple[float, float]:
    """p50 and p95 of a score array (linear interpolation), for the platform summary."""
    return float(np.quantile(scores, 0.5)), float(np.quantile(scores, 0.95))
