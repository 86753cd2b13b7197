"""The dbt assets load in Dagster with lineage from the raw Stripe landing to the marts."""
from __future__ import annotations

import dagster as dg
import pytest


@pytest.fixture(scope="module")
def graph():
    from assets.dbt import defs

    return defs.resolve_asset_graph()


def _upstream(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen, todo = set(), [key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                if graph.has(parent):
                    todo.append(parent)
    return seen


def test_sources_are_the_raw_landing_assets(graph):
    assert graph.get(dg.AssetKey(["staging", "stg_stripe__charges"])).parent_keys == {dg.AssetKey(["raw_stripe", "charge"])}
    assert dg.AssetKey(["raw_fx", "ecb_rates"]) in graph.get(dg.AssetKey(["intermediate", "int_fx__daily_rates"])).parent_keys


def test_lineage_runs_from_raw_stripe_through_staging_to_the_marts(graph):
    upstream = _upstream(graph, dg.AssetKey(["marts", "fct_creator_earnings_monthly"]))
    assert {dg.AssetKey(["raw_stripe", "balance_transaction"]), dg.AssetKey(["raw_stripe", "charge"]),
            dg.AssetKey(["staging", "stg_stripe__balance_transactions"]),
            dg.AssetKey(["intermediate", "int_balance__transactions"]),
            dg.AssetKey(["marts", "fct_balance_transactions"]),
            dg.AssetKey(["reference", "commission_tiers"])} <= upstream


def test_models_are_grouped_by_layer(graph):
    groups = {key.path[0]: graph.get(key).group_name for key in graph.materializable_asset_keys}
    assert groups["staging"] == "dbt_staging"
    assert groups["intermediate"] == "dbt_intermediate"
    assert groups["marts"] == "dbt_marts"
    assert groups["reference"] == "dbt_reference"


def test_full_refresh_is_a_run_config_option():
    from assets.dbt import DbtBuildConfig

    assert DbtBuildConfig().full_refresh is False
    assert DbtBuildConfig(full_refresh=True).full_refresh is True


def test_the_bench_times_the_build_the_asset_runs():
    """bench.dbt_build keeps its own copy of the arguments (importing assets.dbt parses the
    project); the daily build leaves unit tests out (tests/dbt/test_unit_tests.py runs them)."""
    from assets.dbt import DBT_BUILD_ARGS
    from bench.dbt_build import BUILD_ARGS

    assert BUILD_ARGS == DBT_BUILD_ARGS
    assert "unit_test" in DBT_BUILD_ARGS[DBT_BUILD_ARGS.index("--exclude-resource-type") + 1]
