"""The subscription marts on the sandbox's small world (copied into the raw tables as load_world does): MRR per month from dbt must be
the MRR computed straight from the raw invoice JSON in Python, and the movements must add up to the
change of MRR, in both views. dbt builds once for the module."""
from __future__ import annotations

import json
import sqlite3

import pytest

from pipelines.sandbox.generate import generate_world
from tests.dbt.conftest import make_duck_warehouse, run_dbt
from tests.dbt.raw_loader import load_world, load_world_ecb_rates
from tests.dbt.test_subscriptions_mrr import MY_MODELS, mrr_from_raw_invoices


def _bulk_load_world(world_path, conn) -> dict[str, int]:
    """The shared bulk loader (kept under this name for the callers)."""
    return load_world(world_path, conn)

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    directory = tmp_path_factory.mktemp("subs_world")
    world_path = directory / "small.sqlite"
    generate_world(world_path, size="small", seed=42)
    wh = make_duck_warehouse(directory)
    with wh.connect() as conn:
        counts = _bulk_load_world(world_path, conn)
        assert counts["invoice"] > 1000
        assert load_world_ecb_rates(world_path, conn) > 0
    run_dbt(wh.env, "build", "--select", "currencies " + MY_MODELS, "--indirect-selection", "cautious",
            "--exclude", "test_type:unit")
    wh.world_path = world_path
    return wh


def _objects(world_path, name):
    src = sqlite3.connect(f"file:{world_path}?mode=ro", uri=True)
    try:
        return [json.loads(p) for (p,) in src.execute(
            "SELECT payload FROM objects WHERE object = ? ORDER BY seq", (name,))]
    finally:
        src.close()


def test_fct_mrr_equals_python_mrr_from_raw_invoices(world):
    invoices = _objects(world.world_path, "invoice")
    lines: dict[str, list] = {}
    for line in _objects(world.world_path, "line_item"):
        lines.setdefault(line["invoice"], []).append(line)
    for inv in invoices:
        inv["lines"]["data"] = lines.get(inv["id"], inv["lines"]["data"])
    prices = {p["id"]: p for p in _objects(world.world_path, "price")}
    subs = {s["id"]: s for s in _objects(world.world_path, "subscription")}
    expected = mrr_from_raw_invoices(invoices, prices, subs)
    rows = world.query("select month, customer_id, creator_account_id, subscription_id, currency, mrr from marts.fct_mrr")
    got = {(m, c, cr, s, cur): int(v) for m, c, cr, s, cur, v in rows}
    assert len(got) > 1000  # about 850 subscribers at the end of six months
    assert got == expected
    # the world is a platform of creators: every subscription pays one
    assert not [k for k in got if k[2] is None]
    # some prorations (upgrades, downgrades) are in the world and in the marts
    assert world.query("select count(*) from intermediate.int_subscriptions__service_periods where is_proration")[0][0] > 0


def test_movements_add_up_to_the_change_of_mrr(world):
    for view in ("platform", "creator"):
        bad = world.query(f"""
            with totals as (
                select month, sum(mrr_reporting) as mrr from intermediate.int_subscriptions__mrr_accounts_monthly
                where mrr_view = '{view}' group by month),
            moves as (
                select month, sum(mrr_change_reporting) as moved from marts.fct_mrr_movements
                where mrr_view = '{view}' group by month)
            select totals.month, totals.mrr, prev.mrr, moves.moved from totals
            left join totals as prev on prev.month = cast(totals.month - interval '1 month' as date)
            left join moves on moves.month = totals.month
            where totals.mrr is null or totals.mrr - coalesce(prev.mrr, 0) <> coalesce(moves.moved, 0)""")
        assert bad == []
    metrics = world.query("select month, start_mrr_reporting, new_mrr_reporting, expansion_mrr_reporting, "
                          "contraction_mrr_reporting, churn_mrr_reporting, reactivation_mrr_reporting, "
                          "fx_mrr_reporting, mrr_reporting from marts.subscription_metrics_monthly order by month")
    assert len(metrics) >= 6
    for month, start, new, exp, contr, churn, react, fx, mrr in metrics:
        assert start + new + exp - contr - churn + react + fx == mrr, month


def test_active_subscribers_are_last_months_paying_customers(world):
    mismatched = world.query("""
        with paying as (
            select month, creator_account_id, count(distinct customer_id) as n
            from marts.fct_mrr where mrr > 0 group by month, creator_account_id)
        select a.creator_account_id, a.month, a.active_subscribers, p.n
        from intermediate.int_subscriptions__active_subscribers_monthly as a
        left join paying as p
            on p.creator_account_id = a.creator_account_id
            and p.month = cast(a.month - interval '1 month' as date)
        where a.active_subscribers <> coalesce(p.n, 0)""")
    assert mismatched == []
    total_at_last_start = world.query(
        "select sum(active_subscribers) from intermediate.int_subscriptions__active_subscribers_monthly "
        "where month = (select max(month) from intermediate.int_subscriptions__active_subscribers_monthly)")[0][0]
    assert total_at_last_start > 500
