"""Fixtures for dbt tests: a warehouse with raw tables, and dbt run as a subprocess (dbt-duckdb
keeps its connection inside the process, so in-process runs would lock the file against the test)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import psycopg2
import pytest

from tests.dbt.raw_loader import create_raw_tables

PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DBT = str(Path(sys.executable).parent / "dbt")
# when the dbt run wrote the row (dbt_project/macros/incremental_build.sql): the one kind of column
# a rebuild cannot reproduce, by design; comparisons of whole tables leave it out
RUN_COLUMNS = ("built_at",)


def run_dbt(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`dbt <args>` against the target that `env` names (see WarehouseTarget.dbt_env)."""
    full_env = {**os.environ, **env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        [DBT, *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
         "--target-path", env.get("DBT_TARGET_PATH", "target")],
        env=full_env, capture_output=True, text=True,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return proc


class DuckWarehouse:
    kind = "duckdb"

    def __init__(self, path: Path):
        self.path = path
        self.env = {"CASHBOOK_DBT_TARGET": "duckdb", "CASHBOOK_DUCKDB_PATH": str(path),
                    "DBT_TARGET_PATH": str(path.parent / "dbt_target")}

    def connect(self):
        return duckdb.connect(str(self.path))

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as conn:
            return conn.execute(sql).fetchall()


class PgWarehouse:
    kind = "postgres"

    def __init__(self, dbname: str, target_dir: Path):
        self.dbname = dbname
        self.env = {"CASHBOOK_DBT_TARGET": "postgres", "CASHBOOK_PG_DBNAME": dbname,
                    "DBT_TARGET_PATH": str(target_dir)}

    def connect(self):
        conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=self.dbname)
        conn.autocommit = True
        return conn

    def query(self, sql: str) -> list[tuple]:
        conn = self.connect()
        try:
            cur = conn.cursor()
            cur.execute(sql)
            return cur.fetchall()
        finally:
            conn.close()


def make_duck_warehouse(directory: Path) -> DuckWarehouse:
    wh = DuckWarehouse(directory / "warehouse.duckdb")
    with wh.connect() as conn:
        create_raw_tables(conn, "duckdb")
    return wh


def make_pg_warehouse(dbname: str, target_dir: Path) -> PgWarehouse:
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    admin.cursor().execute(f'CREATE DATABASE "{dbname}"')
    admin.close()
    wh = PgWarehouse(dbname, target_dir)
    conn = wh.connect()
    create_raw_tables(conn, "postgres")
    conn.close()
    return wh


@pytest.fixture
def duck_warehouse(tmp_path) -> DuckWarehouse:
    """An empty DuckDB warehouse with the raw landing tables."""
    return make_duck_warehouse(tmp_path)


@pytest.fixture
def pg_warehouse(tmp_path, request) -> PgWarehouse:
    """An empty PostgreSQL database (named after the test) with the raw landing tables."""
    name = "cb_t_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50]
    return make_pg_warehouse(name, tmp_path / "dbt_target")
