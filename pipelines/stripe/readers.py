"""Reader side of a sync: one function per stream that pages a list endpoint and turns each page
into a `Batch` (rows, rejects, and the stream state to commit with them).

Readers run in threads and never touch the warehouse; the single writer commits their batches.
"""
from __future__ import annotations

import queue
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import orjson
import stripe

from pipelines.catalog import BY_OBJECT, INVOICE_LINES_PATH, TRANSFER_REVERSALS_PATH, StripeObjectType
from pipelines.stripe.client import MalformedBody, StripeApi
from pipelines.stripe.coverage import take_expanded
from pipelines.stripe.errors import StripeSyncError
from pipelines.stripe.events import plan_event
from pipelines.stripe.pages import ParsedPage, is_plain, parse_page
from pipelines.stripe.records import (
    Row, embedded_reversals, invoice_lines_incomplete, merge_invoice_lines, to_row,
)
from pipelines.stripe.rejects import Rejected, problem_with, reject
from pipelines.stripe.state import PassPlan, StreamState, after_page

PAGE_LIMIT = 100
RAW_REJECT_LIMIT = 100_000


@dataclass
class Batch:
    rows: list[Row] = field(default_factory=list)
    rejects: list[Rejected] = field(default_factory=list)
    states: list[StreamState] = field(default_factory=list)
    received: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)


@dataclass
class StreamTask:
    type: StripeObjectType
    account: str | None
    plan: PassPlan
    expand: tuple[str, ...] = ()    # expand[] of each page (`coverage.EXPANSIONS`)

    @property
    def name(self) -> str:
        return f"{self.type.table}@{self.account or 'platform'}"


class ReaderContext:
    """What readers share: the API, the queue to the writer, the stop flag, the pinned version
    and, for events, the server time since which each stream was last read in full."""

    def __init__(self, api: StripeApi, out: "queue.Queue[Batch]", *, now: int,
                 full_since: dict[tuple[str, str], int | None], parser=None):
        self.api = api
        self.parser = parser          # a parse_worker.PageParser, or None: parse in this thread
        self.out = out
        self.stop = threading.Event()
        self.now = now
        self.pinned = stripe.api_version
        self.full_since = full_since
        self.event_types: dict[str, set[str]] = {}   # account ('' = platform) -> types read
        # (table, account) -> (floor, started) of the list pass this run makes of that stream
        self.listing: dict[tuple[str, str], tuple[int | None, int]] = {}
        self._types_lock = threading.Lock()

    def note_event(self, account: str | None, event_type: Any) -> None:
        if isinstance(event_type, str):
            with self._types_lock:
                self.event_types.setdefault(account or "", set()).add(event_type)

    def listed_anyway(self, table: str, account: str | None, event: dict[str, Any]) -> bool:
        """Whether this run's list pass of the object's stream lands a copy at least as new as
        the event: the object was created at or after the pass's floor (so the pass lists it)
        and the event is no newer than the pass's start (every page answers after it; a resumed
        pass listed its first pages after its own start). A retrieve would only repeat it."""
        entry = self.listing.get((table, account or ""))
        data = event.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        obj_created = obj.get("created") if isinstance(obj, dict) else None
        event_created = event.get("created")
        if entry is None or not isinstance(obj_created, int) or not isinstance(event_created, int):
            return False
        floor, started = entry
        return (floor is None or obj_created >= floor) and event_created <= started

    def put(self, batch: Batch) -> None:
        while not self.stop.is_set():
            try:
                self.out.put(batch, timeout=0.2)
                return
            except queue.Full:
                continue


def _page_all(api: StripeApi, path: str, account: str | None, label: str,
              starting_after: str | None = None) -> list[dict[str, Any]]:
    """Every item of a nested list endpoint (invoice lines, transfer reversals)."""
    items: list[dict[str, Any]] = []
    after = starting_after
    while True:
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        if after:
            params["starting_after"] = after
        data = api.get(path, params, account, label=label).data
        page = data.get("data")
        if not isinstance(page, list):
            raise StripeSyncError(path, account, 200, "list answer without a `data` array")
        items.extend(x for x in page if isinstance(x, dict))
        if not data.get("has_more") or not page or not isinstance(page[-1], dict):
            return items
        after = page[-1].get("id")
        if not isinstance(after, str):
            return items


class PageBuilder:
    """Turns validated objects into rows, following the nested lists that land with them."""

    def __init__(self, ctx: ReaderContext, batch: Batch):
        self.ctx = ctx
        self.batch = batch

    def land(self, obj: dict[str, Any], object_type: str, account: str | None, *, source: str,
             observed_at: int, api_version: str | None, is_deleted: bool = False) -> bool:
        t = BY_OBJECT[object_type]
        self.batch.received[t.table] += 1
        # expanded objects go back to their ids first: the row lands as an unexpanded list
        # gives it, and what they carried lands on its own account as that account lists it
        for txn, txn_account in take_expanded(obj, object_type, account):
            self.land(txn, "balance_transaction", txn_account, source=source,
                      observed_at=observed_at, api_version=api_version)
        problem = problem_with(obj, object_type)
        if problem:
            self.batch.rejects.append(reject(obj, t.table, account, *problem))
            self.batch.rejected[t.table] += 1
            return False
        if object_type == "invoice" and invoice_lines_incomplete(obj) and not is_deleted:
            first = (obj.get("lines") or {}).get("data") or []
            last = first[-1].get("id") if first and isinstance(first[-1], dict) else None
            more = _page_all(self.ctx.api, INVOICE_LINES_PATH.format(id=obj["id"]), account,
                             "invoice", starting_after=last)
            obj = merge_invoice_lines(obj, more)
        self.batch.rows.append(to_row(t.table, obj, account=account, api_version=api_version,
                                      source=source, observed_at=observed_at,
                                      is_deleted=is_deleted))
        if object_type == "transfer":
            reversals, more = embedded_reversals(obj)
            if more:
                reversals = _page_all(self.ctx.api, TRANSFER_REVERSALS_PATH.format(id=obj["id"]),
                                      account, "transfer_reversal")
            for rev in reversals:
                self.land(rev, "transfer_reversal", account, source=source,
                          observed_at=observed_at, api_version=api_version)
        return True


def _reject_page(task: StreamTask, reason: str, body: bytes | str) -> Batch:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    b = Batch()
    b.rejects.append(Rejected(task.type.table, task.account, None, "(page)", reason,
                              text[:RAW_REJECT_LIMIT]))
    b.rejected[task.type.table] += 1
    b.received[task.type.table] += 1
    return b


def _start(task: StreamTask) -> tuple[dict[str, Any], str | None, Any]:
    """A stream's list parameters (from the plan's floor), its resume point and its state."""
    params: dict[str, Any] = {"limit": PAGE_LIMIT, **dict(task.type.list_params)}
    if task.plan.floor is not None:
        params["created"] = {"gte": task.plan.floor}
    if task.expand:
        params["expand"] = list(task.expand)
    return params, task.plan.resume_after, task.plan.state


def read_stream(ctx: ReaderContext, task: StreamTask,
                on_event: Callable[[PageBuilder, dict[str, Any], str | None], None] | None = None) -> None:
    """Page one list endpoint newest first, from the plan's floor / resume point."""
    if on_event is None and is_plain(task.type.object) and not task.expand:
        return _read_plain_stream(ctx, task)
    t = task.type
    params, after, state = _start(task)
    while not ctx.stop.is_set():
        p = dict(params)
        if after:
            p["starting_after"] = after
        try:
            resp = ctx.api.get(t.path, p, task.account, label=t.table)
        except MalformedBody as exc:
            ctx.put(_reject_page(task, exc.reason, exc.body))
            return  # the cursor stays: the next run reads this page again
        data, has_more = resp.data.get("data"), resp.data.get("has_more")
        if not isinstance(data, list) or not isinstance(has_more, bool):
            ctx.put(_reject_page(task, "list answer without `data` array / `has_more` flag",
                                 orjson.dumps(resp.data)))
            return
        observed = resp.server_time or ctx.now
        batch = Batch()
        builder = PageBuilder(ctx, batch)
        page_max, last_id = None, None
        for obj in data:
            if isinstance(obj, dict) and isinstance(obj.get("id"), str):
                last_id = obj["id"]
            if not builder.land(obj, t.object, task.account, source="list", observed_at=observed,
                                api_version=ctx.pinned if t.object != "event" else
                                (obj.get("api_version") if isinstance(obj, dict) else None)):
                continue
            created = obj["created"]
            page_max = created if page_max is None else max(page_max, created)
            if on_event is not None:
                on_event(builder, obj, task.account)
        finished = not has_more or not data
        if not finished and last_id is None:
            raise StripeSyncError(t.path, task.account, 200, "a page without any object id: cannot page on")
        state = after_page(state, page_max_created=page_max, last_id=last_id, finished=finished)
        batch.states.append(state)
        ctx.put(batch)
        if finished:
            return
        after = last_id


def _read_plain_stream(ctx: ReaderContext, task: StreamTask) -> None:
    """`read_stream` for a type whose objects land as listed (`pages.is_plain`): each page goes
    from bytes to rows in one `pages.parse_page` call, in the parser process when there is one."""
    t = task.type
    params, after, state = _start(task)
    parse = ctx.parser.parse if ctx.parser is not None else parse_page

    def decode(body: bytes, server_time: int | None) -> ParsedPage:
        return parse(body, t.object, t.table, task.account, ctx.pinned, server_time or ctx.now)

    while not ctx.stop.is_set():
        p = dict(params)
        if after:
            p["starting_after"] = after
        try:
            page: ParsedPage = ctx.api.get(t.path, p, task.account, label=t.table,
                                           decode=decode).data
        except MalformedBody as exc:
            ctx.put(_reject_page(task, exc.reason, exc.body))
            return  # the cursor stays: the next run reads this page again
        if page.shape_problem is not None:
            ctx.put(_reject_page(task, "list answer without `data` array / `has_more` flag",
                                 page.shape_problem))
            return
        batch = Batch(rows=page.rows, rejects=page.rejects)
        if page.received:
            batch.received[t.table] = page.received
        if page.rejects:
            batch.rejected[t.table] = len(page.rejects)
        finished = not page.has_more or not page.received
        if not finished and page.last_id is None:
            raise StripeSyncError(t.path, task.account, 200, "a page without any object id: cannot page on")
        state = after_page(state, page_max_created=page.page_max, last_id=page.last_id,
                           finished=finished)
        batch.states.append(state)
        ctx.put(batch)
        if finished:
            return
        after = page.last_id


class EventApplier:
    """Applies events of one event stream to the object tables, newest version per object."""

    def __init__(self, ctx: ReaderContext):
        self.ctx = ctx
        self.applied: set[tuple[str, str]] = set()
        self.lock = threading.Lock()

    def __call__(self, builder: PageBuilder, event: dict[str, Any], scope: str | None) -> None:
        self.ctx.note_event(scope, event.get("type"))
        action = plan_event(event, self.ctx.pinned)
        if action.kind == "ignore":
            return
        account = event.get("account") if isinstance(event.get("account"), str) else scope
        full_since = self.ctx.full_since.get((action.table, account or ""))
        created = action.created if isinstance(action.created, int) else None
        if created is None:
            return
        if full_since is not None and created < full_since:
            return  # a full read from a later time already holds this change or a newer one
        key = (action.table, action.object_id)
        with self.lock:
            if key in self.applied:
                return  # events come newest first: we already hold a newer version
            self.applied.add(key)
        object_type = BY_OBJECT_TABLE[action.table]
        if action.kind == "upsert":
            builder.land(action.obj, object_type, account, source="event", observed_at=created,
                         api_version=event.get("api_version"), is_deleted=action.is_deleted)
        elif not self.ctx.listed_anyway(action.table, account, event):
            resp = self.ctx.api.get(action.retrieve_path, None, account, label=action.table)
            builder.land(resp.data, object_type, account, source="retrieve",
                         observed_at=resp.server_time or self.ctx.now, api_version=self.ctx.pinned)


BY_OBJECT_TABLE = {t.table: t.object for t in BY_OBJECT.values()}
