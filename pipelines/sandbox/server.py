"""A local HTTP server that answers like api.stripe.com for everything Cashbook reads, from the
sandbox world in SQLite (`store.py`), so ingestion runs unchanged against it.

Why it is built this way:
- Lists are one index range scan (`objects_list`: object, account, created DESC, seq DESC) whose
  stored JSON texts are read as bytes and joined into the page without being decoded or parsed:
  pages stream at tens of thousands of objects per second. Only `expand[]` makes the server
  parse objects.
- `cashbook sandbox serve` (its own process) reads the world through mmap (`SERVE_MMAP_BYTES`):
  no copy of each page into SQLite's cache. The mapped file pages count in that process's RSS
  once per connection although they are the shared page cache, so a server started inside
  another process (`start_in_thread`: tests, `make demo`) reads without mmap and leaves that
  process's memory figure alone.
- The request head is read by a small parser of its own (`SandboxHandler.parse_request`): the
  standard library's goes through the email package and cost more CPU than the page itself.
- Readers use read-only SQLite connections from a small pool; the one write path
  (`POST /v1/payouts`) takes a single server lock and `BEGIN IMMEDIATE`, so WAL readers and a
  concurrent `advance` process never see half a payout, and one Idempotency-Key never makes two.
- The `Date` header is the WORLD clock (meta `clock`), not wall time: the sync engine uses it as
  "now" for the 30-day event retention rule, and the world's now is whatever `advance` made it.
- Error bodies, status codes and headers (`Request-Id`, `Stripe-Should-Retry`, `Retry-After`,
  `Idempotent-Replayed`) follow Stripe's so the official SDK raises the same exceptions and
  retries the same way as against the real API.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import math
import os
import queue
import re
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

import orjson

from pipelines.catalog import EVENT_RETENTION_DAYS, OBJECT_TYPES
from pipelines.money import to_major, to_minor
from pipelines.sandbox import store
from pipelines.sandbox.faults import FaultConfig, FaultInjector, parse_faults

MAX_LIMIT = 100
DEFAULT_LIMIT = 10
DAY = 86_400
# Instant payouts cost the account a fee, as on Stripe: a share of the amount with a floor.
INSTANT_PAYOUT_FEE_RATE = Decimal("0.01")
INSTANT_PAYOUT_FEE_MIN_MAJOR = Decimal("0.50")
STANDARD_PAYOUT_BUSINESS_DAYS = 2
SUBSCRIPTION_STATUSES = frozenset(
    "active all canceled ended incomplete incomplete_expired past_due paused trialing unpaid".split()
)
PAYOUT_CREATE_PARAMS = frozenset(
    "amount currency description destination metadata method source_type "
    "statement_descriptor expand".split()
)
LIST_PARAMS = frozenset("limit starting_after ending_before created expand".split())
RANGE_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
SERVE_MMAP_BYTES = 2_147_418_112  # SQLite's largest (SQLITE_MAX_MMAP_SIZE of this build)

# Equality filters per object type: query parameter -> JSON path of the stored payload.
# Booleans are listed separately because JSON true/false compare as 1/0 in SQLite.
LIST_FILTERS: dict[str, dict[str, str | tuple[str, ...]]] = {
    "customer": {"email": "$.email"},
    "product": {"active": "$.active"},
    "price": {"active": "$.active", "product": "$.product", "currency": "$.currency",
              "type": "$.type"},
    "promotion_code": {"active": "$.active", "code": "$.code", "coupon": "$.coupon",
                       "customer": "$.customer"},
    "subscription": {"customer": "$.customer"},
    # since 2025-03-31.basil an invoice names its subscription under parent.subscription_details
    "invoice": {"customer": "$.customer", "status": "$.status",
                "subscription": ("$.parent.subscription_details.subscription", "$.subscription")},
    "invoice_payment": {"invoice": "$.invoice", "status": "$.status"},
    "credit_note": {"customer": "$.customer", "invoice": "$.invoice"},
    "payment_intent": {"customer": "$.customer"},
    "charge": {"customer": "$.customer", "payment_intent": "$.payment_intent",
               "transfer_group": "$.transfer_group"},
    "refund": {"charge": "$.charge", "payment_intent": "$.payment_intent"},
    "dispute": {"charge": "$.charge", "payment_intent": "$.payment_intent"},
    "radar.early_fraud_warning": {"charge": "$.charge", "payment_intent": "$.payment_intent"},
    "balance_transaction": {"type": "$.type", "source": "$.source", "currency": "$.currency"},
    "transfer": {"destination": "$.destination", "transfer_group": "$.transfer_group"},
    "application_fee": {"charge": "$.charge"},
    "payout": {"status": "$.status", "destination": "$.destination"},
    "event": {},
}
BOOLEAN_FILTERS = frozenset({"active"})
SPECIAL_FILTERS: dict[str, frozenset[str]] = {
    "subscription": frozenset({"status"}),
    "balance_transaction": frozenset({"payout"}),
    "event": frozenset({"type", "types"}),
}


# ---------------------------------------------------------------------------------------------
# Errors: one exception that carries Stripe's error object and HTTP status.

class ApiError(Exception):
    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers or {}

    def body(self, request_id: str) -> bytes:
        error: dict[str, Any] = {}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        error["message"] = self.message
        if self.param:
            error["param"] = self.param
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        error["type"] = self.type
        return orjson.dumps({"error": error})


def invalid(message: str, *, param: str | None = None, code: str | None = None,
            status: int = 400) -> ApiError:
    return ApiError(status, message, param=param, code=code)


def no_such(object_name: str, object_id: str, *, param: str = "id", status: int = 404) -> ApiError:
    return ApiError(status, f"No such {object_name}: '{object_id}'", code="resource_missing",
                    param=param)


def mask_key(key: str) -> str:
    """Stripe's way of naming a wrong key in an error: its prefix and last four characters."""
    head = "_".join(key.split("_")[:2]) + "_" if key.count("_") >= 2 else ""
    return f"{head}****{key[-4:]}" if len(key) > 8 else "****"


# ---------------------------------------------------------------------------------------------
# Query parameters: Stripe's form encoding (`created[gte]=`, `expand[]=`, `expand[0]=`, `metadata[k]=`).

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def parse_params(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if not match:
            raise invalid(f"Invalid parameter name: {key}", param=key)
        name, brackets = match.group(1), match.group(2)
        parts = _BRACKETS.findall(brackets)
        if not parts:
            params[name] = value
        elif len(parts) == 1 and (parts[0] == "" or parts[0].isdigit()):
            current = params.setdefault(name, [])
            if not isinstance(current, list):
                raise invalid(f"Invalid array: {name}", param=name)
            current.append(value)
        elif len(parts) == 1:
            current = params.setdefault(name, {})
            if not isinstance(current, dict):
                raise invalid(f"Invalid hash: {name}", param=name)
            current[parts[0]] = value
        else:
            raise invalid(f"Received unknown parameter: {key}", param=key, code="parameter_unknown")
    return params


def parse_int(value: Any, param: str) -> int:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise invalid(f"Invalid integer: {value}", param=param, code="parameter_invalid_integer")


def check_known(params: dict[str, Any], allowed: frozenset[str] | set[str]) -> None:
    for name in params:
        if name not in allowed:
            raise invalid(f"Received unknown parameter: {name}", param=name,
                          code="parameter_unknown")


# ---------------------------------------------------------------------------------------------
# Reading the world.

@dataclass
class Page:
    payloads: list[bytes]   # each object's stored JSON, UTF-8
    has_more: bool
    url: str


@dataclass
class ListSpec:
    """A list: which rows (SQL condition) and in which order (`newest` or `sequence`)."""
    where: str
    args: list[Any]
    url: str
    object_name: str
    order: str = "newest"
    cursor_ok: Callable[[sqlite3.Row | tuple], bool] = lambda row: True


class ConnectionPool:
    """Read-only SQLite connections handed out per request (cheap, and never shared by threads)."""

    def __init__(self, path: Path, mmap_bytes: int = 0) -> None:
        self.path = path
        self.mmap_bytes = mmap_bytes
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()

    def get(self) -> sqlite3.Connection:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            conn = store.connect(self.path, readonly=True)
            conn.execute("PRAGMA cache_size=-20000")
            if self.mmap_bytes:
                conn.execute(f"PRAGMA mmap_size={int(self.mmap_bytes)}")
            return conn

    def put(self, conn: sqlite3.Connection) -> None:
        self._idle.put(conn)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


class World:
    """The world file plus the things read once: key, API version, seed."""

    def __init__(self, path: str | Path, *, mmap_bytes: int = 0) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"sandbox world not found: {self.path}")
        self.writer = store.connect(self.path)  # also turns WAL on for the readers
        self.writer.isolation_level = None
        self.write_lock = threading.Lock()
        self.pool = ConnectionPool(self.path, mmap_bytes)
        meta = dict(self.writer.execute("SELECT key, value FROM meta").fetchall())
        missing = [k for k in ("api_key", "api_version", "clock") if k not in meta]
        if missing:
            raise ValueError(f"sandbox world {self.path.name}: meta is missing {', '.join(missing)}")
        self.api_key: str = meta["api_key"]
        self.api_version: str = meta["api_version"]
        self.seed: str = meta.get("seed", "0")
        self.livemode = self.api_key.startswith(("sk_live_", "rk_live_"))

    def close(self) -> None:
        self.pool.close()
        self.writer.close()


def world_clock(conn: sqlite3.Connection) -> int:
    value = store.get_meta(conn, "clock")
    if value is None:
        raise ApiError(500, "sandbox world has no clock", type="api_error")
    return int(value)


def fetch_page(conn: sqlite3.Connection, spec: ListSpec, params: dict[str, Any]) -> Page:
    """Stripe's cursor pagination over `spec`, newest first (or invoice-line order)."""
    limit = DEFAULT_LIMIT
    if "limit" in params:
        limit = parse_int(params["limit"], "limit")
        if limit < 1:
            raise invalid("This value must be greater than or equal to 1.", param="limit",
                          code="parameter_invalid_integer")
        if limit > MAX_LIMIT:
            raise invalid(f"This value must be less than or equal to {MAX_LIMIT}.", param="limit",
                          code="parameter_invalid_integer")
    after = params.get("starting_after") or None
    before = params.get("ending_before") or None
    if after and before:
        raise invalid("You may only specify one of these parameters: ending_before, starting_after.",
                      param="ending_before")
    where, args = spec.where, list(spec.args)
    backwards = False
    cursor_id = after or before
    if cursor_id is not None:
        if not isinstance(cursor_id, str):
            raise invalid("Invalid string", param="starting_after" if after else "ending_before")
        row = conn.execute(
            "SELECT created, seq, object, account, parent FROM objects WHERE id = ?", (cursor_id,)
        ).fetchone()
        param = "starting_after" if after else "ending_before"
        if row is None or row[2] != spec.object_name or not spec.cursor_ok(row):
            raise no_such(spec.object_name, cursor_id, param=param, status=400)
        created, seq = row[0], row[1]
        backwards = before is not None
        if spec.order == "newest":
            if not backwards:
                where += " AND created <= ? AND (created < ? OR seq < ?)"
            else:
                where += " AND created >= ? AND (created > ? OR seq > ?)"
            args += [created, created, seq]
        else:
            where += " AND seq > ?" if not backwards else " AND seq < ?"
            args.append(seq)
    if spec.order == "newest":
        order = "created ASC, seq ASC" if backwards else "created DESC, seq DESC"
    else:
        order = "seq DESC" if backwards else "seq ASC"
    rows = conn.execute(
        f"SELECT CAST(payload AS BLOB) FROM objects WHERE {where} ORDER BY {order} LIMIT ?",
        (*args, limit + 1)
    ).fetchall()
    has_more = len(rows) > limit
    payloads = [r[0] for r in rows[:limit]]
    if backwards:
        payloads.reverse()
    return Page(payloads, has_more, spec.url)


def created_conditions(params: dict[str, Any], column: str = "created") -> tuple[str, list[int]]:
    value = params.get("created")
    if value is None:
        return "", []
    if isinstance(value, str):
        return f" AND {column} = ?", [parse_int(value, "created")]
    if isinstance(value, dict):
        sql, args = "", []
        for op, raw in value.items():
            if op not in RANGE_OPS:
                raise invalid(f"Received unknown parameter: created[{op}]", param=f"created[{op}]",
                              code="parameter_unknown")
            sql += f" AND {column} {RANGE_OPS[op]} ?"
            args.append(parse_int(raw, f"created[{op}]"))
        return sql, args
    raise invalid("Invalid created: must be an integer or a hash of gt, gte, lt, lte",
                  param="created")


def lookup(conn: sqlite3.Connection, object_id: str) -> tuple[str, str, str] | None:
    """(object, account, payload) of one id, or None."""
    return conn.execute(
        "SELECT object, account, payload FROM objects WHERE id = ?", (object_id,)
    ).fetchone()


# ---------------------------------------------------------------------------------------------
# expand[]: replace id strings with the objects they name.
#
# Like Stripe: ids resolve across accounts (a platform transfer's `destination_payment` lives
# on the connected account), list expansions start with `data.`, and a path has at most four
# levels, `data` included (Stripe's deepest on a charge list: data.payment_intent.customer.
# default_source). The world keeps no object for a transfer's payment on the connected account
# (py_) or a reversal's refund of it (pyr_): only their balance transactions, whose `source` they
# are; those two are made up from that balance transaction when expanded.

MAX_EXPAND_DEPTH = 4
Resolver = Callable[[str, dict, str], Any | None]


def check_depth(path: str) -> None:
    if len(path.split(".")) > MAX_EXPAND_DEPTH:
        raise invalid(f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property "
                      f"({path}).", param="expand")


def expand_object(obj: Any, paths: list[list[str]], resolve: Resolver, full: str) -> Any:
    groups: dict[str, list[list[str]]] = {}
    for path in paths:
        groups.setdefault(path[0], [])
        if len(path) > 1:
            groups[path[0]].append(path[1:])
    if isinstance(obj, list):
        return [expand_object(item, paths, resolve, full) for item in obj]
    if not isinstance(obj, dict):
        raise invalid(f"This property cannot be expanded ({full}).", param="expand")
    for name, rest in groups.items():
        if name not in obj:
            raise invalid(f"This property cannot be expanded ({full}).", param="expand")
        value = obj[name]
        if isinstance(value, str):
            target = resolve(value, obj, name)
            if target is None:
                raise invalid(f"This property cannot be expanded ({full}).", param="expand")
            value = target
        elif value is None:
            continue
        elif not rest:
            if isinstance(value, dict) and "id" in value:
                continue  # already an object: expanding it again changes nothing
            raise invalid(f"This property cannot be expanded ({full}).", param="expand")
        obj[name] = expand_object(value, rest, resolve, full) if rest else value
    return obj


def payment_balance_transaction(conn: sqlite3.Connection, account: str, created: int,
                                source: str) -> dict | None:
    """The balance transaction on `account` whose source is a transfer's payment (py_) or its
    refund (pyr_): booked at the transfer's (reversal's) time, found through the list index."""
    for sql, args in (
        ("created = ?", (created,)),
        ("created >= ?", (created,)),   # a world whose booking came later: still the same index
    ):
        row = conn.execute(
            "SELECT payload FROM objects WHERE object = 'balance_transaction' AND account = ? "
            f"AND {sql} AND json_extract(payload, '$.source') = ? LIMIT 1",
            (account, *args, source)).fetchone()
        if row is not None:
            return orjson.loads(row[0])
    return None


def connected_payment(conn: sqlite3.Connection, payment_id: str, parent: dict,
                      field_name: str) -> dict | None:
    """A transfer's `destination_payment` (a charge py_ on the destination account) or a
    reversal's `destination_payment_refund` (a refund pyr_ of it), as Stripe shows them."""
    if field_name == "destination_payment" and parent.get("object") == "transfer":
        account, transfer_id = parent.get("destination"), parent.get("id")
    elif field_name == "destination_payment_refund" and parent.get("object") == "transfer_reversal":
        row = lookup(conn, str(parent.get("transfer")))
        account = orjson.loads(row[2]).get("destination") if row and row[0] == "transfer" else None
        transfer_id = parent.get("transfer")
    else:
        return None
    created = parent.get("created")
    if not isinstance(account, str) or not isinstance(created, int):
        return None
    txn = payment_balance_transaction(conn, account, created, payment_id)
    if txn is None:
        return None
    common = {"id": payment_id, "amount": abs(txn["amount"]), "balance_transaction": txn["id"],
              "created": txn["created"], "currency": txn["currency"], "metadata": {}}
    if field_name == "destination_payment":
        return {**common, "object": "charge", "amount_captured": abs(txn["amount"]),
                "amount_refunded": 0, "captured": True, "description": txn.get("description"),
                "livemode": False, "paid": True, "refunded": False, "source_transfer": transfer_id,
                "status": "succeeded"}
    return {**common, "object": "refund", "charge": None, "reason": None, "status": "succeeded"}


def make_resolver(conn: sqlite3.Connection) -> Resolver:
    cache: dict[str, Any] = {}

    def resolve(object_id: str, parent: dict, field_name: str) -> Any | None:
        if object_id not in cache:
            row = lookup(conn, object_id)
            if row is not None:
                cache[object_id] = orjson.loads(row[2])
            elif object_id.startswith(("py_", "pyr_")):
                cache[object_id] = connected_payment(conn, object_id, parent, field_name)
            else:
                cache[object_id] = None
        found = cache[object_id]
        return orjson.loads(orjson.dumps(found)) if found is not None else None

    return resolve


def expand_paths(params: dict[str, Any]) -> list[str]:
    value = params.get("expand")
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise invalid("Invalid array", param="expand")


# ---------------------------------------------------------------------------------------------
# The request: routing and each endpoint.

@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def list_body(page: Page) -> bytes:
    return b"".join((b'{"object":"list","data":[', b",".join(page.payloads), b'],"has_more":',
                     b"true" if page.has_more else b"false", b',"url":"', page.url.encode(), b'"}'))


class Api:
    """Endpoints as plain methods of (conn, account, params): HTTP plumbing lives elsewhere."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.list_paths = {t.path: t for t in OBJECT_TYPES if t.path}

    # -- routing -------------------------------------------------------------------------------
    def route(self, method: str, path: str, conn: sqlite3.Connection, account: str,
              params: dict[str, Any], headers: dict[str, str], request_id: str) -> Reply:
        if path != "/" and path.endswith("/"):
            raise self.unrecognized(method, path)
        if method == "GET":
            if path == "/v1/balance":
                check_known(params, {"expand"})
                return Reply(200, orjson.dumps(self.balance(conn, account)))
            if path in self.list_paths:
                return Reply(200, self.list_objects(conn, account, self.list_paths[path], params))
            parts = path.strip("/").split("/")
            if len(parts) == 4 and parts[:2] == ["v1", "invoices"] and parts[3] == "lines":
                return Reply(200, self.list_children(conn, account, "invoice", parts[2],
                                                     "line_item", params, order="sequence"))
            if len(parts) == 4 and parts[:2] == ["v1", "transfers"] and parts[3] == "reversals":
                return Reply(200, self.list_children(conn, account, "transfer", parts[2],
                                                     "transfer_reversal", params))
            if len(parts) == 5 and parts[:2] == ["v1", "transfers"] and parts[3] == "reversals":
                return Reply(200, self.retrieve_child(conn, account, "transfer", parts[2],
                                                      "transfer_reversal", parts[4], params))
            parent_path, _, object_id = path.rpartition("/")
            if parent_path in self.list_paths and object_id:
                return Reply(200, self.retrieve(conn, account, self.list_paths[parent_path],
                                                object_id, params))
        elif method == "POST" and path == "/v1/payouts":
            return self.create_payout(account, params, headers, request_id)
        raise self.unrecognized(method, path)

    @staticmethod
    def unrecognized(method: str, path: str) -> ApiError:
        return ApiError(404, f"Unrecognized request URL ({method}: {path}). Please see "
                        "https://stripe.com/docs or we can help at https://support.stripe.com/.")

    # -- lists ---------------------------------------------------------------------------------
    def list_objects(self, conn: sqlite3.Connection, account: str, kind, params) -> bytes:
        name = kind.object
        filters = LIST_FILTERS.get(name, {})
        special = SPECIAL_FILTERS.get(name, frozenset())
        check_known(params, LIST_PARAMS | set(filters) | special)
        where = "object = ? AND account = ?"
        args: list[Any] = [name, account]
        sql, created_args = created_conditions(params)
        where += sql
        args += created_args
        for param, json_path in filters.items():
            if param in params:
                value = params[param]
                if not isinstance(value, str):
                    raise invalid(f"Invalid string: {param}", param=param)
                if param in BOOLEAN_FILTERS:
                    if value not in ("true", "false"):
                        raise invalid(f"Invalid boolean: {value}", param=param)
                    value = 1 if value == "true" else 0
                paths = (json_path,) if isinstance(json_path, str) else json_path
                where += " AND (" + " OR ".join(
                    f"json_extract(payload, '{p}') = ?" for p in paths) + ")"
                args += [value] * len(paths)
        cursor_ok: Callable[[Any], bool] = lambda row: row[3] == account
        clock = world_clock(conn)
        if name == "subscription":
            status = params.get("status")
            if status is None:
                where += " AND json_extract(payload, '$.status') != 'canceled'"
            elif status not in SUBSCRIPTION_STATUSES:
                raise invalid(f"Invalid status: must be one of {', '.join(sorted(SUBSCRIPTION_STATUSES))}",
                              param="status")
            elif status == "ended":
                where += " AND json_extract(payload, '$.status') IN ('canceled', 'incomplete_expired')"
            elif status != "all":
                where += " AND json_extract(payload, '$.status') = ?"
                args.append(status)
        elif name == "event":
            oldest = clock - EVENT_RETENTION_DAYS * DAY
            where += " AND created >= ?"
            args.append(oldest)
            cursor_ok = lambda row: row[3] == account and row[0] >= oldest
            sql, type_args = self.event_type_conditions(params)
            where += sql
            args += type_args
        elif name == "balance_transaction" and "payout" in params:
            sql, payout_args = self.payout_conditions(conn, account, params["payout"])
            where += sql
            args += payout_args
        spec = ListSpec(where, args, kind.path, name, cursor_ok=cursor_ok)
        page = fetch_page(conn, spec, params)
        return self.page_body(conn, page, params)

    @staticmethod
    def event_type_conditions(params: dict[str, Any]) -> tuple[str, list[str]]:
        if "type" in params and "types" in params:
            raise invalid("You may only specify one of these parameters: type, types.", param="types")
        if "type" in params:
            value = params["type"]
            if not isinstance(value, str):
                raise invalid("Invalid string", param="type")
            if "*" in value:
                return " AND type GLOB ?", [value]
            return " AND type = ?", [value]
        if "types" in params:
            values = params["types"]
            if not isinstance(values, list) or not values:
                raise invalid("Invalid array", param="types")
            if len(values) > 20:
                raise invalid("types may contain at most 20 event types.", param="types")
            return f" AND type IN ({','.join('?' * len(values))})", list(values)
        return "", []

    @staticmethod
    def payout_conditions(conn: sqlite3.Connection, account: str, payout_id: Any) -> tuple[str, list]:
        """Balance transactions paid out in one payout: the payout's own transaction plus those
        of its currency that became available after the account's previous payout and no later
        than this one (the sandbox's model of Stripe's automatic payout contents)."""
        if not isinstance(payout_id, str):
            raise invalid("Invalid string", param="payout")
        row = lookup(conn, payout_id)
        if row is None or row[0] != "payout" or row[1] != account:
            raise no_such("payout", payout_id, param="payout", status=400)
        payout = orjson.loads(row[2])
        previous = conn.execute(
            "SELECT MAX(created) FROM objects WHERE object = 'payout' AND account = ? "
            "AND json_extract(payload, '$.currency') = ? AND created < ?",
            (account, payout["currency"], payout["created"]),
        ).fetchone()[0]
        return (
            " AND (id = ? OR (json_extract(payload, '$.type') != 'payout'"
            " AND json_extract(payload, '$.currency') = ?"
            " AND json_extract(payload, '$.available_on') > ?"
            " AND json_extract(payload, '$.available_on') <= ?))",
            [payout.get("balance_transaction"), payout["currency"],
             previous if previous is not None else -1, payout["created"]],
        )

    def list_children(self, conn, account, parent_object, parent_id, child_object, params,
                      order: str = "newest") -> bytes:
        check_known(params, LIST_PARAMS - {"created"})
        row = lookup(conn, parent_id)
        if row is None or row[0] != parent_object or row[1] != account:
            raise no_such(parent_object, parent_id)
        url = f"/v1/{parent_object}s/{parent_id}/{'lines' if child_object == 'line_item' else 'reversals'}"
        spec = ListSpec("parent = ? AND object = ?", [parent_id, child_object], url, child_object,
                        order=order, cursor_ok=lambda r: r[4] == parent_id)
        return self.page_body(conn, fetch_page(conn, spec, params), params)

    def page_body(self, conn: sqlite3.Connection, page: Page, params: dict[str, Any]) -> bytes:
        paths = expand_paths(params)
        if not paths:
            return list_body(page)
        split = []
        for path in paths:
            parts = path.split(".")
            if parts[0] != "data" or len(parts) < 2:
                raise invalid(f"This property cannot be expanded ({path}). You may want to try "
                              f"expanding 'data.{path}' instead.", param="expand")
            check_depth(path)
            split.append(parts[1:])
        resolve = make_resolver(conn)
        payloads = []
        for text in page.payloads:
            obj = orjson.loads(text)
            for path, parts in zip(paths, split):
                obj = expand_object(obj, [parts], resolve, path)
            payloads.append(orjson.dumps(obj))
        return list_body(Page(payloads, page.has_more, page.url))

    # -- retrieve ------------------------------------------------------------------------------
    def retrieve(self, conn, account, kind, object_id, params) -> bytes:
        check_known(params, {"expand"})
        row = lookup(conn, object_id)
        if row is None or row[0] != kind.object or row[1] != account:
            raise no_such(kind.object, object_id)
        if kind.object == "event":
            created = orjson.loads(row[2])["created"]
            if created < world_clock(conn) - EVENT_RETENTION_DAYS * DAY:
                raise no_such("event", object_id)
        return self.object_body(conn, row[2], params)

    def retrieve_child(self, conn, account, parent_object, parent_id, child_object, child_id,
                       params) -> bytes:
        check_known(params, {"expand"})
        parent = lookup(conn, parent_id)
        if parent is None or parent[0] != parent_object or parent[1] != account:
            raise no_such(parent_object, parent_id)
        row = conn.execute("SELECT object, parent, payload FROM objects WHERE id = ?",
                           (child_id,)).fetchone()
        if row is None or row[0] != child_object or row[1] != parent_id:
            raise no_such(child_object, child_id)
        return self.object_body(conn, row[2], params)

    @staticmethod
    def object_body(conn: sqlite3.Connection, text: str, params: dict[str, Any]) -> bytes:
        paths = expand_paths(params)
        if not paths:
            return text.encode()
        for path in paths:
            check_depth(path)
        obj = orjson.loads(text)
        resolve = make_resolver(conn)
        for path in paths:
            obj = expand_object(obj, [path.split(".")], resolve, path)
        return orjson.dumps(obj)

    # -- balance -------------------------------------------------------------------------------
    def balance(self, conn: sqlite3.Connection, account: str) -> dict[str, Any]:
        clock = world_clock(conn)
        rows = conn.execute(
            "SELECT json_extract(payload, '$.currency'),"
            " SUM(CASE WHEN json_extract(payload, '$.status') = 'available'"
            "  OR json_extract(payload, '$.available_on') <= ? THEN json_extract(payload, '$.net') ELSE 0 END),"
            " SUM(CASE WHEN json_extract(payload, '$.status') = 'available'"
            "  OR json_extract(payload, '$.available_on') <= ? THEN 0 ELSE json_extract(payload, '$.net') END)"
            " FROM objects WHERE object = 'balance_transaction' AND account = ?"
            " GROUP BY 1 ORDER BY 1",
            (clock, clock, account),
        ).fetchall()
        return {
            "object": "balance",
            "available": [{"amount": int(a), "currency": c, "source_types": {"card": int(a)}}
                          for c, a, _ in rows],
            "livemode": self.world.livemode,
            "pending": [{"amount": int(p), "currency": c, "source_types": {"card": int(p)}}
                        for c, _, p in rows],
        }

    # -- POST /v1/payouts ----------------------------------------------------------------------
    def create_payout(self, account: str, params: dict[str, Any], headers: dict[str, str],
                      request_id: str) -> Reply:
        request = validate_payout_params(params)
        key = headers.get("idempotency-key")
        request_hash = hashlib.sha256(orjson.dumps(
            ["POST", "/v1/payouts", sorted((k, str(v)) for k, v in flatten(params))]
        )).hexdigest()
        world = self.world
        with world.write_lock:
            conn = world.writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                if key:
                    saved = conn.execute(
                        "SELECT request_hash, status, response FROM idempotency "
                        "WHERE account = ? AND key = ?", (account, key)).fetchone()
                    if saved is not None:
                        conn.execute("COMMIT")
                        if saved[0] != request_hash:
                            raise ApiError(
                                400, "Keys for idempotent requests can only be used with the same "
                                f"parameters they were first used with. Try using a key other than "
                                f"'{key}' if you meant to execute a different request.",
                                type="idempotency_error")
                        return Reply(saved[1], saved[2].encode(), {"Idempotent-Replayed": "true",
                                                                   "Original-Request": request_id})
                try:
                    payout = self.write_payout(conn, account, request, key, request_id)
                    reply = Reply(200, orjson.dumps(payout))
                except ApiError as exc:
                    if exc.status >= 500:
                        raise
                    reply = Reply(exc.status, exc.body(request_id))
                if key:
                    conn.execute(
                        "INSERT INTO idempotency(account, key, request_hash, status, response) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (account, key, request_hash, reply.status, reply.body.decode()))
                conn.execute("COMMIT")
                return reply
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def write_payout(self, conn: sqlite3.Connection, account: str, request: "PayoutRequest",
                     idempotency_key: str | None, request_id: str) -> dict[str, Any]:
        clock = world_clock(conn)
        available = conn.execute(
            "SELECT COALESCE(SUM(json_extract(payload, '$.net')), 0) FROM objects "
            "WHERE object = 'balance_transaction' AND account = ? "
            "AND json_extract(payload, '$.currency') = ? "
            "AND (json_extract(payload, '$.status') = 'available' "
            "OR json_extract(payload, '$.available_on') <= ?)",
            (account, request.currency, clock)).fetchone()[0]
        fee = instant_payout_fee(request.amount, request.currency) if request.method == "instant" else 0
        if request.amount + fee > int(available):
            raise ApiError(
                400, "You have insufficient funds in your Stripe account for this transfer. "
                "Your card balance is too low. You can use the /v1/balance endpoint to view your "
                "Stripe balance (for more details, see stripe.com/docs/api#balance).",
                code="balance_insufficient", param="amount")
        next_seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM objects").fetchone()[0]
        payout_id = self.new_id("po_", account, next_seq)
        txn_id = self.new_id("txn_", account, next_seq + 1)
        event_id = self.new_id("evt_", account, next_seq + 2)
        destination = request.destination or default_external_account(conn, account)
        payout = payout_object(payout_id, txn_id, request, clock, destination, self.world.livemode)
        txn = payout_balance_transaction(txn_id, payout, fee)
        event = {
            "id": event_id, "object": "event", **({"account": account} if account else {}),
            "api_version": self.world.api_version, "created": clock, "data": {"object": payout},
            "livemode": self.world.livemode, "pending_webhooks": 0,
            "request": {"id": request_id, "idempotency_key": idempotency_key},
            "type": "payout.created",
        }
        conn.executemany(
            "INSERT INTO objects(seq, id, object, account, created, parent, type, payload) "
            "VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
            [(next_seq, payout_id, "payout", account, clock, None, orjson.dumps(payout).decode()),
             (next_seq + 1, txn_id, "balance_transaction", account, clock, None,
              orjson.dumps(txn).decode()),
             (next_seq + 2, event_id, "event", account, clock, "payout.created",
              orjson.dumps(event).decode())])
        return payout

    def new_id(self, prefix: str, account: str, seq: int) -> str:
        """Deterministic ids (world seed, account, sequence) so a replayed run names the same objects."""
        digest = hashlib.sha256(f"{self.world.seed}:{prefix}:{account}:{seq}".encode()).digest()
        return prefix + base62(int.from_bytes(digest, "big"), 24)


# ---------------------------------------------------------------------------------------------
# Payout domain pieces: pure functions of plain data.

@dataclass(frozen=True)
class PayoutRequest:
    amount: int
    currency: str
    method: str
    description: str | None
    destination: str | None
    statement_descriptor: str | None
    metadata: dict[str, str]


def flatten(params: dict[str, Any]):
    for key, value in params.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                yield f"{key}[{sub}]", v
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield f"{key}[{i}]", v
        else:
            yield key, value


def validate_payout_params(params: dict[str, Any]) -> PayoutRequest:
    check_known(params, PAYOUT_CREATE_PARAMS)
    for required in ("amount", "currency"):
        if required not in params:
            raise invalid(f"Missing required param: {required}.", param=required,
                          code="parameter_missing")
    amount = parse_int(params["amount"], "amount")
    if amount < 1:
        raise invalid("This value must be greater than or equal to 1.", param="amount",
                      code="parameter_invalid_integer")
    currency = params["currency"]
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise invalid(f"Invalid currency: {currency}.", param="currency")
    method = params.get("method", "standard")
    if method not in ("standard", "instant"):
        raise invalid("Invalid method: must be one of standard, instant", param="method")
    metadata = params.get("metadata", {})
    if metadata == "":
        metadata = {}
    if not isinstance(metadata, dict):
        raise invalid("Invalid hash", param="metadata")
    for name in ("description", "destination", "statement_descriptor"):
        if name in params and not isinstance(params[name], str):
            raise invalid("Invalid string", param=name)
    return PayoutRequest(amount, currency.lower(), method, params.get("description"),
                         params.get("destination"), params.get("statement_descriptor"),
                         dict(metadata))


def instant_payout_fee(amount: int, currency: str) -> int:
    """The instant payout fee in minor units: 1% with a floor of 0.50, rounded half-up once."""
    fee_major = max(to_major(amount, currency) * INSTANT_PAYOUT_FEE_RATE, INSTANT_PAYOUT_FEE_MIN_MAJOR)
    return to_minor(fee_major, currency)


def arrival_date(clock: int, method: str) -> int:
    """Instant payouts arrive now; standard ones at midnight UTC two business days later."""
    if method == "instant":
        return clock
    day = clock - clock % DAY
    added = 0
    while added < STANDARD_PAYOUT_BUSINESS_DAYS:
        day += DAY
        if time.gmtime(day).tm_wday < 5:
            added += 1
    return day


def payout_object(payout_id: str, txn_id: str, request: PayoutRequest, clock: int,
                  destination: str | None, livemode: bool) -> dict[str, Any]:
    return {
        "id": payout_id, "object": "payout", "amount": request.amount,
        "application_fee": None, "application_fee_amount": None,
        "arrival_date": arrival_date(clock, request.method), "automatic": False,
        "balance_transaction": txn_id, "created": clock, "currency": request.currency,
        "description": request.description, "destination": destination,
        "failure_balance_transaction": None, "failure_code": None, "failure_message": None,
        "livemode": livemode, "metadata": request.metadata, "method": request.method,
        "original_payout": None, "payout_method": None, "reconciliation_status": "not_applicable",
        "reversed_by": None, "source_type": "card",
        "statement_descriptor": request.statement_descriptor, "status": "pending",
        "trace_id": {"status": "pending", "value": None}, "type": "bank_account",
    }


def payout_balance_transaction(txn_id: str, payout: dict[str, Any], fee: int) -> dict[str, Any]:
    currency = payout["currency"]
    fee_details = ([{"amount": fee, "application": None, "currency": currency,
                     "description": "Instant payout fee", "type": "stripe_fee"}] if fee else [])
    return {
        "id": txn_id, "object": "balance_transaction", "amount": -payout["amount"],
        "available_on": payout["created"], "balance_type": "payments",
        "created": payout["created"], "currency": currency,
        "description": payout["description"] or "STRIPE PAYOUT", "exchange_rate": None,
        "fee": fee, "fee_details": fee_details, "net": -payout["amount"] - fee,
        "reporting_category": "payout", "source": payout["id"], "status": "available",
        "type": "payout",
    }


def default_external_account(conn: sqlite3.Connection, account: str) -> str | None:
    if not account:
        return None
    row = conn.execute("SELECT json_extract(payload, '$.external_accounts.data[0].id') "
                       "FROM objects WHERE id = ? AND object = 'account'", (account,)).fetchone()
    return row[0] if row else None


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return "".join(chars)


# ---------------------------------------------------------------------------------------------
# Rate limit.

class TokenBucket:
    """Stripe's read limit: `rate` requests per second, bursts up to one second's worth."""

    def __init__(self, rate: float) -> None:
        self.rate = float(rate)
        self.capacity = max(1.0, self.rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> float:
        """0 when the request may go ahead, else the seconds until a token is free."""
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return 0.0
            return (1.0 - self.tokens) / self.rate


# ---------------------------------------------------------------------------------------------
# HTTP plumbing.

class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, world: World, rate_limit: float | None,
                 faults: FaultConfig | None) -> None:
        self.world = world
        self.api = Api(world)
        self.bucket = TokenBucket(rate_limit) if rate_limit else None
        self.faults: FaultInjector | None = faults.injector() if faults and faults.active else None
        self.fault_latency = faults.latency_s if faults else 0.0
        super().__init__(address, SandboxHandler)

    def get_request(self):
        sock, address = super().get_request()
        try:  # a whole page fits in the kernel buffer, so a slow reader never stalls a thread early
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        except OSError:
            pass
        return sock, address


class RequestHeaders(dict):
    """Request headers by lower-case name; `get` takes any case, as email.message.Message does."""

    def get(self, name: str, default: Any = None) -> Any:
        return dict.get(self, name.lower(), default)

    def __getitem__(self, name: str) -> Any:
        return dict.get(self, name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and dict.__contains__(self, name.lower())


MAX_HEADER_LINE = 65536
MAX_HEADERS = 100


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cashbook-sandbox"
    sys_version = ""
    disable_nagle_algorithm = True
    server: SandboxHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests and benches read stdout
        return

    def parse_request(self) -> bool:
        """The request line and headers of an ordinary HTTP/1.x request, read without the email
        package (the standard parser cost more CPU per page than the page). Anything unusual in
        the request line goes to the standard parser, which answers it as before."""
        words = self.raw_requestline.split()
        if len(words) != 3 or words[2] not in (b"HTTP/1.1", b"HTTP/1.0"):
            return super().parse_request()
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        command, path, version = (str(w, "iso-8859-1") for w in words)
        self.command, self.request_version = command, version
        self.path = "/" + path.lstrip("/") if path.startswith("//") else path
        self.close_connection = True
        headers = RequestHeaders()
        readline = self.rfile.readline
        for _ in range(MAX_HEADERS + 1):
            line = readline(MAX_HEADER_LINE + 1)
            if len(line) > MAX_HEADER_LINE:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long")
                return False
            if line in (b"\r\n", b"\n", b""):
                break
            name, sep, value = str(line, "iso-8859-1").partition(":")
            if not sep:
                self.send_error(HTTPStatus.BAD_REQUEST, f"Bad header line ({line[:80]!r})")
                return False
            headers[name.strip().lower()] = value.strip()
        else:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
            return False
        self.headers = headers  # type: ignore[assignment]
        connection = headers.get("connection", "").lower()
        self.close_connection = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
        if headers.get("expect", "").lower() == "100-continue" and version == "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def do_GET(self) -> None:
        self.handle_api("GET")

    def do_POST(self) -> None:
        self.handle_api("POST")

    def do_DELETE(self) -> None:
        self.handle_api("DELETE")

    def do_PUT(self) -> None:
        self.handle_api("PUT")

    def do_PATCH(self) -> None:
        self.handle_api("PATCH")

    def handle_api(self, method: str) -> None:
        server = self.server
        request_id = "req_" + base62(int.from_bytes(os.urandom(12), "big"), 14)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        body = self.rfile.read(length) if length > 0 else b""
        if server.fault_latency:
            time.sleep(server.fault_latency)
        if server.faults is not None:
            decision = server.faults.decide()
            if decision == "drop":
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if decision is not None:
                self.send_error_reply(fault_error(int(decision)), request_id, clock=None)
                return
        conn = server.world.pool.get()
        clock: int | None = None
        try:
            clock = world_clock(conn)
            self.authenticate()
            if server.bucket is not None and method == "GET":
                wait = server.bucket.take()
                if wait:
                    raise rate_limit_error(wait)
            account = self.account(conn)
            split = urlsplit(self.path)
            pairs = parse_qsl(split.query, keep_blank_values=True)
            if method == "POST" and body:
                pairs += parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
            params = parse_params(pairs)
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = server.api.route(method, split.path, conn, account, params, headers, request_id)
        except ApiError as exc:
            self.send_error_reply(exc, request_id, clock)
            return
        except Exception as exc:  # a bug must still answer like Stripe (500, retryable) and be visible
            self.send_error_reply(ApiError(500, f"An unknown error occurred ({type(exc).__name__}).",
                                           type="api_error"), request_id, clock)
            raise
        finally:
            server.world.pool.put(conn)
        self.send_reply(reply, request_id, clock)

    def authenticate(self) -> None:
        header = self.headers.get("Authorization") or ""
        key = ""
        if header.startswith("Bearer "):
            key = header[7:].strip()
        elif header.startswith("Basic "):
            try:
                key = base64.b64decode(header[6:].strip()).decode().split(":", 1)[0]
            except (binascii.Error, UnicodeDecodeError):
                key = ""
        if not key:
            raise ApiError(401, "You did not provide an API key. You need to provide your API key "
                           "in the Authorization header, using Bearer auth (e.g. 'Authorization: "
                           "Bearer YOUR_SECRET_KEY').")
        if key != self.server.world.api_key:
            raise ApiError(401, f"Invalid API Key provided: {mask_key(key)}")

    def account(self, conn: sqlite3.Connection) -> str:
        account = (self.headers.get("Stripe-Account") or "").strip()
        if not account:
            return ""
        row = conn.execute("SELECT 1 FROM objects WHERE id = ? AND object = 'account'",
                           (account,)).fetchone()
        if row is None:
            raise ApiError(403, f"The provided key '{mask_key(self.server.world.api_key)}' does not "
                           f"have access to account '{account}' (or that account does not exist). "
                           "Application access may have been revoked.", code="account_invalid")
        return account

    def send_error_reply(self, exc: ApiError, request_id: str, clock: int | None) -> None:
        self.send_reply(Reply(exc.status, exc.body(request_id), exc.headers), request_id, clock)

    def send_reply(self, reply: Reply, request_id: str, clock: int | None) -> None:
        self._clock = clock
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Request-Id", request_id)
        self.send_header("Stripe-Version", self.server.world.api_version)
        self.send_header("Cache-Control", "no-cache, no-store")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        # one write for head and body: one syscall, no small-packet stall on keep-alive
        self._headers_buffer.append(b"\r\n")
        self._headers_buffer.append(reply.body)
        data = b"".join(self._headers_buffer)
        self._headers_buffer = []
        self.wfile.write(data)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """Every response is dated by the world clock, which ingestion treats as "now"."""
        clock = getattr(self, "_clock", None)
        if clock is None:
            conn = self.server.world.pool.get()
            try:
                clock = world_clock(conn)
            finally:
                self.server.world.pool.put(conn)
        return formatdate(clock, usegmt=True)


def rate_limit_error(wait: float) -> ApiError:
    return ApiError(429, "Request rate limit exceeded. You can learn more about rate limits here "
                    "https://stripe.com/docs/rate-limits.", code="rate_limit",
                    headers={"Retry-After": str(max(1, math.ceil(wait))),
                             "Stripe-Should-Retry": "true"})


def fault_error(status: int) -> ApiError:
    if status == 429:
        return rate_limit_error(1.0)
    return ApiError(status, "An unknown error occurred (sandbox fault injection).", type="api_error",
                    headers={"Stripe-Should-Retry": "true"})


# ---------------------------------------------------------------------------------------------
# Entry points.

def _fault_config(faults: FaultConfig | str | None) -> FaultConfig | None:
    return parse_faults(faults) if isinstance(faults, str) else faults


def serve_forever(world_path: str | Path, *, host: str = "127.0.0.1", port: int = 12111,
                  rate_limit: float | None = 100.0, faults: FaultConfig | str | None = None) -> None:
    """Serve the world until interrupted (the `cashbook sandbox serve` command)."""
    world = World(world_path, mmap_bytes=SERVE_MMAP_BYTES)
    server = SandboxHTTPServer((host, port), world, rate_limit, _fault_config(faults))
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        world.close()


@dataclass
class RunningServer:
    """A server on a background thread: for tests, benchmarks and `make demo`."""
    base_url: str
    api_key: str
    world_path: Path
    _server: SandboxHTTPServer
    _thread: threading.Thread

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def fault_counts(self) -> dict:
        """How many requests got each injected fault (None = answered normally)."""
        return dict(self._server.faults.counts) if self._server.faults else {}

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server.world.close()

    def __enter__(self) -> "RunningServer":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def __repr__(self) -> str:  # the key stays out of logs
        return f"RunningServer(base_url={self.base_url!r}, world_path={str(self.world_path)!r})"


def start_in_thread(world_path: str | Path, *, port: int = 0, rate_limit: float | None = None,
                    faults: FaultConfig | str | None = None, host: str = "127.0.0.1") -> RunningServer:
    world = World(world_path)
    server = SandboxHTTPServer((host, port), world, rate_limit, _fault_config(faults))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="stripe-sandbox", daemon=True)
    thread.start()
    bound_port = server.server_address[1]
    return RunningServer(f"http://{host}:{bound_port}", world.api_key, Path(world_path), server,
                         thread)
