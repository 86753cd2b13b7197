"""The forecast and fraud assets on the small sandbox world (6 months): tables, metadata, checks.

The world is generated, landed in DuckDB and built with dbt once for the module; the assets are
materialized once; the tests then compare what they wrote with figures recomputed here straight
from the world's Stripe objects (labels, charge counts, fraud rates, AUC).
"""
import base64
import json
import sqlite3
from collections import defaultdict
from datetime import date, datetime, timezone
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from assets.forecasting import (
    forecast_backtest_scores,
    revenue_forecast_intervals,
    revenue_forecasts,
)
from assets.fraud import (
    DEFER_REFIT_TAG,
    creator_risk_valid,
    fraud_scores_valid,
    fraud_scoring,
    load_inputs,
)
from pipelines.fraud import store, stored_model
from pipelines.fraud.features import charge_features
from pipelines.fraud.model import charge_fraud_scores
from pipelines.fraud.rules import rule_hits
from pipelines.resources import WarehouseResource
from pipelines.sandbox.generate import generate_world
from tests.dbt.conftest import run_dbt
from tests.ff_assets.world_warehouse import build_world_warehouse

TOP_CREATORS = 3


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ff_small")
    world_path = directory / "world.sqlite"
    generate_world(world_path, size="small", seed=42)
    wh = build_world_warehouse(world_path, directory / "wh")
    return world_path, wh, directory


@pytest.fixture(scope="module")
def materialized(world, tmp_path_factory):
    world_path, wh, directory = world
    output = directory / "output"
    mp = pytest.MonkeyPatch()
    mp.setenv("CASHBOOK_OUTPUT_DIR", str(output))
    mp.setenv("REPORTING_CURRENCY", "USD")
    try:
        result = dg.materialize(
            [revenue_forecasts, revenue_forecast_intervals, forecast_backtest_scores,
             fraud_scoring, fraud_scores_valid, creator_risk_valid],
            resources={"warehouse": WarehouseResource(url=f"duckdb:///{wh.path}")},
            run_config={"ops": {"revenue_forecasts": {"config": {"top_creators": TOP_CREATORS}}}},
        )
    finally:
        mp.undo()
    assert result.success
    metadata = {tuple(e.asset_key.path): {k: v.value for k, v in e.materialization.metadata.items()}
                for e in result.get_asset_materialization_events()}
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    return metadata, checks, output


def _q(wh, sql):
    with duckdb.connect(str(wh.path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _columns(wh, table):
    schema, name = table.split(".")
    return [r[0] for r in _q(wh, "SELECT column_name FROM information_schema.columns WHERE "
                                 f"table_schema = '{schema}' AND table_name = '{name}' ORDER BY ordinal_position")]


def _world_objects(world_path, object_name):
    conn = sqlite3.connect(f"file:{world_path}?mode=ro", uri=True)
    try:
        return [json.loads(p) for (p,) in conn.execute("SELECT payload FROM objects WHERE object = ?",
                                                       (object_name,))]
    finally:
        conn.close()


def _month(epoch):
    d = datetime.fromtimestamp(epoch, timezone.utc)
    return date(d.year, d.month, 1)


# ---------------------------------------------------------------- dbt: the charge signals


def test_charge_signals_read_card_ip_and_creator_from_the_json(world):
    world_path, wh, _ = world
    charges = {c["id"]: c for c in _world_objects(world_path, "charge")}
    rows = _q(wh, "SELECT charge_id, card_fingerprint, card_network, ip_address, ip_country, "
                  "creator_account_id, amount, status FROM intermediate.int_fraud__charge_signals")
    assert len(rows) == len(charges)
    for charge_id, fingerprint, network, ip, ip_country, creator, amount, status in rows:
        c = charges[charge_id]
        card = c["payment_method_details"]["card"]
        assert fingerprint == card["fingerprint"]
        assert network == (card.get("network") or card["brand"]).lower()
        assert ip == c["metadata"]["client_ip"]
        assert ip_country == c["metadata"]["ip_country"].upper()
        assert creator == ((c.get("transfer_data") or {}).get("destination") or c["metadata"]["creator"])
        assert (amount, status) == (c["amount"], c["status"])


def test_charge_signals_dbt_tests_pass(world):
    _, wh, _ = world
    run_dbt(wh.env, "test", "--select", "int_fraud__charge_signals")


# ---------------------------------------------------------------- forecasts


def test_revenue_forecast_table(materialized, world):
    _, wh, _ = world
    meta = materialized[0][("finance", "revenue_forecast")]
    assert _columns(wh, "finance.revenue_forecast") == [
        "series", "month", "point", "lower_80", "upper_80", "lower_95", "upper_95", "model", "currency"]
    per_series = _q(wh, "SELECT series, count(*), min(month), max(month), min(currency), max(currency) "
                        "FROM finance.revenue_forecast GROUP BY series ORDER BY series")
    names = [r[0] for r in per_series]
    assert "platform_net_revenue" in names and "mrr" in names
    # every top creator is a series; one who joined after the world began (under 6 months of
    # history) gets no forecast rows, only its reason (the degrade rule)
    creators = [s for s in meta["series"] if s.startswith("creator_net_revenue:acct_")]
    assert len(creators) == TOP_CREATORS
    forecast = [s for s in creators if meta[f"{s}/status"] == "forecast"]
    for s in set(creators) - set(forecast):
        assert meta[f"{s}/status"] == "no_forecast" and meta[f"{s}/months_of_history"] < 6
        assert "at least 6 are needed" in meta[f"{s}/reason"]
    assert forecast and sorted(n for n in names if n.startswith("creator_net_revenue:")) == sorted(forecast)
    # the world's data end on 2026-10-31: October is the last complete month, 12 months follow
    assert all(r[1:] == (12, date(2026, 11, 1), date(2027, 10, 1), "USD", "USD") for r in per_series)
    # six months of history: no seasonal model, and no backtest origin -> the naive baseline
    assert {r[0] for r in _q(wh, "SELECT DISTINCT model FROM finance.revenue_forecast")} == {"naive"}


def test_naive_forecast_repeats_the_last_complete_month(materialized, world):
    _, wh, _ = world
    (october,) = _q(wh, "SELECT sum(platform_net_revenue_reporting) FROM marts.fct_revenue_monthly "
                        "WHERE revenue_month = DATE '2026-10-01'")[0]
    points = {r[0] for r in _q(wh, "SELECT point FROM finance.revenue_forecast "
                                   "WHERE series = 'platform_net_revenue'")}
    assert points == {int(october)}


def test_top_creators_are_the_largest_by_trailing_net_revenue(materialized, world):
    _, wh, _ = world
    metadata, _, _ = materialized
    ranked = _q(wh, """
        SELECT creator_account_id, sum(gross_volume + refunds + disputes) AS net
        FROM marts.fct_creator_earnings_monthly
        WHERE currency = 'USD' AND month <= DATE '2026-10-01'
        GROUP BY 1 ORDER BY net DESC, creator_account_id LIMIT 3""")
    top = metadata[("finance", "revenue_forecast")]["inputs"]["top_creators"]
    assert [(t["creator_account"], t["trailing_net_revenue"]) for t in top] == [(c, int(n)) for c, n in ranked]


def test_degrade_rule_and_model_in_metadata(materialized):
    metadata, _, _ = materialized
    meta = metadata[("finance", "revenue_forecast")]
    for series in ("platform_net_revenue", "mrr"):
        assert meta[f"{series}/status"] == "forecast"
        assert meta[f"{series}/model"] == "naive"
        assert meta[f"{series}/months_of_history"] == 6
        assert "6 months < 24: no seasonal model" in meta[f"{series}/notes"]
        assert meta[f"{series}/reason"] == "no backtest origin available: naive baseline by default"
    backtest = metadata[("finance", "forecast_backtest")]
    assert backtest["rows"] == 0
    assert backtest["platform_net_revenue/by_model"].startswith("no backtest: no backtest origin")
    assert backtest["platform_net_revenue/chosen_mean_mase"] == "n/a"


def test_plots_in_metadata_and_on_disk(materialized):
    metadata, _, output = materialized
    meta = metadata[("finance", "revenue_forecast")]
    for series in meta["series"]:
        md = meta[f"{series}/plot"]
        assert md.startswith(f"![{series}](data:image/png;base64,")
        png = base64.b64decode(md.split("base64,", 1)[1].rstrip(")"))
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        path = Path(meta[f"{series}/plot_file"])
        assert path.parent == output / "forecasts" and path.read_bytes() == png


def test_forecast_backtest_table_columns(materialized, world):
    _, wh, _ = world
    assert _columns(wh, "finance.forecast_backtest") == [
        "series", "model", "horizon", "mase", "mape", "coverage_80", "coverage_95", "n_origins", "mase_m"]


# ---------------------------------------------------------------- fraud


def _labels(world_path):
    positives = {d["charge"]: d["created"] for d in _world_objects(world_path, "dispute")
                 if d["reason"] == "fraudulent"}
    for w in _world_objects(world_path, "radar.early_fraud_warning"):
        positives[w["charge"]] = min(w["created"], positives.get(w["charge"], w["created"]))
    return positives


def test_one_score_per_succeeded_charge(materialized, world):
    world_path, wh, _ = world
    succeeded = {c["id"] for c in _world_objects(world_path, "charge") if c["status"] == "succeeded"}
    rows = _q(wh, "SELECT charge_id, score, top_reasons, rule_hits FROM finance.charge_fraud_scores")
    assert len(rows) == len(succeeded) == len({r[0] for r in rows})
    assert {r[0] for r in rows} == succeeded
    assert all(0.0 <= r[1] <= 1.0 for r in rows)
    assert all(len(r[2]) <= 3 for r in rows)
    _, checks, _ = materialized
    assert checks["fraud_scores_valid"].passed and checks["creator_risk_valid"].passed
    assert checks["revenue_forecast_intervals"].passed and checks["forecast_backtest_scores"].passed


def test_model_report_matches_labels_recomputed_from_the_world(materialized, world):
    """AUC on the test month recomputed pairwise from the written scores and the world's disputes
    and early fraud warnings, independently of the library's rank formula. The test month is the
    latest complete one (September: the latest charge is in October, the current month, whose
    charges are scored but neither trained nor tested on); every month before it trains."""
    world_path, wh, _ = world
    metadata, _, _ = materialized
    meta = metadata[("finance", "fraud_model_report")]
    positives = _labels(world_path)
    created = {c["id"]: c["created"] for c in _world_objects(world_path, "charge") if c["status"] == "succeeded"}
    current = max(_month(t) for t in created.values())
    test_month = max(_month(t) for t in created.values() if _month(t) < current)
    assert (str(current), str(test_month)) == ("2026-10-01", "2026-09-01")
    assert meta["test_months"] == [str(test_month)]
    scores = {cid: s for cid, s in _q(wh, "SELECT charge_id, score FROM finance.charge_fraud_scores")}
    test = [(scores[cid], cid in positives) for cid, t in created.items() if _month(t) == test_month]
    pos = [s for s, y in test if y]
    neg = [s for s, y in test if not y]
    assert meta["n_test"] == len(test) and meta["positives_test"] == len(pos)
    assert meta["n_train"] == sum(_month(t) < test_month for t in created.values())
    assert meta["positives_train"] == sum(_month(t) < test_month for cid, t in created.items() if cid in positives)
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    assert meta["auc_test"] == pytest.approx(wins / (len(pos) * len(neg)), abs=1e-6)
    flagged = [(s, y) for s, y in test if s >= 0.5]
    assert meta["flagged_test"] == len(flagged)
    assert meta["precision_at_review_threshold"] == pytest.approx(sum(y for _, y in flagged) / len(flagged), abs=1e-6)
    assert meta["recall_at_review_threshold"] == pytest.approx(sum(y for _, y in flagged) / len(pos), abs=1e-6)
    for key in ("calibration", "rules", "coefficients", "platform_fraud_rate_goal", "programme_flags",
                "platform_fraud_rate_by_month", "rule/card_testing_burst/hit_rate",
                "rule/card_ip_country_mismatch/hit_rate"):
        assert key in meta
    assert meta["calibration"].startswith("| bin | n | mean_score | observed_rate | positives |")


def test_platform_fraud_rate_against_the_goal(materialized, world):
    """Per month: charges with a fraud dispute or warning dated in the month / succeeded charges."""
    world_path, wh, _ = world
    metadata, _, _ = materialized
    charges = [c for c in _world_objects(world_path, "charge")]
    succeeded = defaultdict(int)
    for c in charges:
        if c["status"] == "succeeded":
            succeeded[_month(c["created"])] += 1
    events = {(d["charge"], _month(d["created"])) for d in _world_objects(world_path, "dispute")
              if d["reason"] == "fraudulent"}
    events |= {(w["charge"], _month(w["created"])) for w in _world_objects(world_path, "radar.early_fraud_warning")}
    fraud = defaultdict(int)
    for _, month in events:
        fraud[month] += 1
    rows = _q(wh, "SELECT month, charges, fraud, meets_goal FROM finance.platform_fraud_rate ORDER BY month")
    assert [(m, c, f) for m, c, f, _ in rows] == [(m, succeeded[m], fraud[m]) for m in sorted(succeeded)]
    assert all(meets == (f * 1000 < c) for _, c, f, meets in rows)
    meta = metadata[("finance", "fraud_model_report")]
    total_c, total_f = sum(succeeded.values()), sum(fraud.values())
    assert meta["platform_fraud_rate_overall"] == pytest.approx(total_f / total_c, abs=1e-6)
    assert meta["platform_fraud_rate_meets_goal"] is (total_f * 1000 < total_c)
    assert meta["platform_fraud_rate_goal"] == 0.001


def test_creator_risk_table(materialized, world):
    world_path, wh, _ = world
    metadata, _, _ = materialized
    columns = _columns(wh, "finance.creator_risk")
    for needed in ("creator_account", "month", "status", "score_p95", "dispute_rate", "fraud_rate",
                   "vamp_status", "ecm_status", "hecm_status"):
        assert needed in columns
    per_creator_month = defaultdict(int)
    for c in _world_objects(world_path, "charge"):
        if c["status"] == "succeeded":
            per_creator_month[(c["transfer_data"]["destination"], _month(c["created"]))] += 1
    rows = _q(wh, "SELECT creator_account, month, charges, status, score_p95 FROM finance.creator_risk")
    assert {(a, m): n for a, m, n, _, _ in rows if n} == dict(per_creator_month)
    assert {s for _, _, _, s, _ in rows} <= {"ok", "watch", "hold"}
    meta = metadata[("finance", "creator_risk")]
    latest = [r for r in rows if r[1] == date(2026, 10, 1)]
    assert meta["latest_month"] == "2026-10-01"
    assert [meta[f"latest_month/{s}"] for s in ("ok", "watch", "hold")] == [
        sum(r[3] == s for r in latest) for s in ("ok", "watch", "hold")]
    # a small platform never reaches the programmes' counts (1,500 Visa, 100 Mastercard)
    assert meta["programme_flags"] == {p: {"over": 0, "near": 0}
                                       for p in ("visa_vamp", "mastercard_ecm", "mastercard_hecm")}


def _fraud_tables(path):
    with duckdb.connect(str(path), read_only=True) as conn:
        return {t: conn.execute(f"SELECT * FROM finance.{t} ORDER BY ALL").fetchall()
                for t in ("charge_fraud_scores", "creator_risk", "fraud_rules", "platform_fraud_rate",
                          "fraud_model_report", "fraud_calibration", "fraud_model")}


def _materialize_fraud(path, refit=False, tags=None):
    result = dg.materialize([fraud_scoring, fraud_scores_valid, creator_risk_valid],
                            resources={"warehouse": WarehouseResource(url=f"duckdb:///{path}")},
                            run_config={"ops": {"fraud_scoring": {"config": {"refit": refit}}}}, tags=tags)
    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {"fraud_scores_valid": True, "creator_risk_valid": True}
    return {tuple(e.asset_key.path): {k: v.value for k, v in e.materialization.metadata.items()}
            for e in result.get_asset_materialization_events()}


def test_a_day_reuses_the_stored_model_and_scores_only_what_changed(materialized, world, tmp_path):
    """On a copy: the day after the full run reuses the model, scores only the charges from the
    new one on and writes what a full rescore with that model writes; `refit: true` fits again on
    the same months; the first charge of November refits on its own, testing on all October."""
    world_path, wh, _ = world
    metadata, _, _ = materialized
    meta = metadata[("finance", "fraud_model_report")]
    assert meta["model"] == "refitted" and meta["refit_reason"] == "no stored model"
    # May to October: October holds the latest charge, September is the test month
    assert meta["model_test_months"] == ["2026-09-01"] and meta["model_train_months"] == [
        "2026-05-01", "2026-06-01", "2026-07-01", "2026-08-01"]
    path = tmp_path / "day.duckdb"
    path.write_bytes(Path(wh.path).read_bytes())
    before = _fraud_tables(path)

    quiet = _materialize_fraud(path)[("finance", "fraud_model_report")]
    assert quiet["model"] == "reused" and quiet["charges_scored_today"] == 0
    assert quiet["model_fitted_at"] == meta["model_fitted_at"] and quiet["auc_test"] == meta["auc_test"]
    assert _fraud_tables(path) == before

    with duckdb.connect(str(path)) as conn:  # a new charge on the last day, as a day's ingest brings
        conn.execute("""INSERT INTO intermediate.int_fraud__charge_signals
            SELECT * REPLACE ('ch_day_1' AS charge_id, TIMESTAMP '2026-10-31 23:50' AS created_at)
            FROM intermediate.int_fraud__charge_signals WHERE status = 'succeeded'
            ORDER BY created_at DESC LIMIT 1""")
        later = conn.execute("SELECT count(*) FROM intermediate.int_fraud__charge_signals WHERE "
                             "status = 'succeeded' AND created_at >= TIMESTAMP '2026-10-31 23:50'").fetchone()[0]
    day = _materialize_fraud(path)
    scores_meta = day[("finance", "charge_fraud_scores")]
    assert scores_meta["model"] == "reused" and scores_meta["charges_scored_today"] == later >= 1
    assert scores_meta["rescored_from"] == "2026-10-31 23:50:00"
    assert scores_meta["rows"] == len(before["charge_fraud_scores"]) + 1
    after_day = _fraud_tables(path)
    assert after_day["fraud_model"] == before["fraud_model"]

    # equal to a full rescore of today's inputs with the stored model, to the bit
    with store.Session(f"duckdb:///{path}") as session:
        frames = load_inputs(session)
        model, _ = stored_model.model_from_rows(session.read("SELECT * FROM finance.fraud_model"))
    features = charge_features(frames["charges"], frames["customers"], frames["disputes"],
                               frames["early_fraud_warnings"]).filter(pl.col("status") == "succeeded")
    expected = charge_fraud_scores(model, features).join(
        rule_hits(features).select("charge_id", "rule_hits"), on="charge_id", maintain_order="left")
    assert sorted(after_day["charge_fraud_scores"]) == sorted(expected.rows())

    refit = _materialize_fraud(path, refit=True)[("finance", "fraud_model_report")]
    assert refit["model"] == "refitted" and refit["refit_reason"] == "asked (refit: true)"
    # the day's charge is in October, the current month: neither trained nor tested on
    assert refit["n_train"] == meta["n_train"] and refit["n_test"] == meta["n_test"]
    assert refit["auc_test"] == meta["auc_test"] and refit["model_test_months"] == ["2026-09-01"]
    assert _fraud_tables(path)["fraud_model"] != before["fraud_model"]  # fitted_at at least

    # the first charge of November: October is complete and becomes the test month, September trains
    with duckdb.connect(str(path)) as conn:
        conn.execute("""INSERT INTO intermediate.int_fraud__charge_signals
            SELECT * REPLACE ('ch_day_2' AS charge_id, TIMESTAMP '2026-11-01 00:05' AS created_at)
            FROM intermediate.int_fraud__charge_signals WHERE charge_id = 'ch_day_1'""")
    october = sum(_month(c["created"]) == date(2026, 10, 1) for c in _world_objects(world_path, "charge")
                  if c["status"] == "succeeded") + 1  # ch_day_1
    # the daily close (its runs carry the tag) scores it with September's model and leaves the fit
    # to the fraud_model_refit job
    close = _materialize_fraud(path, tags=dict([DEFER_REFIT_TAG]))
    deferred = close[("finance", "fraud_model_report")]
    assert deferred["model"] == "reused" and deferred["model_test_months"] == ["2026-09-01"]
    assert deferred["refit_due"] == "new test month: the fraud_model_refit job fits it"
    assert deferred["model_fitted_at"] == refit["model_fitted_at"]
    assert close[("finance", "charge_fraud_scores")]["charges_scored_today"] == 1  # ch_day_2
    assert close[("finance", "charge_fraud_scores")]["rows"] == len(before["charge_fraud_scores"]) + 2
    new_month = _materialize_fraud(path)[("finance", "fraud_model_report")]
    assert new_month["model"] == "refitted" and new_month["refit_reason"] == "new test month"
    assert new_month["model_test_months"] == ["2026-10-01"] and len(new_month["model_train_months"]) == 5
    assert new_month["n_test"] == october and new_month["n_train"] == meta["n_train"] + meta["n_test"]
    assert new_month["charges_scored_today"] == meta["n_train"] + meta["n_test"] + october + 1
    # and the next charge of November reuses that model
    with duckdb.connect(str(path)) as conn:
        conn.execute("""INSERT INTO intermediate.int_fraud__charge_signals
            SELECT * REPLACE ('ch_day_3' AS charge_id, TIMESTAMP '2026-11-01 09:00' AS created_at)
            FROM intermediate.int_fraud__charge_signals WHERE charge_id = 'ch_day_1'""")
    next_day = _materialize_fraud(path)[("finance", "fraud_model_report")]
    assert next_day["model"] == "reused" and next_day["model_fitted_at"] == new_month["model_fitted_at"]
    assert next_day["auc_test"] == new_month["auc_test"] and next_day["n_test"] == october
