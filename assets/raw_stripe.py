"""`raw_stripe/<object>`: one asset per Stripe object type, materialised together by one
multi-asset so a run reads all selected streams concurrently and lands them through the single
warehouse writer. Subsetting is allowed: the engine reads only what is selected (plus `event`
when a mutable type is, since changes arrive as events; plus `transfer` for reversals)."""

import dagster as dg

from pipelines.catalog import OBJECT_TYPES
from pipelines.resources import StripeResource, WarehouseResource, default_resources
from pipelines.settings import load_settings
from pipelines.stripe.engine import SyncOptions, SyncResult, run_sync
from pipelines.warehouse.url import parse_warehouse_url
from sensors.priority import PAYMENTS_TAGS

GROUP = "stripe_raw"


def _warehouse_kind() -> str:
    try:
        return parse_warehouse_url(load_settings().warehouse_url).kind
    except ValueError:
        return "duckdb"


def _describe(t) -> str:
    where = "the platform and every connected account" if t.on_connected else "the platform account"
    how = ("new objects by created cursor, changes through /v1/events" if t.mutable
           else "new objects by created cursor")
    extra = {
        "invoice": " The payload's lines.data holds every line (paged through /v1/invoices/{id}/lines).",
        "transfer_reversal": " Read through each transfer's reversals (/v1/transfers/{id}/reversals).",
        "subscription": " Listed with status=all (canceled included).",
        "event": " Platform events and each connected account's Connect events.",
    }.get(t.table, "")
    return (f"Stripe `{t.object}` objects from {where}, landed as JSON in raw_stripe.{t.table} "
            f"(upsert by id, newest version wins; {how}).{extra}")


SPECS = [
    dg.AssetSpec(
        key=dg.AssetKey(["raw_stripe", t.table]),
        group_name=GROUP,
        kinds={"stripe", _warehouse_kind()},
        description=_describe(t),
        skippable=True,
    )
    for t in OBJECT_TYPES
]


def table_metadata(result: SyncResult, table: str) -> dict:
    s = result.tables.get(table)
    cursors = result.cursors(table)
    platform_cursor = cursors.pop("platform", None)
    connected = [c for c in cursors.values() if c is not None]
    return {
        "rows_received": dg.MetadataValue.int(s.received if s else 0),
        "rows_inserted": dg.MetadataValue.int(s.inserted if s else 0),
        "rows_updated": dg.MetadataValue.int(s.updated if s else 0),
        "rows_rejected": dg.MetadataValue.int(s.rejected if s else 0),
        "api_calls": dg.MetadataValue.int(s.api_calls if s else 0),
        "full_reads": dg.MetadataValue.int(s.streams_full if s else 0),
        "incremental_reads": dg.MetadataValue.int(s.streams_incremental if s else 0),
        "cursor_created_platform": dg.MetadataValue.int(platform_cursor or 0),
        "cursor_connected_accounts": dg.MetadataValue.json({
            "accounts_with_cursor": len(connected),
            "min": min(connected) if connected else None,
            "max": max(connected) if connected else None,
        }),
        "run_api_calls": dg.MetadataValue.int(result.api_calls),
        "run_duration_s": dg.MetadataValue.float(round(result.duration_s, 3)),
        "sync_run_id": dg.MetadataValue.text(result.run_id),
    }


@dg.multi_asset(specs=SPECS, can_subset=True, name="stripe_raw_sync")
def stripe_raw_sync(context: dg.AssetExecutionContext, stripe: StripeResource,
                    warehouse: WarehouseResource):
    selected = [key.path[-1] for key in context.selected_asset_keys]
    result = run_sync(stripe.api(), warehouse.open_landing, SyncOptions(tables=tuple(selected)))
    context.log.info(
        f"Stripe sync {result.run_id}: {result.api_calls} API calls ({result.retries} retries), "
        f"{result.accounts_synced}/{result.accounts_total} connected accounts read, "
        f"{result.duration_s:.1f}s")
    for table in selected:
        yield dg.MaterializeResult(asset_key=dg.AssetKey(["raw_stripe", table]),
                                   metadata=table_metadata(result, table))


stripe_ingest = dg.define_asset_job(
    "stripe_ingest",
    selection=dg.AssetSelection.assets(*[spec.key for spec in SPECS]),
    description="Incremental Stripe ingestion of every object type into raw_stripe.",
    tags=PAYMENTS_TAGS,
)

defs = dg.Definitions(assets=[stripe_raw_sync], jobs=[stripe_ingest], resources=default_resources())
