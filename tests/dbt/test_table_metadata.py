"""Row counts and column schemas on the dbt assets' materializations, read in two queries
(pipelines.warehouse.relation_stats) instead of dagster-dbt's per-model fetches."""
from __future__ import annotations

import dagster as dg
import duckdb
import psycopg2
import pytest

from pipelines.warehouse.relation_stats import RelationStats, relation_stats
from tests.pg import fresh_database

SETUP = [
    "create schema marts",
    "create table marts.fct_mrr (month date, mrr bigint, currency varchar)",
    "insert into marts.fct_mrr values ('2026-10-01', 1500, 'EUR'), ('2026-11-01', 1500, 'EUR'), "
    "('2026-11-01', 300000, 'JPY')",
    'create table marts."Odd ""name""" (id varchar)',
    "create view marts.v_mrr as select * from marts.fct_mrr",
]


def _check(url: str, text: str, bigint: str) -> None:
    stats = relation_stats(url, [("marts", "fct_mrr"), ("marts", 'odd "name"'), ("marts", "v_mrr"),
                                 ("marts", "never_built")])
    assert stats[("marts", "fct_mrr")] == RelationStats(3, (("month", "date"), ("mrr", bigint),
                                                             ("currency", text)))
    # views are not counted (their SQL would run) and a model that failed to build is absent
    assert set(stats) == {("marts", "fct_mrr"), ("marts", 'odd "name"')}
    assert stats[("marts", 'odd "name"')].row_count == 0
    assert relation_stats(url, []) == {}


def test_relation_stats_duckdb(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as conn:
        for sql in SETUP:
            conn.execute(sql.replace('"Odd ""name"""', '"odd ""name"""'))
    _check(f"duckdb:///{path}", "varchar", "bigint")


@pytest.mark.postgres
def test_relation_stats_postgres():
    url = fresh_database("cb_relation_stats")
    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="cb_relation_stats")
    with conn, conn.cursor() as cur:
        for sql in SETUP:
            cur.execute(sql.replace('"Odd ""name"""', '"odd ""name"""'))
    conn.close()
    _check(url, "character varying", "bigint")


def test_materializations_carry_row_count_and_documented_columns(tmp_path):
    from assets.dbt import with_table_metadata

    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as conn:
        for sql in SETUP[:3]:
            conn.execute(sql)
    manifest = {
        "metadata": {"adapter_type": "duckdb"},
        "nodes": {
            "model.cashbook.fct_mrr": {"schema": "marts", "alias": "fct_mrr", "config": {"materialized": "table"},
                                       "columns": {"mrr": {"description": "MRR in minor units"}}},
            "model.cashbook.v_mrr": {"schema": "marts", "alias": "v_mrr", "config": {"materialized": "view"},
                                     "columns": {}},
        },
    }
    table = dg.Output(None, output_name="marts__fct_mrr",
                      metadata={"unique_id": dg.MetadataValue.text("model.cashbook.fct_mrr")})
    view = dg.Output(None, output_name="marts__v_mrr",
                     metadata={"unique_id": dg.MetadataValue.text("model.cashbook.v_mrr")})
    check = dg.AssetCheckResult(passed=True, asset_key=dg.AssetKey(["marts", "fct_mrr"]), check_name="not_null")

    out = with_table_metadata([table, view, check], manifest, f"duckdb:///{path}")

    assert out[1] is view and out[2] is check
    meta = out[0].metadata
    assert meta["dagster/row_count"].value == 3
    assert meta["dagster/storage_kind"].value == "duckdb"
    assert meta["unique_id"].value == "model.cashbook.fct_mrr"
    columns = meta["dagster/column_schema"].value.columns
    assert [(c.name, c.type, c.description) for c in columns] == [
        ("month", "date", None), ("mrr", "bigint", "MRR in minor units"), ("currency", "varchar", None)]


def test_the_dbt_resource_skips_the_version_subprocess_and_the_adapter():
    """The private hooks CashbookDbtCliResource overrides still exist and are still used by
    DbtCliResource.cli (an upgrade that renames them would silently bring the costs back)."""
    import inspect

    from dagster_dbt import DbtCliResource

    from assets.dbt import CashbookDbtCliResource, dbt_project

    source = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in source and "self._initialize_dbt_core_adapter(" in source
    resource = CashbookDbtCliResource(project_dir=dbt_project())
    assert resource._cli_version.major == 1
    assert resource._initialize_dbt_core_adapter(["build"]) is None
