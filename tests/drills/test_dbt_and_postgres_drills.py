"""dbt killed (SIGKILL) mid-run and re-run: every staging, intermediate and mart relation ends
identical to a clean run. Long form (`-m drill`): PostgreSQL restarted in the middle of an
ingest, then the ingest re-run: the landing equals a clean ingest."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import threading
import time
import uuid

import duckdb
import psycopg2
import pytest

from tests.dbt.conftest import DBT, PROJECT_DIR, RUN_COLUMNS, run_dbt
from tests.dbt.money_world import ecb_rates
from tests.ingestion.conftest import ingest

SELECT = ("--select", "+marts.fct_revenue_daily", "+marts.fct_balance_transactions")
LAYERS = ("staging", "intermediate", "marts")


def _prepare(src_url: str, world, dst) -> dict[str, str]:
    shutil.copy(src_url[len("duckdb:///"):], dst)
    con = duckdb.connect(str(dst))
    con.execute("CREATE SCHEMA IF NOT EXISTS raw_fx")
    con.execute("CREATE OR REPLACE TABLE raw_fx.ecb_rates (rate_date DATE, currency TEXT, rate DECIMAL(18, 6))")
    con.executemany("INSERT INTO raw_fx.ecb_rates VALUES (?, ?, ?)", [(d, c, str(r)) for d, c, r in ecb_rates(world)])
    con.close()
    env = {"CASHBOOK_DBT_TARGET": "duckdb", "CASHBOOK_DUCKDB_PATH": str(dst),
           "DBT_TARGET_PATH": str(dst.parent / f"target_{dst.stem}")}
    run_dbt(env, "seed")
    return env


def _relations(path) -> dict[str, list]:
    """Every relation's rows, RUN_COLUMNS left out (a rebuild writes them anew by design)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = con.execute("SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN "
                            f"({', '.join(repr(s) for s in LAYERS)}) ORDER BY 1, 2").fetchall()
        out = {}
        for s, t in names:
            cols = [c for c, in con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
                                            "AND table_name = ? ORDER BY ordinal_position", [s, t]).fetchall()
                    if c not in RUN_COLUMNS]
            select = ", ".join(f'"{c}"' for c in cols)
            out[f"{s}.{t}"] = sorted(con.execute(f'SELECT {select} FROM "{s}"."{t}"').fetchall(), key=repr)
        return out
    finally:
        con.close()


def test_dbt_killed_mid_run_then_rerun_equals_a_clean_run(tiny_world, tiny_clean, tmp_path):
    clean_env = _prepare(tiny_clean[0], tiny_world, tmp_path / "clean.duckdb")
    run_dbt(clean_env, "run", *SELECT)
    clean = _relations(tmp_path / "clean.duckdb")
    assert clean["marts.fct_revenue_daily"] and clean["marts.fct_balance_transactions"]

    env = _prepare(tiny_clean[0], tiny_world, tmp_path / "killed.duckdb")
    proc = subprocess.Popen([DBT, "run", *SELECT, "--project-dir", str(PROJECT_DIR), "--profiles-dir",
                             str(PROJECT_DIR), "--target-path", env["DBT_TARGET_PATH"]],
                            env={**os.environ, **env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # kill once a random number of models have finished building (mid-run, not before it starts)
    kill_after = random.Random(5).randint(3, 12)
    done = 0
    for line in proc.stdout:
        if " OK created " in line:
            done += 1
            if done >= kill_after:
                os.kill(proc.pid, signal.SIGKILL)
                break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"dbt finished before the kill ({done} models)"
    run_dbt(env, "run", *SELECT)
    assert _relations(tmp_path / "killed.duckdb") == clean


def _restart_postgres() -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"], check=True,
                   capture_output=True)


def _pg_landing(dbname: str) -> dict[str, list]:
    from pipelines.warehouse.landing import TABLES

    con = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=dbname)
    try:
        with con.cursor() as cur:
            out = {}
            for table in TABLES:
                cur.execute(f"SELECT id, account, created, payload::text FROM raw_stripe.{table} ORDER BY id")
                out[table] = cur.fetchall()
            return out
    finally:
        con.close()


@pytest.mark.drill
@pytest.mark.postgres
def test_postgres_restarted_mid_ingest_then_rerun_equals_a_clean_ingest(tiny_world):
    names = [f"cashbook_drill_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    for n in names:
        admin.cursor().execute(f"CREATE DATABASE {n}")
    admin.close()
    try:
        clean_url, drill_url = (f"postgresql://postgres@127.0.0.1:5432/{n}" for n in names)
        ingest(tiny_world, clean_url)
        restarter = threading.Timer(random.Random(2).uniform(2.0, 6.0), _restart_postgres)
        restarter.start()
        try:
            ingest(tiny_world, drill_url, batch_rows=40)
        except Exception:  # the restart may abort the run; the re-run must finish the job
            pass
        restarter.join()
        for _ in range(60):  # wait until the server accepts connections again
            try:
                psycopg2.connect(host="127.0.0.1", user="postgres", dbname=names[1]).close()
                break
            except psycopg2.OperationalError:
                time.sleep(0.5)
        ingest(tiny_world, drill_url, batch_rows=40)
        assert _pg_landing(names[1]) == _pg_landing(names[0])
    finally:
        admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
        admin.autocommit = True
        for n in names:
            admin.cursor().execute(f"DROP DATABASE IF EXISTS {n} WITH (FORCE)")
        admin.close()
