"""The secrets and personal-data scan (issue 9, item 4): ingest, dbt and the tax assets run on a
tiny sandbox world in a temporary Dagster instance (SQLite storage, compute logs on disk); then
the run logs, the event log, the output folder and every table of every warehouse schema except
`restricted` are searched for the sandbox's secret key, anything shaped like a Stripe secret key
or webhook secret, and every full TIN of the world's tax profiles. Files that do hold TINs (the
1099 e-files) must be owner-only."""
from __future__ import annotations

import re
import sqlite3
import stat
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.sandbox.cli import export_tax_profiles
from pipelines.sandbox.ecb_export import write_ecb_csv
from pipelines.sandbox.generate import api_key_for, generate_world
from pipelines.sandbox.testing import running_sandbox
from pipelines.warehouse.url import parse_warehouse_url
from tests.dbt.conftest import run_dbt

SEED = 7
SECRET_SHAPES = re.compile(rb"sk_(?:test|live)_[0-9A-Za-z]{8,}|rk_(?:test|live)_[0-9A-Za-z]{8,}|whsec_[0-9A-Za-z]{8,}")
YEAR = "2026"


def world_tins(world: Path) -> set[str]:
    con = sqlite3.connect(f"file:{world}?mode=ro", uri=True)
    try:
        tins = {r[0] for r in con.execute("SELECT tin FROM tax_profiles WHERE tin IS NOT NULL AND tin <> ''")}
    finally:
        con.close()
    # as stored and as digits only (123-45-6789 and 123456789)
    return tins | {re.sub(r"\D", "", t) for t in tins}


def leaks_in(blob: bytes, key: str, tins: set[str]) -> list[str]:
    found = []
    if key.encode() in blob:
        found.append("sandbox secret key")
    found += [f"secret-shaped {m.group()[:8]}..." for m in SECRET_SHAPES.finditer(blob)]
    found += [f"TIN ending {t[-4:]}" for t in tins if t and t.encode() in blob]
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from assets import tax
    from assets.raw_stripe import stripe_raw_sync
    from pipelines.resources import StripeResource, WarehouseResource

    root = tmp_path_factory.mktemp("secret_scan")
    world = root / "world.sqlite"
    generate_world(world, size="tiny", seed=SEED)
    profiles = root / "tax_profiles.csv"
    export_tax_profiles(world, profiles)
    ecb_csv = root / "eurofxref-hist.csv"
    write_ecb_csv(world, ecb_csv)
    home, output, wh_path = root / "dagster_home", root / "output", root / "warehouse.duckdb"
    home.mkdir()
    url = f"duckdb:///{wh_path}"
    mp = pytest.MonkeyPatch()
    with running_sandbox(world) as srv:
        mp.setenv("STRIPE_API_KEY", srv.api_key)
        mp.setenv("STRIPE_API_BASE", srv.base_url)
        mp.setenv("WAREHOUSE_URL", url)
        mp.setenv("DAGSTER_HOME", str(home))
        mp.setenv("CASHBOOK_OUTPUT_DIR", str(output))
        mp.setenv("CASHBOOK_TAX_PROFILES", str(profiles))
        mp.setenv("DBT_TARGET_PATH", str(root / "dbt_target"))
        instance = dg.DagsterInstance.get()
        results = [dg.materialize([stripe_raw_sync], instance=instance, resources={
            "stripe": StripeResource(api_key=dg.EnvVar("STRIPE_API_KEY"), api_base=srv.base_url),
            "warehouse": WarehouseResource(url=url)})]
        tax_config = tax.TaxConfig(warehouse_url=url, output_dir=str(output), tax_profiles_csv=str(profiles),
                                   ecb_rates_source=str(ecb_csv))
        results.append(dg.materialize([tax.ecb_rates, tax.tax_profiles], instance=instance,
                                      resources={"tax_config": tax_config}))
        # dbt as a subprocess, as the dbt tests run it (a Dagster subset of the dbt assets runs tests
        # whose parents it did not build); its stdout and dbt.log are scanned with the run logs
        env = {**parse_warehouse_url(url).dbt_env(), "DBT_TARGET_PATH": str(home / "dbt_target")}
        proc = run_dbt(env, "build", "--select", "+marts.tax", "--indirect-selection", "cautious")
        (home / "dbt_stdout.log").write_text(proc.stdout + proc.stderr)
        results.append(dg.materialize([tax.tax_1099k, tax.tax_1099nec], partition_key=YEAR, instance=instance,
                                      resources={"tax_config": tax_config}))
        key = srv.api_key
    mp.undo()
    return {"root": root, "home": home, "output": output, "wh": wh_path, "results": results,
            "key": key, "instance": instance, "tins": world_tins(world), "world": world}


def test_the_demo_ran_and_the_world_has_real_secrets_to_look_for(demo):
    assert all(r.success for r in demo["results"])
    assert demo["key"] == api_key_for(SEED) and demo["key"].startswith("sk_test_")
    assert len(demo["tins"]) >= 2  # the tiny world has US creators with TINs


def test_no_secret_or_tin_in_run_logs_or_event_log(demo):
    files = [p for p in demo["home"].rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files)                 # the event log / run storage
    assert any("compute_logs" in str(p) or p.suffix in (".out", ".err") for p in files)  # run logs
    assert (demo["home"] / "dbt_stdout.log").exists()
    leaks = {str(p.relative_to(demo["home"])): found for p in files
             if (found := leaks_in(p.read_bytes(), demo["key"], demo["tins"]))}
    assert leaks == {}
    instance = demo["instance"]
    text = "\n".join((e.message or "") + str(e.dagster_event or "")
                     for r in instance.get_runs() for e in instance.all_logs(r.run_id))
    assert len(instance.get_runs()) == 3 and "raw_stripe" in text
    assert leaks_in(text.encode(), demo["key"], demo["tins"]) == []


def test_no_secret_or_tin_in_any_warehouse_table_outside_restricted(demo):
    con = duckdb.connect(str(demo["wh"]), read_only=True)
    try:
        tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                             "WHERE table_schema <> 'restricted'").fetchall()
        assert len(tables) > 40
        leaks = {}
        for schema, table in tables:
            text = "\n".join(str(r) for r in con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall())
            if found := leaks_in(text.encode(), demo["key"], demo["tins"]):
                leaks[f"{schema}.{table}"] = found
        # the TINs are in the warehouse, only where they belong
        restricted = "\n".join(str(r) for r in con.execute("SELECT * FROM restricted.tax_profiles").fetchall())
    finally:
        con.close()
    assert leaks == {}
    assert any(t in restricted for t in demo["tins"])


def test_output_files_with_tins_are_owner_only_and_no_secret_anywhere(demo):
    files = [p for p in demo["output"].rglob("*") if p.is_file()]
    assert files
    with_tins = []
    for p in files:
        blob = p.read_bytes()
        assert demo["key"].encode() not in blob and not SECRET_SHAPES.search(blob), p.name
        if any(t.encode() in blob for t in demo["tins"]):
            with_tins.append(p.name)
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, (p.name, oct(p.stat().st_mode))
    profiles = demo["root"] / "tax_profiles.csv"
    assert stat.S_IMODE(profiles.stat().st_mode) == 0o600
