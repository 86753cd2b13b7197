"""A day's fraud step on plain frames: what it rescores with the stored model equals a full
rescore with that model, to the bit, and it knows what changed and from when."""
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.fraud import daily, stored_model
from pipelines.fraud.features import FEATURE_COLUMNS, charge_features
from pipelines.fraud.labels import fraud_labels
from pipelines.fraud.model import charge_fraud_scores
from pipelines.fraud.monitoring import creator_risk
from pipelines.fraud.rules import rule_hits, rule_report, rule_report_from_hits
from pipelines.fraud.run import run_fraud

from .synthetic import world


def full_rescore(model, charges, customers, efws):
    """What a full run writes with `model`: every succeeded charge scored, by charge id."""
    features = charge_features(charges, customers, None, efws).filter(pl.col("status") == "succeeded")
    return charge_fraud_scores(model, features).join(
        rule_hits(features).select("charge_id", "rule_hits"), on="charge_id", maintain_order="left")


@pytest.fixture(scope="module")
def yesterday():
    charges, customers, efws = world()
    frames = {"charges": charges, "customers": customers, "disputes": None, "early_fraud_warnings": efws}
    return frames, run_fraud(charges, customers, None, efws, seed=2)


def a_day(frames):
    """The day after: a fraud burst on a card already reported (with a new customer), a late
    warning on an April charge, a charge of 20 April turned failed, an old customer's sign-up
    date corrected."""
    charges, customers, efws = frames["charges"], frames["customers"], frames["early_fraud_warnings"]
    reported = charges.join(efws.select("charge_id"), on="charge_id").sort("created_at").row(0, named=True)
    burst = pl.DataFrame([{**reported, "charge_id": f"ch_new{k}", "customer_id": "cus_new",
                           "created_at": datetime(2026, 4, 30, 23, 0) + timedelta(minutes=k),
                           "amount": 9000, "status": "failed" if k < 2 else "succeeded"}
                          for k in range(4)], schema=charges.schema)
    april = charges.filter((pl.col("created_at") >= datetime(2026, 4, 20))
                           & (pl.col("status") == "succeeded")).sort("created_at")
    turned, warned = april["charge_id"][0], april["charge_id"][1]
    charges = pl.concat([charges.with_columns(
        pl.when(pl.col("charge_id") == turned).then(pl.lit("failed")).otherwise("status").alias("status")),
        burst])
    customers = pl.concat([customers.with_columns(
        pl.when(pl.col("customer_id") == "cus_3").then(pl.col("created_at") - timedelta(days=7))
        .otherwise("created_at").alias("created_at")),
        pl.DataFrame({"customer_id": ["cus_new"], "created_at": [datetime(2026, 4, 30, 22, 55)]})])
    efws = pl.concat([efws, pl.DataFrame({"charge_id": [warned], "created_at": [datetime(2026, 4, 30, 12)]})])
    return {"charges": charges, "customers": customers, "disputes": None, "early_fraud_warnings": efws}


def test_features_from_a_time_equal_those_of_a_full_run():
    charges, customers, efws = world()
    full = charge_features(charges, customers, None, efws)
    for since in (datetime(2026, 2, 14, 6, 3, 7), datetime(2026, 3, 1), datetime(2026, 4, 29),
                  datetime(2026, 4, 30, 12)):
        window = charge_features(charges, customers, None, efws, since=since)
        assert window.height == full.filter(pl.col("created_at") >= since).height > 0
        assert_frame_equal(window, full.filter(pl.col("created_at") >= since), check_exact=True)


def test_a_day_rescored_with_the_stored_model_equals_a_full_rescore(yesterday):
    frames, run = yesterday
    today = a_day(frames)
    changed = daily.changes(daily.input_state(frames), daily.input_state(today), today["charges"])
    # the customer whose sign-up moved has charges from January: everything from then on
    first_of_cus_3 = frames["charges"].filter(pl.col("customer_id") == "cus_3")["created_at"].min()
    assert changed.horizon == first_of_cus_3
    args = (today["charges"], today["customers"], None, today["early_fraud_warnings"])
    expected = full_rescore(run.model, today["charges"], today["customers"], today["early_fraud_warnings"])
    assert expected.height == today["charges"].filter(pl.col("status") == "succeeded").height
    full_risk = creator_risk(today["charges"], None, today["early_fraud_warnings"], expected)
    for since in (changed.horizon, daily.month_start(changed.horizon)):
        new = daily.score_from(run.model, *args, since=since)
        replaced = daily.window_charge_ids(today["charges"], since, changed.keys("charges"))
        merged = pl.concat([run.charge_fraud_scores.filter(~pl.col("charge_id").is_in(replaced.implode())),
                            new])
        assert_frame_equal(merged.sort("charge_id"), expected.sort("charge_id"), check_exact=True)
        # the creator months from the horizon's month on, from the merged scores
        month = daily.month_start(since).date()
        risk = creator_risk(today["charges"], None, today["early_fraud_warnings"],
                            daily.scores_from_month(merged, today["charges"], month), from_month=month)
        assert_frame_equal(risk, full_risk.filter(pl.col("month") >= month), check_exact=True)


def test_only_the_days_charges_when_only_new_charges_came(yesterday):
    frames, run = yesterday
    today = a_day(frames)
    today["customers"] = pl.concat([frames["customers"], today["customers"].tail(1)])  # cus_3 as before
    today["charges"] = pl.concat([frames["charges"], today["charges"].tail(4)])  # the burst only
    today["early_fraud_warnings"] = frames["early_fraud_warnings"]
    changed = daily.changes(daily.input_state(frames), daily.input_state(today), today["charges"])
    assert changed.horizon == datetime(2026, 4, 30, 23, 0)  # the burst's first charge
    assert sorted(changed.keys("charges").to_list()) == [f"ch_new{k}" for k in range(4)]
    assert changed.keys("customers").to_list() == ["cus_new"]
    new = daily.score_from(run.model, today["charges"], today["customers"], None,
                           today["early_fraud_warnings"], since=changed.horizon)
    late = today["charges"].filter((pl.col("created_at") >= changed.horizon) & (pl.col("status") == "succeeded"))
    assert sorted(new["charge_id"].to_list()) == sorted(late["charge_id"].to_list())
    assert 4 <= new.height < 10 and {"ch_new2", "ch_new3"} <= set(new["charge_id"])
    burst = new.filter(pl.col("charge_id").is_in(["ch_new2", "ch_new3"]))
    assert "prior_fraud_history" in burst["rule_hits"][0].to_list()
    expected = full_rescore(run.model, today["charges"], today["customers"], today["early_fraud_warnings"])
    assert_frame_equal(new.sort("charge_id"),
                       expected.filter(pl.col("charge_id").is_in(new["charge_id"].implode())).sort("charge_id"),
                       check_exact=True)


def test_nothing_changed_means_no_horizon(yesterday):
    frames, _ = yesterday
    state = daily.input_state(frames)
    shuffled = {k: (v.sample(fraction=1.0, seed=3) if v is not None else None) for k, v in frames.items()}
    changed = daily.changes(state, daily.input_state(shuffled), frames["charges"])
    assert changed.horizon is None and changed.rows.height == 0


def test_a_duplicated_warning_row_is_a_change(yesterday):
    frames, _ = yesterday
    efws = frames["early_fraud_warnings"]
    today = {**frames, "early_fraud_warnings": pl.concat([efws, efws.head(1)])}
    changed = daily.changes(daily.input_state(frames), daily.input_state(today), frames["charges"])
    assert changed.horizon == efws["created_at"][0]
    assert changed.keys("early_fraud_warnings").to_list() == [efws["charge_id"][0]]


def test_creator_months_from_the_horizon_equal_a_full_run(yesterday):
    frames, run = yesterday
    today = a_day(frames)
    since = datetime(2026, 4, 1)
    args = (today["charges"], today["customers"], None, today["early_fraud_warnings"])
    scores = full_rescore(run.model, *args[:2], args[3])
    full = creator_risk(today["charges"], None, today["early_fraud_warnings"], scores)
    window_scores = daily.score_from(run.model, *args, since=since)
    part = creator_risk(today["charges"], None, today["early_fraud_warnings"], window_scores,
                        from_month=since.date())
    assert part["month"].min() == date(2026, 4, 1) and part.height > 0
    assert_frame_equal(part, full.filter(pl.col("month") >= date(2026, 4, 1)), check_exact=True)


def test_rule_report_from_stored_hits_equals_the_one_from_features(yesterday):
    frames, run = yesterday
    features = charge_features(frames["charges"], frames["customers"], None,
                               frames["early_fraud_warnings"]).filter(pl.col("status") == "succeeded")
    labels = fraud_labels(features["charge_id"], None, frames["early_fraud_warnings"])
    expected = rule_report(features, labels["is_fraud"])
    hits = run.charge_fraud_scores.filter(pl.col("rule_hits").list.len() > 0)
    assert hits.height < run.charge_fraud_scores.height
    got = rule_report_from_hits(hits, features.height, labels)
    assert_frame_equal(got, expected, check_exact=True)
    assert got["hits"].sum() > 0 and got["fraud_hits"].sum() > 0
    assert_frame_equal(rule_report_from_hits(hits, features.height), rule_report(features))


def test_the_stored_model_scores_to_the_bit(yesterday):
    frames, run = yesterday
    fit = stored_model.settings(2, 1, None, 0.5, FEATURE_COLUMNS)
    rows = stored_model.model_rows(run.model, run.report, fit, datetime(2026, 5, 1, 0, 30))
    assert rows.height == len(FEATURE_COLUMNS) + 1 and rows["term"][0] == "intercept"
    model, stored = stored_model.model_from_rows(rows)
    assert stored_model.same_model(model, run.model)
    assert stored["test_months"] == ["2026-03-01"]  # April, the month of the latest charge, is partial
    assert stored["train_months"] == [date(2026, 1, 1), date(2026, 2, 1)]
    features = charge_features(frames["charges"], frames["customers"], None, frames["early_fraud_warnings"])
    assert np.array_equal(model.score(features), run.model.score(features))


def test_refit_when_the_window_moves_the_settings_change_or_asked(yesterday):
    frames, _ = yesterday
    fit = stored_model.settings(0, 1, None, 0.5, FEATURE_COLUMNS)
    stored = fit | {"test_months": ["2026-03-01"]}
    months = daily.test_months_of(frames["charges"], 1)
    assert months == [date(2026, 3, 1)]
    assert daily.needs_refit(stored, fit, months, asked=False) is None
    assert daily.needs_refit(stored, fit, months, asked=True) == "asked (refit: true)"
    assert daily.needs_refit(None, fit, months, asked=False) == "no stored model"
    assert daily.needs_refit(stored, fit | {"seed": 1}, months, asked=False) == "model settings changed"
    may = pl.DataFrame([{**frames["charges"].row(0, named=True), "charge_id": "ch_may",
                         "created_at": datetime(2026, 5, 1, 0, 5)}], schema=frames["charges"].schema)
    months = daily.test_months_of(pl.concat([frames["charges"], may]), 1)
    assert months == [date(2026, 4, 1)]
    assert daily.needs_refit(stored, fit, months, asked=False) == "new test month"


def one_charge(template: dict, charge_id: str, at: datetime, status: str = "succeeded") -> dict:
    return {**template, "charge_id": charge_id, "created_at": at, "status": status}


def test_last_day_of_a_month_reuses_the_model_the_first_of_the_next_refits(yesterday):
    """On plain charges: succeeded ones on 10 January, 10 February and 10 March; March is partial
    while it holds the latest charge, so February is the test month until April begins."""
    template = yesterday[0]["charges"].row(0, named=True)
    schema = yesterday[0]["charges"].schema
    base = [one_charge(template, f"ch_{m}", datetime(2026, m, 10)) for m in (1, 2, 3)]

    def months(*extra):
        return daily.test_months_of(pl.DataFrame(base + list(extra), schema=schema), 1)

    fit = stored_model.settings(0, 1, None, 0.5, FEATURE_COLUMNS)
    stored = fit | {"test_months": ["2026-02-01"]}
    assert months() == [date(2026, 2, 1)]
    last_day = one_charge(template, "ch_last", datetime(2026, 3, 31, 23, 59, 59))
    assert months(last_day) == [date(2026, 2, 1)]
    assert daily.needs_refit(stored, fit, months(last_day), asked=False) is None  # reuse
    first_day = one_charge(template, "ch_first", datetime(2026, 4, 1, 0, 0))
    assert months(last_day, first_day) == [date(2026, 3, 1)]
    assert daily.needs_refit(stored, fit, months(last_day, first_day), asked=False) == "new test month"
    # only succeeded charges are trained and tested on: a failed one on the 1st moves nothing yet
    failed = one_charge(template, "ch_failed", datetime(2026, 4, 1, 0, 0), status="failed")
    assert months(last_day, failed) == [date(2026, 2, 1)]
    # two months only: the fallback tests on the latest, partial one (as model.split_months)
    assert daily.test_months_of(pl.DataFrame(base[:2], schema=schema), 1) == [date(2026, 2, 1)]
    assert daily.test_months_of(pl.DataFrame(base, schema=schema), 2) == [date(2026, 2, 1), date(2026, 3, 1)]


def test_a_refit_on_the_first_of_a_month_tests_on_the_whole_month_before(yesterday):
    """The flaw fixed: a refit at 00:05 on 1 May tested on that one charge (AUC n/a) and the report
    stood all May. Now it tests on the 550 succeeded charges of April, 12 of them fraud, and trains
    on January to March (635 + 594 + 535); the May charge is scored only."""
    frames, run = yesterday
    may = pl.DataFrame([one_charge(frames["charges"].row(0, named=True), "ch_may", datetime(2026, 5, 1, 0, 5))],
                       schema=frames["charges"].schema)
    charges = pl.concat([frames["charges"], may])
    refit = run_fraud(charges, frames["customers"], None, frames["early_fraud_warnings"], seed=2)
    report = refit.report
    assert report.test_months == [date(2026, 4, 1)]
    assert report.train_months == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert (report.n_train, report.n_test) == (635 + 594 + 535, 550)
    assert (report.positives_train, report.positives_test) == (19 + 15 + 14, 12) and report.auc is not None
    assert "ch_may" in refit.charge_fraud_scores["charge_id"].to_list()
    assert refit.charge_fraud_scores.height == run.charge_fraud_scores.height + 1
