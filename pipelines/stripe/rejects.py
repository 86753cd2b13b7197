"""What makes an object unfit to land, decided by a pure function so a test can feed it junk.

A rejected object goes to `raw_stripe._rejected` with the field at fault and the reason, and the
run goes on: counts in = landed + rejected."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from pipelines.money import KNOWN_CURRENCIES


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
    if expected_object == "event":
        return event_problem(obj)
    return money_problem(obj, expected_object)


def event_problem(event: dict) -> tuple[str, str] | None:
    """(field, reason) when an event cannot say what changed: without its type or the object it
    carries, the sync could not apply it and stg_stripe__events could not classify it. Checked here,
    once per event as it lands, rather than by a dbt test that would parse every stored event's
    payload again in every build (stg_stripe__events is a view over a million of them on large)."""
    etype = event.get("type")
    if not isinstance(etype, str) or not etype:
        return "type", "missing" if etype is None else f"not a non-empty string ({etype!r})"
    data = event.get("data")
    carried = data.get("object") if isinstance(data, dict) else None
    if carried is None:
        return "data.object", "missing"
    if not isinstance(carried, dict):
        return "data.object", f"not a JSON object ({type(carried).__name__})"
    return None


# Money fields Stripe always sets on these objects: integers in minor units, never negative
# except on balance transactions (payouts, refunds and fees move money out).
_AMOUNTS: dict[str, tuple[tuple[str, ...], bool]] = {
    "charge": (("amount", "amount_captured", "amount_refunded"), False),
    "payment_intent": (("amount",), False),
    "refund": (("amount",), False),
    "dispute": (("amount",), False),
    "transfer": (("amount", "amount_reversed"), False),
    "transfer_reversal": (("amount",), False),
    "application_fee": (("amount", "amount_refunded"), False),
    "payout": (("amount",), False),
    "invoice": (("amount_due", "amount_paid", "total"), True),  # credit balances can be negative
    "credit_note": (("amount", "total"), False),
    "balance_transaction": (("amount", "fee", "net"), True),
}


def money_problem(obj: dict, expected_object: str) -> tuple[str, str] | None:
    """(field, reason) when an amount is missing, not an integer, negative where Stripe never
    is, or the currency is not an ISO 4217 code: such an object would corrupt every sum."""
    rule = _AMOUNTS.get(expected_object)
    if rule is None:
        return None
    fields, may_be_negative = rule
    for name in fields:
        value = obj.get(name)
        if value is None:
            if name == fields[0]:
                return name, "missing"
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            return name, f"not an integer amount in minor units ({type(value).__name__})"
        if value < 0 and not may_be_negative:
            return name, f"negative ({value}), Stripe never sends a negative {name} on a {expected_object}"
    currency = obj.get("currency")
    if not isinstance(currency, str) or currency.upper() not in KNOWN_CURRENCIES:
        return "currency", "missing" if currency is None else f"{currency!r} is not an ISO 4217 currency"
    return None


def reject(obj: Any, object_type: str, account: str | None, field: str, reason: str) -> Rejected:
    oid = obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) else None
    try:
        raw = orjson.dumps(obj).decode()
    except TypeError:
        raw = repr(obj)
    return Rejected(object_type, account, oid, field, reason, raw)
