"""What an event means for the landing tables (pure).

Event payloads carry the object in the API version of the event's time, without expansions: an
event whose `api_version` is the pinned one is upserted as it is (`source='event'`); any other
version is re-fetched by id (`source='retrieve'`). `*.deleted` events of objects Stripe really
deletes set `is_deleted` (a `customer.subscription.deleted` only cancels: the subscription stays).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipelines.catalog import BY_OBJECT, TRANSFER_REVERSALS_PATH

# Objects that Stripe deletes for good (their `*.deleted` event is the last we will see).
HARD_DELETED_OBJECTS = frozenset({"customer", "product", "price", "coupon", "invoice"})


@dataclass(frozen=True)
class EventAction:
    kind: str                   # "upsert", "retrieve" or "ignore"
    table: str | None = None
    object_id: str | None = None
    obj: dict[str, Any] | None = None
    is_deleted: bool = False
    retrieve_path: str | None = None
    created: int | None = None  # the event's created: when this version of the object was true


def retrieve_path(object_type: str, obj: dict[str, Any]) -> str | None:
    if object_type == "transfer_reversal":
        transfer = obj.get("transfer")
        if not isinstance(transfer, str):
            return None
        return TRANSFER_REVERSALS_PATH.format(id=transfer) + "/" + obj["id"]
    t = BY_OBJECT.get(object_type)
    if t is None or t.path is None or object_type == "event":
        return None
    return f"{t.path}/{obj['id']}"


def plan_event(event: dict[str, Any], pinned_version: str) -> EventAction:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        return EventAction("ignore")
    object_type = obj.get("object")
    t = BY_OBJECT.get(object_type) if isinstance(object_type, str) else None
    if t is None or t.object == "event" or not isinstance(obj.get("id"), str):
        return EventAction("ignore")
    created = event.get("created")
    etype = str(event.get("type") or "")
    deleted = obj.get("deleted") is True or (
        etype.endswith(".deleted") and t.object in HARD_DELETED_OBJECTS)
    if deleted:
        # a deleted object cannot be retrieved: the event's copy is its last state
        return EventAction("upsert", t.table, obj["id"], obj, True, created=created)
    if event.get("api_version") == pinned_version:
        return EventAction("upsert", t.table, obj["id"], obj, False, created=created)
    path = retrieve_path(t.object, obj)
    if path is None:
        return EventAction("ignore")
    return EventAction("retrieve", t.table, obj["id"], None, False, path, created=created)
