"""The embedded instance's pooled SQLite event log (pipelines.dagster_sqlite): the same files and
records a stock Dagster writes, and the dagster.yaml that selects it written only where it is ours."""
from __future__ import annotations

import shutil
import sqlite3

import dagster as dg
import pytest

from pipelines.dagster_sqlite import DEFAULT_INSTANCE_YAML, PREVIOUS_DEFAULT_YAML, ensure_instance_yaml


def test_yaml_is_written_upgraded_and_moved_but_an_owners_file_is_left_alone(tmp_path):
    fresh = ensure_instance_yaml(tmp_path / "fresh")
    assert fresh.read_text() == DEFAULT_INSTANCE_YAML.format(storage=f'"{tmp_path}/fresh/storage"')

    old = tmp_path / "old"
    old.mkdir()
    (old / "dagster.yaml").write_text(PREVIOUS_DEFAULT_YAML)
    assert f'"{old}/storage"' in ensure_instance_yaml(old).read_text()

    copied = tmp_path / "copied"
    shutil.copytree(tmp_path / "fresh", copied)
    assert f'"{copied}/storage"' in ensure_instance_yaml(copied).read_text()

    owned = tmp_path / "owned"
    owned.mkdir()
    (owned / "dagster.yaml").write_text("storage:\n  postgres:\n    postgres_url: postgresql://x/y\n")
    assert ensure_instance_yaml(owned).read_text().startswith("storage:\n  postgres:")


def test_a_run_with_hundreds_of_events_is_stored_whole_and_readable(tmp_path):
    home = tmp_path / "home"
    ensure_instance_yaml(home)

    @dg.asset
    def many(context):
        for i in range(300):
            context.log_event(dg.AssetMaterialization(asset_key=f"m{i}", metadata={"i": i}))
        return 1

    instance = dg.DagsterInstance.from_config(str(home))
    assert type(instance.event_log_storage).__name__ == "PooledSqliteEventLogStorage"
    result = dg.materialize([many], instance=instance)
    assert result.success
    materialized = [e for e in instance.all_logs(result.run_id)
                    if e.dagster_event and e.dagster_event.event_type_value == "ASSET_MATERIALIZATION"]
    assert len(materialized) == 301  # 300 logged + the asset's own
    record = instance.fetch_materializations(dg.AssetKey("m299"), limit=1).records[0]
    assert record.asset_materialization.metadata["i"].value == 299
    instance.dispose()

    # a stock Dagster reads the same files (the run's and the index shard) under home/storage
    with sqlite3.connect(home / "storage" / f"{result.run_id}.db") as conn:
        assert conn.execute("select count(*) from event_logs where dagster_event_type = "
                            "'ASSET_MATERIALIZATION'").fetchone()[0] == 301
    stock_home = tmp_path / "stock"
    stock_home.mkdir()
    (stock_home / "dagster.yaml").write_text(
        "event_log_storage:\n  module: dagster._core.storage.event_log\n  class: SqliteEventLogStorage\n"
        f"  config:\n    base_dir: {home / 'storage'}\n")
    stock = dg.DagsterInstance.from_config(str(stock_home))
    assert type(stock.event_log_storage).__name__ == "SqliteEventLogStorage"
    assert stock.fetch_materializations(dg.AssetKey("m0"), limit=1).records[0].asset_materialization.metadata["i"].value == 0
    stock.dispose()


def test_connections_commit_without_waiting_for_the_disk(tmp_path):
    ensure_instance_yaml(tmp_path)
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    with instance.event_log_storage.index_connection() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    instance.dispose()


def test_has_table_keeps_a_yes_and_asks_again_after_a_no(tmp_path):
    """Dagster asks before every asset-check event; its own answer opens a new engine each time."""
    ensure_instance_yaml(tmp_path)
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    storage = instance.event_log_storage
    assert storage.has_table("asset_check_executions") and storage.supports_asset_checks
    assert not storage.has_table("no_such_table")
    storage._engine = None  # a yes is answered without the index file; a no would need it again
    assert storage.has_table("asset_check_executions")
    with pytest.raises(TypeError):
        storage.has_table("no_such_table")
    del storage._engine
    instance.dispose()
