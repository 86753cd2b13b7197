"""What makes an object unfit to land, decided by a pure function so a test can feed it junk.

A rejected object goes to `raw_stripe._rejected` with the field at fault and the reason, and the
run goes on: counts in = landed + rejected."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True)
class Rejected:
    object_type: str
    account: str | None
    object_id: str | None
    field: str
    reason: str
    raw: str


def problem_with(obj: Any, expected_object: str) -> tuple[str, str] | None:
    """(field, reason) when `obj` cannot land as a `expected_object`, else None."""
    if not isinstance(obj, dict):
        return "(object)", f"not a JSON object but {type(obj).__name__}"
    kind = obj.get("object")
    if not isinstance(kind, str):
        return "object", "missing" if kind is None else f"not a string ({type(kind).__name__})"
    if kind != expected_object:
        return "object", f"is {kind!r}, the stream lists {expected_object!r}"
    oid = obj.get("id")
    if not isinstance(oid, str) or not oid:
        return "id", "missing" if oid is None else f"not a non-empty string ({oid!r})"
    created = obj.get("created")
    if created is None:
        return "created", "missing"
    if isinstance(created, bool) or not isinstance(created, int):
        return "created", f"not an integer epoch ({type(created).__name__})"
    livemode = obj.get("livemode")
    if livemode is not None and not isinstance(livemode, bool):
        return "livemode", f"not a boolean ({type(livemode).__name__})"
    return None


def reject(obj: Any, object_type: str, account: str | None, field: str, reason: str) -> Rejected:
    oid = obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) else None
    try:
        raw = orjson.dumps(obj).decode()
    except TypeError:
        raw = repr(obj)
    return Rejected(object_type, account, oid, field, reason, raw)
