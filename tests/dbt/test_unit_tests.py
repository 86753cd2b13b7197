"""Every dbt unit test of the project passes on both targets.

The Dagster asset's daily `dbt build` leaves unit tests out (`--exclude-resource-type unit_test`:
they test the SQL, which does not change between days), so this is where they run: the models are
built over the empty raw tables (unit tests read their parents' columns from the warehouse; dbt's
`--empty` is not used, PostgreSQL rejects the subqueries it puts in place of aliased refs), then
every unit test runs, and the set that ran is the set the project declares."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.dbt.conftest import run_dbt


def _results(target_path: Path) -> list[dict]:
    return json.loads((target_path / "run_results.json").read_text())["results"]


def _declared_unit_tests(target_path: Path) -> set[str]:
    manifest = json.loads((target_path / "manifest.json").read_text())
    return set(manifest.get("unit_tests", {}))


@pytest.mark.parametrize("target", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_every_unit_test_passes(target, request):
    wh = request.getfixturevalue("duck_warehouse" if target == "duckdb" else "pg_warehouse")
    target_path = Path(wh.env["DBT_TARGET_PATH"])
    conn = wh.connect()
    try:  # the FX source the ingestion's FX asset lands (empty here)
        cur = conn.cursor()
        cur.execute("CREATE SCHEMA IF NOT EXISTS raw_fx")
        cur.execute("CREATE TABLE raw_fx.ecb_rates (rate_date DATE NOT NULL, currency TEXT NOT NULL, "
                    "rate DECIMAL(18, 6) NOT NULL, PRIMARY KEY (rate_date, currency))")
    finally:
        conn.close()
    run_dbt(wh.env, "build", "--exclude-resource-type", "test",
            "--exclude-resource-type", "unit_test")
    run_dbt(wh.env, "test", "--select", "test_type:unit")
    ran = {r["unique_id"]: r["status"] for r in _results(target_path)}
    declared = _declared_unit_tests(target_path)
    assert len(declared) >= 18
    assert set(ran) == declared
    assert set(ran.values()) == {"pass"}
