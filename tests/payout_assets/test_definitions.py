"""The payout definitions load with the shared resources, their money checks are blocking, and
execution is a dry run unless asked. (tests/test_definitions.py loads the whole code location.)"""
from __future__ import annotations

import dagster as dg

from assets import payouts as P
from pipelines.resources import default_resources


def test_payout_definitions_load_with_the_shared_resources():
    defs = dg.Definitions.merge(P.defs, dg.Definitions(resources=default_resources()))
    dg.Definitions.validate_loadable(defs)
    assert {P.CREATOR_BALANCES, P.PAYOUT_PLAN, P.PAYOUT_RECONCILIATION} <= set(defs.resolve_all_asset_keys())
    assert defs.resolve_job_def("payout_execute").tags["cashbook/money_moves"] == "true"
    assert not P.defs.schedules and not P.defs.sensors


def test_plan_checks_are_blocking_and_execution_defaults_to_a_dry_run():
    specs = {s.name: s for s in P.payout_plan.check_specs}
    assert {n: s.blocking for n, s in specs.items()} == {
        P.PLANNED_WITHIN_AVAILABLE: True, P.ONE_LINE_PER_CREATOR: True}
    assert P.PayoutExecuteConfig(date="2026-11-01").execute is False
    assert P.PARTITIONS.get_partition_keys()[0] == "2026-01-01"
