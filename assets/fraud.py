"""Fraud scores and creator risk that report their own accuracy (issue 7), as Dagster assets.

Thin: read the charge signals and the disputes / early fraud warnings / customers from the
warehouse, score them, write the `finance.*` tables and print every metric in the
materialization metadata (model AUC, precision and recall at the review threshold, calibration,
rule hit rates, platform fraud rate against the 0.1% goal, Visa VAMP and Mastercard ECM/HECM
flags, and whether the model was refitted or reused and on which months).

Two paths (issue 9: the daily close on the large world in 2 minutes; a full run is 25 s there):
- full (`full_run`: `pipelines.fraud.run.run_fraud`): fit on all history, score every charge,
  rewrite every table. When there is no stored model, when the test months moved (the test set
  is the latest complete calendar months: on the first day of a new month), when the settings
  changed, or when asked (config `refit: true`). A run tagged `cashbook/fraud_refit: monthly_job`
  (every `daily_close` run: the tag is the job's) leaves the new month's fit to the
  `fraud_model_refit` job: a day only scores, and the fit (14 s on the large world) runs at 02:00
  on the 1st, outside the close. A tag, not config, so that every way of launching the close
  (schedule, UI, `pipelines.demo --daily-close` with its own run config) behaves the same.
- day (`day_run`): the model stored in `finance.fraud_model` scores the charges from the earliest
  change on (`pipelines.fraud.daily`); those scores and the creator months from that month on
  are replaced, the rules and the platform fraud rate recomputed; the fit's report stays.

Tables: `finance.charge_fraud_scores` (charge_id, score, top_reasons, rule_hits),
`finance.creator_risk` (creator_account, month, ..., score_p50, score_p95, status: the payout
holds read creator_account, month, status, score_p95), `finance.fraud_model_report` (metric,
value), `finance.fraud_calibration`, `finance.fraud_rules`, `finance.platform_fraud_rate`, and
for the day path `finance.fraud_model` (the fitted model) and `finance.fraud_inputs` (a hash per
input row the scores were computed from).
Resource `warehouse` (WarehouseResource) is bound by `assets.raw_stripe`'s definitions.
"""

import os

# statsmodels / numpy: one BLAS thread per process is faster on a shared machine; set before
# numpy is imported by the fraud library.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from datetime import datetime, timezone  # noqa: E402

import dagster as dg  # noqa: E402
import polars as pl  # noqa: E402

from pipelines.fraud import daily, store, stored_model  # noqa: E402
from pipelines.fraud.features import FEATURE_COLUMNS  # noqa: E402
from pipelines.fraud.labels import fraud_labels  # noqa: E402
from pipelines.fraud.model import REVIEW_THRESHOLD, ModelReport  # noqa: E402
from pipelines.fraud.monitoring import (  # noqa: E402
    PLATFORM_FRAUD_RATE_GOAL,
    PROGRAMMES,
    creator_risk,
    platform_fraud_rate,
)
from pipelines.fraud.rules import rule_report_from_hits  # noqa: E402
from pipelines.fraud.run import FraudRun, run_fraud  # noqa: E402
from pipelines.resources import WarehouseResource  # noqa: E402
from pipelines.warehouse.frames import read_frame  # noqa: E402

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
    # the latest complete calendar months of charges are the test set (the current month, still
    # partial, is scored but neither trained nor tested on; every month before the test set
    # trains); with too few complete months, the latest months, partial one included
    test_months: int = 1
    review_threshold: float = REVIEW_THRESHOLD
    negatives_per_positive: int = 0  # 0 = fit on every charge; else down-sample legitimate ones
    # fit the model again even though its training window has not moved (a new calendar month
    # of charges completing the month before, or other settings above, refit it on their own)
    refit: bool = False


# On a run with this tag, a new test month alone does not refit: the stored model scores and the
# `fraud_model_refit` job fits (a missing model or changed settings still fit: nothing valid to
# score with).
DEFER_REFIT_TAG = ("cashbook/fraud_refit", "monthly_job")


def load_inputs(session: store.Session) -> dict[str, pl.DataFrame]:
    frames = {"charges": session.read(CHARGES_SQL), "customers": session.read(CUSTOMERS_SQL),
              "disputes": session.read(DISPUTES_SQL), "early_fraud_warnings": session.read(EFW_SQL)}
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
    fit_settings = stored_model.settings(config.seed, config.test_months, config.negatives_per_positive or None,
                                         config.review_threshold, FEATURE_COLUMNS)
    with store.Session(url) as session:
        frames = load_inputs(session)
        if frames["charges"] is None:
            raise ValueError("fraud scoring: intermediate.int_fraud__charge_signals has no charges")
        stored = load_stored(session)
        reason = daily.needs_refit(stored and stored["fit"], fit_settings,
                                   daily.test_months_of(frames["charges"], config.test_months), config.refit)
        defer = context.run.tags.get(DEFER_REFIT_TAG[0]) == DEFER_REFIT_TAG[1]
        deferred = reason if reason == daily.NEW_TEST_MONTH and defer else None
        if deferred:
            reason = None
        if reason is None:
            length = "len" if session.target.kind == "duckdb" else "cardinality"
            stored |= {name: session.read(sql.format(length=length)) for name, sql in STORED_SQL.items()}
    state = daily.input_state(frames)
    if reason is not None:
        run, fit, day = full_run(url, frames, state, config, fit_settings)
        fit_meta = {"model": dg.MetadataValue.text("refitted"), "refit_reason": dg.MetadataValue.text(reason)}
    else:
        run, fit, day = day_run(url, frames, state, stored)
        fit_meta = {"model": dg.MetadataValue.text("reused")}
        if deferred:
            fit_meta["refit_due"] = dg.MetadataValue.text(f"{deferred}: the fraud_model_refit job fits it")
            context.log.warning(f"fraud model: {deferred}; scored with the model fitted {fit['fitted_at']}, "
                                "the fraud_model_refit job refits it")
    fit_meta |= {
        "model_fitted_at": dg.MetadataValue.text(str(fit["fitted_at"])),
        "model_train_months": dg.MetadataValue.json([str(m) for m in fit["train_months"]]),
        "model_test_months": dg.MetadataValue.json([str(m) for m in fit["test_months"]]),
        **day,
    }
    context.log.info(f"fraud model {fit_meta['model'].value}; fitted {fit['fitted_at']} on "
                     f"{len(fit['train_months'])} months; {day['charges_scored_today'].value} charges scored")
    scores, creator_risk = run.charge_fraud_scores, run.creator_risk
    p50, p95 = (scores["score"].quantile(q, interpolation="linear") for q in (0.5, 0.95))
    yield dg.MaterializeResult(asset_key=CHARGE_FRAUD_SCORES, metadata={
        "rows": _num(scores.height), "score_p50": _num(p50), "score_p95": _num(p95),
        "at_or_above_review_threshold": _num(int((scores["score"] >= config.review_threshold).sum())),
        "with_rule_hits": _num(int((scores["rule_hits"].list.len() > 0).sum())),
        "auc_test": _num(run.report.auc), **fit_meta,
    })
    yield dg.MaterializeResult(asset_key=CREATOR_RISK, metadata=creator_risk_metadata(creator_risk) | day)
    yield dg.MaterializeResult(asset_key=FRAUD_MODEL_REPORT,
                               metadata=model_report_metadata(run, config.review_threshold) | fit_meta)


STORED_TABLES = ("finance.fraud_model", "finance.fraud_inputs", "finance.charge_fraud_scores",
                 "finance.creator_risk", "finance.fraud_model_report", "finance.fraud_calibration")


STORED_SQL = {  # what a day reads of the last run; top_reasons and empty rule_hits are not needed
    "inputs": "SELECT * FROM finance.fraud_inputs",
    "scores": "SELECT charge_id, score FROM finance.charge_fraud_scores",
    "hits": "SELECT charge_id, rule_hits FROM finance.charge_fraud_scores WHERE {length}(rule_hits) > 0",
    "creator_risk": "SELECT * FROM finance.creator_risk",
    "report": "SELECT metric, value FROM finance.fraud_model_report",
    "calibration": "SELECT * FROM finance.fraud_calibration ORDER BY bin",
}


def load_stored(session: store.Session) -> dict | None:
    """The last run's model and fit, or None when a table a day builds on is missing (first run,
    or a warehouse from before the model was stored)."""
    if not all(session.exists(t) for t in STORED_TABLES):
        return None
    rows = session.read("SELECT * FROM finance.fraud_model")
    if rows.height == 0:
        return None
    model, fit = stored_model.model_from_rows(rows)
    return {"model": model, "fit": fit}


def full_run(url: str, frames: dict, state: pl.DataFrame, config: FraudConfig, fit_settings: dict):
    """Fit on all history, score every charge, rewrite every table (what every day did before)."""
    run = run_fraud(frames["charges"], frames["customers"], frames["disputes"],
                    frames["early_fraud_warnings"], seed=config.seed, test_months=config.test_months,
                    threshold=config.review_threshold,
                    negatives_per_positive=config.negatives_per_positive or None)
    run.creator_risk = run.creator_risk.filter(pl.col("creator_account").is_not_null())
    fitted_at = datetime.now(timezone.utc).replace(tzinfo=None)
    model_rows = stored_model.model_rows(run.model, run.report, fit_settings, fitted_at)
    store.write(url, [
        store.Write("finance.charge_fraud_scores", run.charge_fraud_scores),
        store.Write("finance.creator_risk", run.creator_risk),
        store.Write("finance.fraud_model_report", report_rows(run.report)),
        store.Write("finance.fraud_calibration", calibration_frame(run.report)),
        store.Write("finance.fraud_rules", run.rules),
        store.Write("finance.platform_fraud_rate", run.platform_fraud_rate),
        store.Write("finance.fraud_model", model_rows),
        store.Write("finance.fraud_inputs", state),
    ])
    _, fit = stored_model.model_from_rows(model_rows)
    return run, fit, {"charges_scored_today": _num(run.charge_fraud_scores.height),
                      "rescored_from": dg.MetadataValue.text("all history")}


def day_run(url: str, frames: dict, state: pl.DataFrame, stored: dict):
    """Score with the stored model what changed since the last run (see pipelines.fraud.daily);
    the other tables follow from the stored rows and today's."""
    model, fit = stored["model"], stored["fit"]
    charges, customers = frames["charges"], frames["customers"]
    disputes, efw = frames["disputes"], frames["early_fraud_warnings"]
    changed = daily.changes(stored["inputs"], state, charges)
    old_risk = stored["creator_risk"]
    if changed.horizon is None:
        new_scores, replaced, since = None, pl.Series("charge_id", [], pl.Utf8), None
    else:
        since = changed.horizon
        new_scores = daily.score_from(model, charges, customers, disputes, efw, since)
        replaced = daily.window_charge_ids(charges, since, changed.keys("charges"))
    kept = ~pl.col("charge_id").is_in(replaced.implode())
    scores = stored["scores"].select(list(SCORE_SCHEMA)).cast(SCORE_SCHEMA).filter(kept)
    hits = stored["hits"].select(list(HITS_SCHEMA)).cast(HITS_SCHEMA).filter(kept)
    if new_scores is not None:
        scores = pl.concat([scores, new_scores.select(list(SCORE_SCHEMA)).cast(SCORE_SCHEMA)])
        hits = pl.concat([hits, new_scores.filter(pl.col("rule_hits").list.len() > 0)
                          .select(list(HITS_SCHEMA)).cast(HITS_SCHEMA)])
    if since is None:
        risk_rows, risk = None, old_risk
    else:
        from_month = daily.month_start(since).date()
        risk_rows = creator_risk_frame(charges, disputes, efw,
                                       daily.scores_from_month(scores, charges, from_month),
                                       from_month=from_month)
        risk = pl.concat([old_risk.filter(pl.col("month") < from_month)
                          .select(risk_rows.columns).cast(risk_rows.schema), risk_rows]
                         ).sort(["creator_account", "month"])
    succeeded = charges.filter(pl.col("status") == "succeeded")["charge_id"]
    labels = fraud_labels(succeeded, disputes, efw)
    rules = rule_report_from_hits(hits, succeeded.len(), labels)
    rate = platform_fraud_rate(charges, disputes, efw)
    changed_state = state.join(changed.rows.select("kind", "key").unique(), on=["kind", "key"], how="semi")
    writes = [store.Write("finance.fraud_rules", rules), store.Write("finance.platform_fraud_rate", rate)]
    if since is not None:
        writes += [
            store.Write("finance.charge_fraud_scores", new_scores, key="charge_id", keys=replaced),
            store.Write("finance.creator_risk", risk_rows, key="month",
                        key_from=from_month),
            store.Write("finance.fraud_inputs", changed_state, key="kind || ':' || key",
                        keys=changed.rows.select(pl.col("kind") + ":" + pl.col("key"))
                        .to_series().unique()),
        ]
    store.write(url, writes)
    report = stored_model.report_from_tables(model, fit, stored["report"], stored["calibration"])
    # the metadata counts rule hits per score row: the charges without a hit get a null list
    scores = scores.join(hits, on="charge_id", how="left")
    run = FraudRun(model, report, scores, rules, risk, rate)
    return run, fit, {"charges_scored_today": _num(0 if new_scores is None else new_scores.height),
                      "rescored_from": dg.MetadataValue.text(str(since) if since else "nothing changed")}


SCORE_SCHEMA = {"charge_id": pl.Utf8, "score": pl.Float64}
HITS_SCHEMA = {"charge_id": pl.Utf8, "rule_hits": pl.List(pl.Utf8)}


def creator_risk_frame(charges, disputes, efw, scores, from_month=None) -> pl.DataFrame:
    return creator_risk(charges, disputes, efw, scores, from_month=from_month).filter(
        pl.col("creator_account").is_not_null())


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
    with store.Session(warehouse.resolved_url()) as session:  # Arrow on DuckDB: 0.15 s less on large
        frame = session.read("SELECT creator_account, month, status, dispute_rate, fraud_rate, score_p95 "
                             "FROM finance.creator_risk")
    duplicates = frame.height - frame.select("creator_account", "month").unique().height
    bad_status = int((~frame["status"].is_in(list(STATUSES))).sum()) if frame.height else 0
    bad_rates = frame.filter((pl.col("dispute_rate") < 0) | (pl.col("fraud_rate") < 0)
                             | (pl.col("score_p95") < 0) | (pl.col("score_p95") > 1)).height
    return dg.AssetCheckResult(passed=duplicates == 0 and bad_status == 0 and bad_rates == 0,
                               metadata={"duplicate_keys": duplicates, "unknown_status": bad_status,
                                         "rates_out_of_range": bad_rates})


defs = dg.Definitions(assets=[fraud_scoring], asset_checks=[fraud_scores_valid, creator_risk_valid])
