"""`dbt build` time on a landed world (issue 4 targets: large on DuckDB < 3 min, an incremental
build after one day < 20 s; PostgreSQL reported beside).

On a private copy of the cached world: ingest it (not timed here: bench.ingest times that),
load the world's ECB rates into raw_fx.ecb_rates (what the FX asset would do), time a full
`dbt build`, then `advance` the world one day, ingest again and time the second `dbt build`.
dbt runs as its own process; its wall time, CPU and peak memory are measured from outside.

    .venv/bin/python -m bench.dbt_build --size demo [--warehouse duckdb|postgres] [--json-out F]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.common import copy_world, fresh_warehouse, measure_command, pg_admin, write_json

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DBT = str(Path(sys.executable).parent / "dbt")
# the arguments the pipeline's dbt asset builds with (assets.dbt.DBT_BUILD_ARGS, which imports
# Dagster and parses the project: tests/dbt checks the two agree); no unit tests
BUILD_ARGS = ("build", "--indirect-selection", "cautious", "--exclude-resource-type", "unit_test")


def ecb_rows(world: Path) -> list[tuple]:
    """The world's FX as the ECB publishes it: business days, units per 1 EUR."""
    from pipelines.sandbox.ecb_export import is_target_business_day, per_eur_rates, read_fx_rates

    return [(day, currency, rate) for day, per_usd in sorted(read_fx_rates(world).items())
            if is_target_business_day(day) for currency, rate in per_eur_rates(per_usd, day).items()]


def load_ecb_rates(url: str, rows: list[tuple]) -> None:
    from pipelines.warehouse.url import parse_warehouse_url

    target = parse_warehouse_url(url)
    ddl = "CREATE TABLE raw_fx.ecb_rates (rate_date DATE, currency TEXT, rate DECIMAL(18, 6))"
    if target.kind == "duckdb":
        import duckdb
        import pyarrow as pa

        fx = pa.table({"rate_date": [r[0] for r in rows], "currency": [r[1] for r in rows],  # noqa: F841
                       "rate": [str(r[2]) for r in rows]})
        with duckdb.connect(str(target.path)) as conn:
            conn.execute("CREATE SCHEMA IF NOT EXISTS raw_fx")
            conn.execute("DROP TABLE IF EXISTS raw_fx.ecb_rates")
            conn.execute(ddl)
            conn.execute("INSERT INTO raw_fx.ecb_rates SELECT rate_date, currency, "
                         "CAST(rate AS DECIMAL(18, 6)) FROM fx")
        return
    import psycopg2
    from psycopg2.extras import execute_values

    conn = psycopg2.connect(host=target.host, port=target.port, user=target.user,
                            password=target.password, dbname=target.dbname)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("CREATE SCHEMA IF NOT EXISTS raw_fx")
            cur.execute("DROP TABLE IF EXISTS raw_fx.ecb_rates")
            cur.execute(ddl)
            execute_values(cur, "INSERT INTO raw_fx.ecb_rates VALUES %s", rows, page_size=5000)
    finally:
        conn.close()


def ingest(world: Path, url: str) -> dict:
    from bench.sandbox_server import server_process
    from pipelines.stripe.client import StripeApi
    from pipelines.stripe.engine import run_sync
    from pipelines.warehouse.connect import open_landing

    with server_process(world) as (base_url, api_key, _pid):
        began = time.perf_counter()
        result = run_sync(StripeApi(api_key, base_url), lambda: open_landing(url))
    return {"objects": sum(s.received for s in result.tables.values()),
            "api_calls": result.api_calls, "seconds": round(time.perf_counter() - began, 2)}


def dbt_build(env: dict[str, str], target_path: Path, select: str | None) -> dict:
    """One timed `dbt build` as the pipeline's asset runs it, with the count of nodes by status from run_results.json."""
    cmd = [DBT, *BUILD_ARGS, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
           "--target-path", str(target_path), "--log-path", str(target_path / "logs"), "--quiet"]
    if select:  # cautious (in BUILD_ARGS): only the tests whose parents are all selected
        cmd += ["--select", select]
    measured = measure_command(cmd, env={**env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    measured["nodes"], measured["timing"] = node_timings(target_path / "run_results.json")
    return measured


def node_timings(results_file: Path, top: int = 12) -> tuple[dict, dict]:
    """Node counts by status, and where dbt's seconds went: the sum of node times by resource type
    (model, test, seed, unit_test), the slowest nodes, and dbt's own elapsed time (the rest of the
    wall time is startup and parsing)."""
    statuses: Counter = Counter()
    by_type: Counter = Counter()
    nodes: list[tuple[float, str]] = []
    if not results_file.exists():
        return {}, {}
    results = json.loads(results_file.read_text())
    for node in results.get("results", []):
        statuses[node.get("status", "?")] += 1
        uid = node.get("unique_id", "?")
        seconds = float(node.get("execution_time") or 0.0)
        by_type[uid.split(".")[0]] += seconds
        nodes.append((seconds, uid.split(".", 2)[-1]))
    nodes.sort(reverse=True)
    return dict(statuses), {
        "dbt_elapsed_s": round(float(results.get("elapsed_time") or 0.0), 2),
        "node_seconds_by_type": {k: round(v, 2) for k, v in sorted(by_type.items())},
        "slowest": [[name, round(sec, 2)] for sec, name in nodes[:top]],
    }


def bench_dbt(size: str, seed: int, warehouse: str, select: str | None = None) -> dict:
    from pipelines.sandbox.advance import advance_world
    from pipelines.sandbox.cli import world_path
    from pipelines.warehouse.url import parse_warehouse_url

    source = world_path(size, seed)
    if not source.exists():
        raise FileNotFoundError(f"no {size} world at {source}: run the gen stage first")
    work = Path(tempfile.mkdtemp(prefix="bench-dbt-"))
    dbname = f"cashbook_bench_{size}_{os.getpid()}"
    try:
        world = work / "world.sqlite"
        copy_world(source, world)
        url = fresh_warehouse(warehouse, work, dbname)
        env = parse_warehouse_url(url).dbt_env()
        target_path = work / "dbt_target"

        full_ingest = ingest(world, url)
        load_ecb_rates(url, ecb_rows(world))
        print(f"dbt build (full) on {size}/{warehouse} ...", flush=True)
        full = dbt_build(env, target_path, select)

        advance_world(world, 1)
        inc_ingest = ingest(world, url)
        load_ecb_rates(url, ecb_rows(world))
        print(f"dbt build (after one day) on {size}/{warehouse} ...", flush=True)
        incremental = dbt_build(env, target_path, select)
        return {"size": size, "seed": seed, "warehouse": warehouse, "select": select,
                "ingest_full": full_ingest, "ingest_incremental": inc_ingest,
                "full": full, "incremental": incremental}
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if warehouse == "postgres":
            try:
                pg_admin(f'DROP DATABASE IF EXISTS "{dbname}"')
            except Exception as exc:  # noqa: BLE001  leave a note, the numbers are already taken
                print(f"could not drop {dbname}: {type(exc).__name__}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="demo")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--warehouse", choices=("duckdb", "postgres"), default="duckdb")
    ap.add_argument("--select", help="dbt node selection (default: the whole project)")
    ap.add_argument("--json-out")
    args = ap.parse_args(argv)
    report = bench_dbt(args.size, args.seed, args.warehouse, args.select)
    write_json(args.json_out, report)
    for step in ("full", "incremental"):
        m = report[step]
        print(f"dbt build {step:11} {args.size}/{args.warehouse}: {m['seconds']} s "
              f"(CPU {m['cpu_s']} s, rc {m['returncode']}, nodes {m['nodes']})", flush=True)
        timing = m.get("timing") or {}
        print(f"    dbt elapsed {timing.get('dbt_elapsed_s')} s; node seconds by type "
              f"{timing.get('node_seconds_by_type')}", flush=True)
        for name, sec in timing.get("slowest", []):
            print(f"    {sec:8.2f} s  {name}", flush=True)
    return 0 if report["full"]["returncode"] == 0 and report["incremental"]["returncode"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
