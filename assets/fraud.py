"""Fraud scores and creator risk that report their own accuracy (issue 7), as Dagster assets.

Thin: read the charge signals and the disputes / early fraud warnings / customers from the
warehouse, call `pipelines.fraud.run.run_fraud`, write the `finance.*` tables and print every
metric in the materialization metadata (model AUC, precision and recall at the review threshold,
calibration, rule hit rates, platform fraud rate against the 0.1% goal, Visa VAMP and Mastercard
ECM/HECM flags).

Tables: `finance.charge_fraud_scores` (charge_id, score, top_reasons, rule_hits),
`finance.creator_risk` (creator_account, month, ..., score_p50, score_p95, status: the payout
holds read creator_account, month, status, score_p95), `finance.fraud_model_report` (metric,
value), `finance.fraud_calibration`, `finance.fraud_rules`, `finance.platform_fraud_rate`.
Resource `warehouse` (WarehouseResource) is bound by `assets.raw_stripe`'s definitions.
"""

import os

# statsmodels / numpy: one BLAS thread per process is faster on a shared machine; set before
# numpy is imported by the fraud library.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import dagster as dg  # noqa: E402
import polars as pl  # noqa: E402

from pipelines.fraud.model import REVIEW_THRESHOLD, ModelReport  # noqa: E402
from pipelines.fraud.monitoring import PLATFORM_FRAUD_RATE_GOAL, PROGRAMMES  # noqa: E402
from pipelines.fraud.run import FraudRun, run_fraud  # noqa: E402
from pipelines.resources import WarehouseResource  # noqa: E402
from pipelines.warehouse.frames import read_frame, replace_table  # noqa: E402

GROUP = "risk"
CHARGE_FRAUD_SCORES = dg.AssetKey(["finance", "charge_fraud_scores"])
CREATOR_RISK = dg.AssetKey(["finance", "creator_risk"])
FRAUD_MODEL_REPORT = dg.AssetKey(["finance", "fraud_model_report"])
CHARGE_SIGNALS = dg.AssetKey(["intermediate", "int_fraud__charge_signals"])
DISPUTES = dg.AssetKey(["staging", "stg_stripe__disputes"])
EARLY_FRAUD_WARNINGS = dg.AssetKey(["staging", "stg_stripe__early_fraud_warnings"])
CUSTOMERS = dg.AssetKey(["staging", "stg_stripe__customers"])
INPUTS = [CHARGE_SIGNALS, DISPUTES, EARLY_FRAUD_WARNINGS, CUSTOMERS]
STATUSES = ("ok", "watch", "hold")

CHARGES_SQL = """
SELECT charge_id, created_at, customer_id, creator_account_id AS creator_account, card_fingerprint,
       ip_address, card_country, ip_country, billing_country, card_network, amount, currency, status
FROM intermediate.int_fraud__charge_signals"""
CUSTOMERS_SQL = "SELECT customer_id, created_at FROM staging.stg_stripe__customers"
DISPUTES_SQL = ("SELECT charge_id, created_at, reason FROM staging.stg_stripe__disputes "
                "WHERE charge_id IS NOT NULL")
EFW_SQL = ("SELECT charge_id, created_at FROM staging.stg_stripe__early_fraud_warnings "
           "WHERE charge_id IS NOT NULL")


class FraudConfig(dg.Config):
    seed: int = 0
    test_months: int = 1  # the latest calendar months of charges are the test set
    review_threshold: float = REVIEW_THRESHOLD
    negatives_per_positive: int = 0  # 0 = fit on every charge; else down-sample legitimate ones


def load_inputs(url: str) -> dict[str, pl.DataFrame]:
    frames = {"charges": read_frame(url, CHARGES_SQL), "customers": read_frame(url, CUSTOMERS_SQL),
              "disputes": read_frame(url, DISPUTES_SQL), "early_fraud_warnings": read_frame(url, EFW_SQL)}
    for name, frame in frames.items():  # empty results come back untyped
        if frame.height == 0:
            frames[name] = None
    return frames


def report_rows(report: ModelReport) -> pl.DataFrame:
    """`finance.fraud_model_report`: one (metric, value) row per number of the model report."""
    review = report.review
    metrics = {
        "auc": report.auc, "n_train": report.n_train, "n_test": report.n_test,
        "positives_train": report.positives_train, "positives_test": report.positives_test,
        "review_threshold": review.threshold, "flagged": review.flagged,
        "true_positives": review.true_positives, "precision": review.precision, "recall": review.recall,
    }
    return pl.DataFrame({"metric": list(metrics), "value": [None if v is None else float(v)
                                                            for v in metrics.values()]},
                        schema={"metric": pl.Utf8, "value": pl.Float64})


def calibration_frame(report: ModelReport) -> pl.DataFrame:
    return pl.DataFrame([{"bin": b.bin, "n": b.n, "mean_score": b.mean_score,
                          "observed_rate": b.observed_rate, "positives": b.positives}
                         for b in report.calibration],
                        schema={"bin": pl.Int64, "n": pl.Int64, "mean_score": pl.Float64,
                                "observed_rate": pl.Float64, "positives": pl.Int64})


def _markdown(frame: pl.DataFrame, digits: int = 4) -> str:
    def cell(v):
        if v is None:
            return "n/a"
        if isinstance(v, float):
            return f"{v:.{digits}f}"
        if isinstance(v, list):
            return ", ".join(map(str, v))
        return str(v)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.width]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join(lines)


def _num(value) -> dg.MetadataValue:
    if value is None:
        return dg.MetadataValue.text("n/a")
    if isinstance(value, int):
        return dg.MetadataValue.int(value)
    return dg.MetadataValue.float(round(float(value), 6))


def programme_flags(creator_risk: pl.DataFrame) -> dict[str, dict[str, int]]:
    """Per card-network programme: how many creator-months are over / near its line."""
    return {programme: {level: int((creator_risk[column] == level).sum()) for level in ("over", "near")}
            for programme, column in zip(PROGRAMMES, ("vamp_status", "ecm_status", "hecm_status"))}


def model_report_metadata(run: FraudRun, threshold: float) -> dict:
    report = run.report
    meta = {
        "auc_test": _num(report.auc),
        "precision_at_review_threshold": _num(report.review.precision),
        "recall_at_review_threshold": _num(report.review.recall),
        "review_threshold": _num(threshold),
        "flagged_test": _num(report.review.flagged),
        "true_positives_test": _num(report.review.true_positives),
        "n_train": _num(report.n_train), "n_test": _num(report.n_test),
        "positives_train": _num(report.positives_train), "positives_test": _num(report.positives_test),
        "train_months": dg.MetadataValue.json([str(m) for m in report.train_months]),
        "test_months": dg.MetadataValue.json([str(m) for m in report.test_months]),
        "calibration": dg.MetadataValue.md(_markdown(calibration_frame(report))),
        "coefficients": dg.MetadataValue.json({k: round(v, 6) for k, v in report.coefficients.items()}),
        "rules": dg.MetadataValue.md(_markdown(run.rules)),
    }
    for row in run.rules.iter_rows(named=True):
        meta[f"rule/{row['rule']}/hit_rate"] = _num(row["hit_rate"])
        meta[f"rule/{row['rule']}/precision"] = _num(row.get("precision"))
        meta[f"rule/{row['rule']}/recall"] = _num(row.get("recall"))
    rate = run.platform_fraud_rate
    total_charges, total_fraud = int(rate["charges"].sum()), int(rate["fraud"].sum())
    overall = total_fraud / total_charges if total_charges else None
    meta.update({
        "platform_fraud_rate_goal": _num(float(PLATFORM_FRAUD_RATE_GOAL)),
        "platform_fraud_rate_overall": _num(overall),
        "platform_fraud_rate_meets_goal": dg.MetadataValue.bool(
            overall is not None and total_fraud * 1000 < total_charges),
        "platform_fraud_rate_by_month": dg.MetadataValue.md(_markdown(rate, 5)),
        "programme_flags": dg.MetadataValue.json(programme_flags(run.creator_risk)),
    })
    if rate.height:
        latest = rate.row(rate.height - 1, named=True)
        meta["platform_fraud_rate_latest_month"] = dg.MetadataValue.text(str(latest["month"]))
        meta["platform_fraud_rate_latest"] = _num(latest["fraud_rate"])
    return meta


def creator_risk_metadata(creator_risk: pl.DataFrame) -> dict:
    meta: dict = {"rows": _num(creator_risk.height),
                  "creators": _num(creator_risk["creator_account"].n_unique())}
    if creator_risk.height == 0:
        return meta
    latest_month = creator_risk["month"].max()
    latest = creator_risk.filter(pl.col("month") == latest_month)
    meta["latest_month"] = dg.MetadataValue.text(str(latest_month))
    for status in STATUSES:
        meta[f"latest_month/{status}"] = _num(int((latest["status"] == status).sum()))
    flagged = creator_risk.filter(pl.col("status") != "ok").sort(["month", "creator_account"])
    meta["flagged_creator_months"] = _num(flagged.height)
    meta["programme_flags"] = dg.MetadataValue.json(programme_flags(creator_risk))
    meta["flagged"] = dg.MetadataValue.md(_markdown(flagged.select(
        "creator_account", "month", "charges", "disputes", "fraud", "dispute_rate", "fraud_rate",
        "vamp_status", "ecm_status", "hecm_status", "score_p95", "status").head(50)))
    return meta


@dg.multi_asset(
    specs=[
        dg.AssetSpec(CHARGE_FRAUD_SCORES, group_name=GROUP, kinds={"python", "statsmodels"}, deps=INPUTS,
                     description="Fraud probability per succeeded charge (logistic regression on "
                                 "velocity, country, amount, age and history features), its top "
                                 "reasons and the rules it hit."),
        dg.AssetSpec(CREATOR_RISK, group_name=GROUP, kinds={"python"}, deps=INPUTS,
                     description="Per creator and month: dispute and fraud rates, score distribution, "
                                 "Visa VAMP / Mastercard ECM-HECM status and the ok / watch / hold "
                                 "status the payout holds read."),
        dg.AssetSpec(FRAUD_MODEL_REPORT, group_name=GROUP, kinds={"python"}, deps=INPUTS,
                     description="How good the fraud score is on the test months (AUC, precision and "
                                 "recall at the review threshold, calibration), rule hit rates and the "
                                 "platform fraud rate against the 0.1% goal."),
    ],
)
def fraud_scoring(context: dg.AssetExecutionContext, config: FraudConfig, warehouse: WarehouseResource):
    url = warehouse.resolved_url()
    frames = load_inputs(url)
    if frames["charges"] is None:
        raise ValueError("fraud scoring: intermediate.int_fraud__charge_signals has no charges")
    run = run_fraud(frames["charges"], frames["customers"], frames["disputes"],
                    frames["early_fraud_warnings"], seed=config.seed, test_months=config.test_months,
                    threshold=config.review_threshold,
                    negatives_per_positive=config.negatives_per_positive or None)
    creator_risk = run.creator_risk.filter(pl.col("creator_account").is_not_null())
    scores = run.charge_fraud_scores

    replace_table(url, "finance.charge_fraud_scores", scores)
    replace_table(url, "finance.creator_risk", creator_risk)
    replace_table(url, "finance.fraud_model_report", report_rows(run.report))
    replace_table(url, "finance.fraud_calibration", calibration_frame(run.report))
    replace_table(url, "finance.fraud_rules", run.rules)
    replace_table(url, "finance.platform_fraud_rate", run.platform_fraud_rate)

    p50, p95 = (scores["score"].quantile(q, interpolation="linear") for q in (0.5, 0.95))
    yield dg.MaterializeResult(asset_key=CHARGE_FRAUD_SCORES, metadata={
        "rows": _num(scores.height), "score_p50": _num(p50), "score_p95": _num(p95),
        "at_or_above_review_threshold": _num(int((scores["score"] >= config.review_threshold).sum())),
        "with_rule_hits": _num(int((scores["rule_hits"].list.len() > 0).sum())),
        "auc_test": _num(run.report.auc),
    })
    yield dg.MaterializeResult(asset_key=CREATOR_RISK, metadata=creator_risk_metadata(creator_risk))
    yield dg.MaterializeResult(asset_key=FRAUD_MODEL_REPORT,
                               metadata=model_report_metadata(run, config.review_threshold))


@dg.asset_check(asset=CHARGE_FRAUD_SCORES, blocking=True,
                description="Every score is a probability in [0, 1] and each charge has one score.")
def fraud_scores_valid(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    url = warehouse.resolved_url()
    counts = read_frame(url, """
        SELECT count(*) AS n, count(DISTINCT charge_id) AS charges,
               sum(CASE WHEN score IS NULL OR score < 0 OR score > 1 THEN 1 ELSE 0 END) AS out_of_range
        FROM finance.charge_fraud_scores""").row(0, named=True)
    succeeded = read_frame(url, "SELECT count(*) AS n FROM intermediate.int_fraud__charge_signals "
                                "WHERE status = 'succeeded'")["n"][0]
    out_of_range = int(counts["out_of_range"] or 0)
    return dg.AssetCheckResult(
        passed=out_of_range == 0 and counts["n"] == counts["charges"] == succeeded,
        metadata={"scores": int(counts["n"]), "distinct_charges": int(counts["charges"]),
                  "succeeded_charges": int(succeeded), "out_of_range": out_of_range})


@dg.asset_check(asset=CREATOR_RISK, blocking=True,
                description="One row per creator and month; status is ok, watch or hold; rates in [0, 1].")
def creator_risk_valid(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = read_frame(warehouse.resolved_url(),
                       "SELECT creator_account, month, status, dispute_rate, fraud_rate, score_p95 "
                       "FROM finance.creator_risk")
    duplicates = frame.height - frame.select("creator_account", "month").unique().height
    bad_status = int((~frame["status"].is_in(list(STATUSES))).sum()) if frame.height else 0
    bad_rates = frame.filter((pl.col("dispute_rate") < 0) | (pl.col("fraud_rate") < 0)
                             | (pl.col("score_p95") < 0) | (pl.col("score_p95") > 1)).height
    return dg.AssetCheckResult(passed=duplicates == 0 and bad_status == 0 and bad_rates == 0,
                               metadata={"duplicate_keys": duplicates, "unknown_status": bad_status,
                                         "rates_out_of_range": bad_rates})


defs = dg.Definitions(assets=[fraud_scoring], asset_checks=[fraud_scores_valid, creator_risk_valid])
