"""The demo's payout cycle on a tiny world, through the code location's own assets and job:
plan the day -> execute on the sandbox -> advance a day -> ingest -> dbt -> reconcile.

The world comes from the simulator, so the assertions are invariants: one payout at the sandbox
per executed line, of the line's amount; every reconciled line zero to the cent or listed with
its reason; the summary's counts are the warehouse's."""
from __future__ import annotations

import calendar
from datetime import date

import dagster as dg
import pytest

from assets import payouts as P
from assets.tax import TaxConfig
from pipelines.payouts import warehouse as W
from pipelines.payouts.demo_cycle import refresh_payout_marts, run_payout_cycle
from pipelines.payouts.execute import METADATA_KEY
from pipelines.resources import StripeResource, WarehouseResource
from pipelines.sandbox.ecb_export import write_ecb_csv
from pipelines.sandbox.generate import generate_world
from pipelines.sandbox.testing import running_sandbox, stripe_client

DAY = date(2026, 11, 1)
pytestmark = pytest.mark.slow   # a real ingest and two dbt builds: minutes


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    from pipelines.definitions import defs as code_location

    base = tmp_path_factory.mktemp("payout_cycle")
    world = base / "tiny.sqlite"
    generate_world(world, size="tiny", seed=11, end=calendar.timegm(DAY.timetuple()))
    write_ecb_csv(world, base / "eurofxref-hist.csv")
    url = f"duckdb:///{base / 'wh.duckdb'}"
    mp = pytest.MonkeyPatch()
    for name, value in {"WAREHOUSE_URL": url, "CASHBOOK_OUTPUT_DIR": str(base / "output"),
                        "ECB_RATES_SOURCE": str(base / "eurofxref-hist.csv"),
                        "DBT_TARGET_PATH": str(base / "dbt_target")}.items():
        mp.setenv(name, value)
    try:
        with running_sandbox(world) as running:
            mp.setenv("STRIPE_API_KEY", running.api_key)
            mp.setenv("STRIPE_API_BASE", running.base_url)
            # the code location's assets and job, with resources on this test's sandbox and warehouse
            defs = dg.Definitions(
                assets=list(code_location.assets), asset_checks=list(code_location.asset_checks or []),
                jobs=[P.payout_execute],
                resources={**code_location.resources, "tax_config": TaxConfig.from_env(),
                           "warehouse": WarehouseResource(url=url),
                           "stripe": StripeResource(api_key=running.api_key, api_base=running.base_url)})
            instance = dg.DagsterInstance.ephemeral()
            assert refresh_payout_marts(defs, instance)        # demo.py's step 2, for these marts
            said = []
            summary = run_payout_cycle(defs, instance, world=world, day=DAY, warehouse_url=url,
                                       say=said.append)
            client = stripe_client(running, max_network_retries=0)
            with W.Warehouse(url) as wh:
                lines = W.read_plan_lines(wh, DAY)
                entries = W.WarehouseJournal(wh).entries(DAY)
            payouts: dict[str, list] = {}
            for creator in sorted({l.creator for l in lines}):
                for p in client.v1.payouts.list({"limit": 100}, options={"stripe_account": creator}):
                    key = (p.to_dict().get("metadata") or {}).get(METADATA_KEY)
                    if key:
                        payouts.setdefault(key, []).append(p.to_dict())
        yield {"summary": summary, "said": said, "lines": lines, "entries": entries,
               "payouts": payouts, "url": url}
    finally:
        mp.undo()


def test_every_step_ran(cycle):
    summary = cycle["summary"]
    print("\n".join(summary.text_lines()))
    assert summary.ok, summary.steps
    assert [name for name, _ in summary.steps] == [
        "plan 2026-11-01", "execute", "sandbox advanced 1 day(s) to 2026-11-02",
        "ingest, FX and dbt up to the payout marts", "reconcile 2026-11-01"]
    assert len(cycle["said"]) == 5


def test_each_planned_line_was_executed_once_at_the_sandbox(cycle):
    summary, lines = cycle["summary"], cycle["lines"]
    assert lines, "the tiny world should have someone to pay on 2026-11-01"
    assert summary.lines_planned == len(lines)
    assert summary.executed == {"created": len(lines)}
    assert summary.payouts_created == len(lines) == len(cycle["entries"])
    for line in lines:
        [payout] = cycle["payouts"][line.idempotency_key]
        assert (payout["amount"], payout["currency"].upper()) == (line.net, line.currency)


def test_reconciliation_is_zero_to_the_cent_or_listed(cycle):
    summary = cycle["summary"]
    assert summary.reconciled == summary.lines_planned
    assert sum(summary.states.values()) == summary.reconciled
    assert summary.paid + summary.failed == summary.reconciled
    assert set(summary.differences.values()) <= {f"0.00 {c}" for c in summary.differences} | {
        f"0 {c}" for c in summary.differences}
    assert summary.matched + len(summary.listed) == summary.reconciled
    text = "\n".join(summary.text_lines())
    assert f"planned: {summary.lines_planned} lines" in text
    assert f"{summary.matched} matched to the cent" in text
