"""Sandbox worlds and built warehouses made once per test session and shared by every module and
both xdist workers: generating the small world and building the marts with dbt dominate the
suite's time, so each is done once and copied.

- `shared_world(tmp_path_factory, size)`: a generated world (read-only: copy before advancing).
- `built_duck_warehouse(tmp_path_factory, dest)`: a DuckDB warehouse holding the small world's
  raw tables, its ECB rates and every dbt model, copied into `dest` for the caller to use freely.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from filelock import FileLock

from tests.dbt.conftest import DuckWarehouse, make_duck_warehouse, run_dbt
from tests.dbt.raw_loader import load_world, load_world_ecb_rates


def _shared_dir(tmp_path_factory) -> Path:
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    shared = root / "cashbook-shared"
    shared.mkdir(parents=True, exist_ok=True)
    return shared


def shared_world(tmp_path_factory, size: str = "small", seed: int = 42) -> Path:
    from pipelines.sandbox.generate import generate_world

    shared = _shared_dir(tmp_path_factory)
    path = shared / f"{size}-{seed}.sqlite"
    with FileLock(str(path) + ".lock"):
        if not path.exists():
            generate_world(path, size=size, seed=seed)
    return path


def _built_warehouse(tmp_path_factory) -> Path:
    shared = _shared_dir(tmp_path_factory)
    built = shared / "built" / "warehouse.duckdb"
    with FileLock(str(shared / "built.lock")):
        if not built.exists():
            world = shared_world(tmp_path_factory)
            staging = shared / "building"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            wh = make_duck_warehouse(staging)
            with wh.connect() as conn:
                load_world(world, conn)
                load_world_ecb_rates(world, conn)
            run_dbt(wh.env, "build", "--exclude", "test_type:unit")
            built.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(wh.path, built)
    return built


def built_duck_warehouse(tmp_path_factory, dest: Path) -> DuckWarehouse:
    """A private copy of the built small-world warehouse in `dest` (named warehouse.duckdb)."""
    dest.mkdir(parents=True, exist_ok=True)
    wh = DuckWarehouse(dest / "warehouse.duckdb")
    shutil.copy(_built_warehouse(tmp_path_factory), wh.path)
    wh.world_path = shared_world(tmp_path_factory)
    return wh
