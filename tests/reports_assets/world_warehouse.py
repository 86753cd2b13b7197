"""A DuckDB warehouse built from a small sandbox world: the raw landing filled in bulk (the same
rows `tests.dbt.raw_loader.load_world` inserts one by one, which takes minutes on a loaded
machine), the world's FX restated as ECB rates, and the marts the reports read built by dbt."""
from __future__ import annotations

from pathlib import Path


from tests.dbt.conftest import DuckWarehouse, make_duck_warehouse, run_dbt
from tests.dbt.raw_loader import load_world, load_world_ecb_rates

# the marts assets/report_inputs.py reads, with everything upstream
REPORT_SELECTION = (
    "+fct_revenue_monthly", "+subscription_metrics_monthly", "+cohort_retention",
    "+fct_creator_earnings_monthly", "+dim_creators", "+dim_creator_tiers_monthly",
    "+fct_payout_reconciliation_itemized", "+fct_creator_payouts", "+fct_creator_statements_monthly",
)




def load_world_bulk(world_path: Path, conn) -> dict[str, int]:
    """The shared bulk loader (kept under this name for the callers)."""
    return load_world(world_path, conn)

def build_report_warehouse(world_path: Path, directory: Path) -> DuckWarehouse:
    directory.mkdir(parents=True, exist_ok=True)
    wh = make_duck_warehouse(directory)
    with wh.connect() as conn:
        load_world(world_path, conn)
        load_world_ecb_rates(world_path, conn)
    run_dbt(wh.env, "build", "--select", *REPORT_SELECTION, "--exclude", "resource_type:test", "resource_type:unit_test")
    return wh


def _inputs_digest() -> str:
    """Changes whenever the world generator, the dbt project or this builder changes."""
    import hashlib

    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    files = [*sorted((root / "pipelines" / "sandbox").glob("*.py")), *sorted((root / "pipelines" / "sandbox").glob("*.json")),
             Path(__file__), root / "dbt_project" / "dbt_project.yml"]
    for folder in ("models", "macros", "seeds"):
        files += sorted(p for p in (root / "dbt_project" / folder).rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def shared_report_warehouse(tmp_path_factory) -> DuckWarehouse:
    """One small world and its warehouse, shared by the report and UI tests and kept between
    sessions (under pytest's temp root, keyed by a digest of the generator and dbt project, so
    any change rebuilds it). Building takes minutes on a loaded machine; reusing it, nothing."""
    import fcntl

    from pipelines.sandbox.generate import generate_world

    folder = tmp_path_factory.getbasetemp().parent / f"cashbook-report-world-{_inputs_digest()}"
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / "built.ok"
    wh = DuckWarehouse(folder / "warehouse.duckdb")
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel workers wait for one build
        if done.exists():
            return wh
        for stale in ("warehouse.duckdb", "warehouse.duckdb.wal"):
            (folder / stale).unlink(missing_ok=True)
        world = folder / "world.sqlite"
        if not world.exists():
            generate_world(world, size="small", seed=42)
        wh = build_report_warehouse(world, folder)
        # a few real data tests, so the report's data-quality section has results to show
        run_dbt(wh.env, "test", "--select", "fct_revenue_monthly", "--exclude", "test_type:unit")
        done.write_text("ok")
    return wh
