"""The subscription marts on the sandbox's small world (copied into the raw tables as load_world does): MRR per month from dbt must be
the MRR computed straight from the raw invoice JSON in Python, and the movements must add up to the
change of MRR, in both views. dbt builds once for the module."""
from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from decimal import Decimal

import pytest

from pipelines.money import PLATFORM_CURRENCIES
from pipelines.sandbox.ecb_export import is_target_business_day, per_eur_rates, read_fx_rates
from pipelines.sandbox.generate import generate_world
from tests.dbt.conftest import make_duck_warehouse, run_dbt
from tests.dbt.test_subscriptions_mrr import MY_MODELS, mrr_from_raw_invoices


def _load_ecb_rates(world_path, conn) -> int:
    """The world's daily rates as the ECB publishes them (business days, units per EUR). A world
    without rates gets a flat 1 for every platform currency over its months: the checks here are
    about consistency, not about the level of the rates."""
    cur = conn.cursor()
    cur.execute("CREATE SCHEMA IF NOT EXISTS raw_fx")
    cur.execute("CREATE TABLE raw_fx.ecb_rates (rate_date DATE, currency TEXT, rate DECIMAL(18, 6))")
    rows = [(day, currency, rate)
            for day, per_usd in read_fx_rates(world_path).items() if is_target_business_day(day)
            for currency, rate in per_eur_rates(per_usd, day).items()]
    if not rows:
        first, last = conn.execute("select min(created), max(created) from raw_stripe.invoice").fetchone()
        day, end = date.fromtimestamp(first) - timedelta(days=40), date.fromtimestamp(last) + timedelta(days=2)
        while day <= end:
            if is_target_business_day(day):
                rows += [(day, currency, Decimal(1)) for currency in PLATFORM_CURRENCIES if currency != "EUR"]
            day += timedelta(days=1)
    import pyarrow as pa

    rates = pa.Table.from_pylist([{"rate_date": d, "currency": c, "rate": str(r)} for d, c, r in rows])  # noqa: F841
    cur.execute("INSERT INTO raw_fx.ecb_rates SELECT rate_date, currency, cast(rate as decimal(18, 6)) FROM rates")
    return len(rows)


def _bulk_load_world(world_path, conn) -> dict[str, int]:
    """load_world's copy (invoices with all their lines), through Arrow in one insert per table:
    row-by-row inserts take minutes for the small world on a busy machine."""
    import pyarrow as pa

    from pipelines.catalog import BY_OBJECT

    src = sqlite3.connect(f"file:{world_path}?mode=ro", uri=True)
    lines: dict[str, list[dict]] = {}
    for parent, payload in src.execute("SELECT parent, payload FROM objects WHERE object = 'line_item' ORDER BY seq"):
        lines.setdefault(parent, []).append(json.loads(payload))
    tables: dict[str, list[dict]] = {}
    for object_name, account, payload in src.execute(
            "SELECT object, account, payload FROM objects WHERE object != 'line_item' ORDER BY seq"):
        t = BY_OBJECT.get(object_name)
        if t is None:
            continue
        obj = json.loads(payload)
        if object_name == "invoice" and obj["id"] in lines:
            obj["lines"]["data"] = lines[obj["id"]]
            obj["lines"]["has_more"] = False
        tables.setdefault(t.table, []).append(
            {"id": obj["id"], "account": account or None, "created": obj["created"],
             "livemode": bool(obj.get("livemode", False)), "api_version": "2026-10-28.endive",
             "payload": json.dumps(obj)})
    src.close()
    for table, rows in tables.items():
        batch = pa.Table.from_pylist(rows)  # noqa: F841 (read by DuckDB's replacement scan)
        conn.execute(f"INSERT INTO raw_stripe.{table} SELECT id, account, created, livemode, api_version, "
                     "cast(payload as json), now(), 'list', false FROM batch")
    return {table: len(rows) for table, rows in tables.items()}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    directory = tmp_path_factory.mktemp("subs_world")
    world_path = directory / "small.sqlite"
    generate_world(world_path, size="small", seed=42)
    wh = make_duck_warehouse(directory)
    with wh.connect() as conn:
        counts = _bulk_load_world(world_path, conn)
        assert counts["invoice"] > 1000
        assert _load_ecb_rates(world_path, conn) > 0
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
