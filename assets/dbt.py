"""The dbt project as Dagster assets: lineage from the raw Stripe landing through staging and
intermediate models to the marts, with row counts and column schemas in the UI.

`@dbt_assets` needs dbt's manifest when this module is imported. `dagster dev` (`make ui`)
re-parses through `prepare_if_dev()`; everywhere else (`make test`, a deployed code location) the
manifest is parsed here once when it is missing or older than the project's files, so a fresh
checkout loads without a separate step. `make` may still run `dbt parse` ahead of time
(`.venv/bin/dbt parse --project-dir dbt_project --profiles-dir dbt_project`) to keep imports fast.
"""

import importlib.metadata
import json
import os
import shutil
import sys
from collections.abc import Mapping
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from filelock import FileLock
from packaging import version
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.memory import release_unused_memory
from pipelines.settings import PROJECT_ROOT, load_settings
from pipelines.warehouse.relation_stats import relation_stats
from pipelines.warehouse.url import parse_warehouse_url

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

# dbt resource folder (fqn[1]) -> Dagster group; sources are not grouped here, they are the
# raw assets the ingestion defines.
LAYER_GROUPS = {
    "staging": "dbt_staging",
    "intermediate": "dbt_intermediate",
    "marts": "dbt_marts",
}
SEED_GROUP = "dbt_reference"
# dbt source name -> the schema of the Dagster assets that load it (raw_stripe/<table>, raw_fx/<table>)
SOURCE_KEY_PREFIX = {"stripe": "raw_stripe", "fx": "raw_fx"}


# dbt lives beside the interpreter (.venv/bin); dagster-dbt looks it up on PATH, also when it
# parses the project itself, so make sure the venv's bin folder is on it.
_VENV_BIN = str(Path(sys.executable).parent)
if shutil.which("dbt") is None and (Path(_VENV_BIN) / "dbt").exists():
    os.environ["PATH"] = _VENV_BIN + os.pathsep + os.environ.get("PATH", "")


def dbt_env() -> dict[str, str]:
    """The variables dbt_project/profiles.yml reads, from WAREHOUSE_URL and REPORTING_CURRENCY."""
    settings = load_settings()
    return {
        **parse_warehouse_url(settings.warehouse_url).dbt_env(),
        "REPORTING_CURRENCY": settings.reporting_currency,
    }


def _newest_project_file(project_dir: Path) -> float:
    newest = (project_dir / "dbt_project.yml").stat().st_mtime
    for folder in ("models", "macros", "seeds", "tests"):
        for path in (project_dir / folder).rglob("*"):
            if path.suffix in (".sql", ".yml", ".yaml", ".csv", ".md"):
                newest = max(newest, path.stat().st_mtime)
    return newest


def _relation_database() -> list[str]:
    """What the manifest's relation names depend on: the adapter and its database name."""
    target = parse_warehouse_url(load_settings().warehouse_url)
    return [target.kind, target.path.stem if target.kind == "duckdb" else target.dbname]


@cache
def dbt_project() -> DbtProject:
    """The one DbtProject of the code location, with a manifest that matches the files."""
    os.environ.update({k: v for k, v in dbt_env().items() if k not in os.environ})
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    project.prepare_if_dev()
    manifest = project.manifest_path
    # The manifest names relations by database (the DuckDB file's stem, or the PostgreSQL
    # database): re-parse when the warehouse target changed, not only when the files did.
    target_stamp = manifest.parent / "cashbook_target.json"
    target_now = json.dumps(_relation_database(), sort_keys=True)
    stale = (
        not manifest.exists()
        or manifest.stat().st_mtime < _newest_project_file(DBT_PROJECT_DIR)
        or not target_stamp.exists()
        or target_stamp.read_text() != target_now
    )
    if stale:
        # several processes (xdist workers, the UI's code server) may import this at once:
        # one parses, the others wait and find the manifest fresh
        manifest.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(manifest.parent / "cashbook_parse.lock")):
            fresh = (
                manifest.exists()
                and manifest.stat().st_mtime >= _newest_project_file(DBT_PROJECT_DIR)
                and target_stamp.exists()
                and target_stamp.read_text() == target_now
            )
            if not fresh:
                os.environ.update(dbt_env())
                project.preparer.prepare(project)
                target_stamp.write_text(target_now)
    return project


class CashbookDbtTranslator(DagsterDbtTranslator):
    """One place that decides keys and groups: sources are the raw landing assets
    (raw_stripe/<table>), models are [<schema>, <model>] grouped by layer, seeds are reference data."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        resource_type = props["resource_type"]
        if resource_type == "source":
            prefix = SOURCE_KEY_PREFIX.get(props["source_name"], props["source_name"])
            return spec.replace_attributes(key=dg.AssetKey([prefix, props["name"]]))
        if resource_type == "model":
            layer = props["fqn"][1] if len(props["fqn"]) > 2 else None
            return spec.replace_attributes(
                key=dg.AssetKey([props["schema"], props["name"]]),
                group_name=LAYER_GROUPS.get(layer, "dbt_other"),
            )
        if resource_type == "seed":
            return spec.replace_attributes(
                key=dg.AssetKey([props["schema"], props["name"]]), group_name=SEED_GROUP
            )
        return spec


# The pipeline's `dbt build` (bench.dbt_build times the same arguments):
# - cautious: a subset run only runs tests whose every parent it builds (a relationship test to
#   a model outside the selection would otherwise fail the run);
# - no unit tests: they test the SQL, which does not change between runs (about 3 s of every
#   daily build on the large world); tests/dbt/test_unit_tests.py runs them all on both targets.
DBT_BUILD_ARGS = ("build", "--indirect-selection", "cautious", "--exclude-resource-type", "unit_test")


class CashbookDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two costs every run paid (2-7 s of CPU on the demo day): it
    ran `dbt --version` in a subprocess to learn the version of the dbt-core installed beside it,
    and built a dbt adapter in this process for metadata fetches this project does its own way
    (`with_table_metadata`). Both are private hooks of dagster-dbt 0.29: tests/dbt/test_table_metadata.py
    fails if an upgrade renames them."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False  # rebuild incremental models (fct_balance_transactions) from scratch


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=CashbookDbtTranslator(),
)
def cashbook_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    """`dbt build` of the selected models: runs them and their tests, one invocation."""
    os.environ.update(dbt_env())
    args = [*DBT_BUILD_ARGS, *(["--full-refresh"] if config.full_refresh else [])]
    release_unused_memory()  # dbt's process runs beside this one: give back what earlier steps freed
    invocation = dbt.cli(args, context=context)
    events, failure = [], None
    try:
        # DuckDB lets one process write a file: dbt holds it until it exits, so the tables are
        # read once the build is over (dagster-dbt waits the same way on DuckDB).
        for event in invocation.stream():
            events.append(event)
    except Exception as exc:  # a failed model or test: the built models still report
        failure = exc
    yield from with_table_metadata(events, invocation.manifest, load_settings().warehouse_url)
    if failure is not None:
        raise failure


def with_table_metadata(events: list, manifest: Mapping[str, Any], url: str) -> list:
    """Each built table's row count and column schema on its materialization, as dagster-dbt's
    fetch_row_counts() and fetch_column_metadata() attach them, read in two queries
    (pipelines.warehouse.relation_stats says why not theirs)."""
    nodes = manifest["nodes"]

    def node_of(event) -> dict | None:
        if not isinstance(event, (dg.Output, dg.AssetMaterialization)):
            return None
        unique_id = event.metadata.get("unique_id")
        node = nodes.get(unique_id.text) if unique_id is not None else None
        if node is None or node["config"].get("materialized") == "view":
            return None
        return node

    event_nodes = [(event, node_of(event)) for event in events]
    stats = relation_stats(url, {(node["schema"], node["alias"]) for _, node in event_nodes if node})
    storage_kind = manifest.get("metadata", {}).get("adapter_type")
    out = []
    for event, node in event_nodes:
        found = stats.get((node["schema"].lower(), node["alias"].lower())) if node is not None else None
        if found is None:
            out.append(event)
            continue
        documented = {name.lower(): column for name, column in node.get("columns", {}).items()}
        schema = dg.TableSchema(columns=[
            dg.TableColumn(name, data_type, description=documented.get(name.lower(), {}).get("description"))
            for name, data_type in found.columns])
        out.append(event.with_metadata({
            **event.metadata,
            "dagster/row_count": dg.MetadataValue.int(found.row_count),
            "dagster/column_schema": dg.MetadataValue.table_schema(schema),
            **({"dagster/storage_kind": dg.MetadataValue.text(storage_kind)} if storage_kind else {}),
        }))
    return out


defs = dg.Definitions(
    assets=[cashbook_dbt_assets],
    resources={"dbt": CashbookDbtCliResource(project_dir=dbt_project())},
)
