"""A DuckDB warehouse filled from a sandbox world (raw landing as `load_world` fills it, ECB-format
rates from the sandbox's reference levels) with the dbt models the forecast and fraud assets read."""
from __future__ import annotations

from pathlib import Path

from tests.dbt.conftest import DuckWarehouse, make_duck_warehouse, run_dbt
from tests.dbt.raw_loader import load_world, load_world_ecb_rates


# what the assets read (see assets/forecasting.py and assets/fraud.py), with everything upstream
FF_SELECTION = (
    "+fct_revenue_monthly", "+fct_revenue_daily", "+subscription_metrics_monthly",
    "+fct_creator_earnings_monthly", "+int_fraud__charge_signals", "stg_stripe__disputes",
    "stg_stripe__early_fraud_warnings", "stg_stripe__customers",
)




def build_world_warehouse(world_path: Path, directory: Path) -> DuckWarehouse:
    directory.mkdir(parents=True, exist_ok=True)
    wh = make_duck_warehouse(directory)
    with wh.connect() as conn:
        load_world(world_path, conn)
        load_world_ecb_rates(world_path, conn)
    # models and seeds only: the other helpers' tests are theirs to run; ours run in test_dbt_signals
    run_dbt(wh.env, "build", "--select", *FF_SELECTION, "--resource-type", "model",
            "--resource-type", "seed")
    return wh


def fast_load_world(world_path: Path, conn) -> dict[str, int]:
    """The shared bulk loader (kept under this name for the callers)."""
    return load_world(world_path, conn)

