"""One sync run: plan every stream from its state, read streams concurrently, land through one
writer, platform first and then the connected accounts that can have changed.

Why this shape: readers are I/O bound (threads suffice); DuckDB allows a single writer, so the
calling thread is the only one that writes, draining a bounded queue (bounded memory: a reader
blocks when the writer is behind). Parsing is CPU bound and would share the GIL with the writer:
list pages of plain types are decoded, validated and turned into rows in one child process
(`parse_worker`), the readers wait for it, and the writer runs on the other core. Each batch
commits its rows with the cursor state that covers them, so a crash at any point is resumed by
the next run with nothing skipped or doubled.
"""
from __future__ import annotations

import gc
import logging
import queue
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack, contextmanager
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Iterable

from pipelines.catalog import BY_TABLE, OBJECT_TYPES
from pipelines.stripe.accounts import AccountVisit, events_move_balance, plan_account_visits
from pipelines.stripe.client import StripeApi
from pipelines.stripe.coverage import EXPANSIONS, platform_activity
from pipelines.stripe.errors import StripeAuthError, SyncAborted
from pipelines.stripe.parse_worker import PageParser
from pipelines.stripe.readers import Batch, EventApplier, ReaderContext, StreamTask, read_stream
from pipelines.stripe.state import (
    DEFAULT_OVERLAP_SECONDS, StreamState, events_gap, mutable_needs_full, plan_pass,
)

log = logging.getLogger(__name__)

ALL_TABLES = tuple(t.table for t in OBJECT_TYPES)
CONNECTED_TABLES = tuple(t.table for t in OBJECT_TYPES if t.on_connected)


@dataclass
class SyncOptions:
    tables: tuple[str, ...] | None = None      # None = every type
    full_refresh: bool = False
    overlap: int = DEFAULT_OVERLAP_SECONDS
    workers: int = 8
    batch_rows: int = 5_000                    # rows per write transaction (at most ~)
    queue_pages: int = 64                      # pages in flight between readers and the writer
    batch_wait_s: float = 0.2                  # how long the writer waits to fill a batch
    parse_process: bool = True                 # plain list pages parsed in a child process
                                               # (parse_worker), else in the reader threads
    crash_after_commits: int | None = None     # test hook: simulate a kill after N commits


@dataclass
class TableStats:
    received: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    api_calls: int = 0
    streams_full: int = 0
    streams_incremental: int = 0

    @property
    def landed(self) -> int:
        return self.received - self.rejected


@dataclass
class SyncResult:
    run_id: str
    server_time: int
    tables: dict[str, TableStats] = field(default_factory=dict)
    api_calls: int = 0
    retries: int = 0
    accounts_total: int = 0
    accounts_synced: int = 0
    duration_s: float = 0.0
    commits: int = 0
    states: dict[tuple[str, str], StreamState] = field(default_factory=dict)

    def cursors(self, table: str) -> dict[str, int | None]:
        return {acct or "platform": s.cursor for (t, acct), s in self.states.items() if t == table}


def _selection(tables: Iterable[str] | None) -> set[str]:
    chosen = set(tables or ALL_TABLES)
    unknown = chosen - set(ALL_TABLES)
    if unknown:
        raise ValueError(f"unknown Stripe object types: {', '.join(sorted(unknown))}")
    if "transfer_reversal" in chosen:
        chosen.add("transfer")      # reversals are read through their transfers
    if any(BY_TABLE[t].mutable for t in chosen):
        chosen.add("event")         # changes to mutable objects arrive as events
    return chosen


class _Run:
    def __init__(self, api: StripeApi, landing, options: SyncOptions, result: SyncResult):
        self.api = api
        self.landing = landing
        self.options = options
        self.result = result
        self.out: queue.Queue[Batch] = queue.Queue(maxsize=options.queue_pages)
        self.full_since: dict[tuple[str, str], int | None] = {}
        self.parser = PageParser(options.parse_process)
        self._by_account: tuple | None = None
        self.expand = True          # expansions land balance transactions: only when selected
        self.ctx = ReaderContext(api, self.out, now=result.server_time, full_since=self.full_since,
                                 parser=self.parser)

    def close(self) -> None:
        self.parser.close()

    def stats(self, table: str) -> TableStats:
        return self.result.tables.setdefault(table, TableStats())

    def plan(self, states, table: str, account: str, force_full: bool) -> StreamTask:
        t = BY_TABLE[table]
        plan = plan_pass(states.get((table, account)), table, account, now=self.result.server_time,
                         force_full=force_full or self.options.full_refresh,
                         overlap=self.options.overlap)
        self.full_since[(table, account)] = plan.state.full_started
        if t.path is not None:
            self.ctx.listing[(table, account)] = (plan.floor, plan.state.pass_started)
        s = self.stats(table)
        if plan.full:
            s.streams_full += 1
        else:
            s.streams_incremental += 1
        # a full pass goes with every account's full read (a first run, a refresh, 30 days
        # without events, which the 25-day sweep of every account precedes): nothing to prove
        expand = () if plan.full or not self.expand else EXPANSIONS.get((table, bool(account)), ())
        return StreamTask(t, account or None, plan, expand)

    def scope_tasks(self, states, account: str, tables: list[str]) -> list[StreamTask]:
        now = self.result.server_time
        ev_state = states.get(("event", account))
        tasks = []
        events_healthy = (ev_state is not None and ev_state.synced_through is not None
                          and not events_gap(ev_state, now) and not self.options.full_refresh)
        for table in tables:
            t = BY_TABLE[table]
            st = states.get((table, account))
            if (account and table == "payout" and "event" in tables and events_healthy
                    and st is not None and st.full_started is not None and st.pass_full is None):
                # a connected account's new and changed payouts both arrive as its events
                # (payout.created / .updated / .paid carry the object): no list call needed
                self.full_since[(table, account)] = st.full_started
                continue
            if table == "event":
                force = events_gap(ev_state, now)
            elif t.mutable:
                force = mutable_needs_full(states.get((table, account)), ev_state, now)
            else:
                force = False
            tasks.append(self.plan(states, table, account, force))
        for table, s in self._states_of(states, account):  # streams not read keep their history
            self.full_since.setdefault((table, account), s.full_started)
        return tasks

    def _states_of(self, states, account: str) -> list:
        """(table, state) of one account's streams. Indexed once per run: a scan of every state
        for each visited account cost 6 s of the writer's CPU on a large day (2,919 accounts)."""
        if self._by_account is None or self._by_account[0] is not states:
            index: dict[str, list] = {}
            for (table, acct), s in states.items():
                index.setdefault(acct, []).append((table, s))
            self._by_account = (states, index)
        return self._by_account[1].get(account, [])

    def visit_tasks(self, states, visits: list[AccountVisit], connected: list[str]) -> list[StreamTask]:
        tasks = []
        for v in visits:
            tables = [t for t in connected
                      if (v.events or t not in ("event", "payout"))
                      and (v.balance or t != "balance_transaction")]
            tasks.extend(self.scope_tasks(states, v.account, tables))
        return tasks

    def write(self, batches: list[Batch]) -> None:
        rows: dict[tuple[str, str], object] = {}
        rejects, states = [], {}
        for b in batches:
            for r in b.rows:
                key = (r.table, r.id)
                old = rows.get(key)
                if old is None or (r.observed_at, r.source != "event") > (old.observed_at, old.source != "event"):
                    rows[key] = r
            rejects.extend(b.rejects)
            for s in b.states:
                states[s.key] = s
            for table, n in b.received.items():
                self.stats(table).received += n
            for table, n in b.rejected.items():
                self.stats(table).rejected += n
        res = self.landing.write(list(rows.values()), rejects, list(states.values()),
                                 self.result.run_id)
        for table, n in res.inserted.items():
            self.stats(table).inserted += n
        for table, n in res.updated.items():
            self.stats(table).updated += n
        self.result.commits += 1
        hook = self.options.crash_after_commits
        if hook is not None and self.result.commits >= hook:
            raise SyncAborted(f"test hook: stopped after {self.result.commits} commits")

    def run_phase(self, tasks: list[StreamTask], pool: ThreadPoolExecutor) -> None:
        if not tasks:
            return
        # Completion is counted by callbacks: polling every future's done() each 10 ms cost
        # 4.5 s of the writer's CPU with the 3,000 streams of a large day.
        lock, all_done = threading.Lock(), threading.Event()
        remaining = [len(tasks)]
        failures: list[tuple[StreamTask, BaseException]] = []

        def finished(task: StreamTask, fut: Future) -> None:
            exc = None if fut.cancelled() else fut.exception()
            with lock:
                if exc is not None:
                    failures.append((task, exc))
                remaining[0] -= 1
                if remaining[0] == 0:
                    all_done.set()

        for task in tasks:
            on_event = EventApplier(self.ctx) if task.type.table == "event" else None
            fut = pool.submit(read_stream, self.ctx, task, on_event)
            fut.add_done_callback(lambda f, t=task: finished(t, f))
        error: BaseException | None = None
        try:
            while True:
                pending, n_rows = [], 0
                try:
                    first = self.out.get(timeout=0.05)
                    pending.append(first)
                    n_rows += len(first.rows)
                    # Wait a little for a fuller batch while readers are still at work: each
                    # commit flushes and syncs DuckDB's WAL, and a writer faster than its readers
                    # committed every page or two (37 commits for the replay's 400 pages)
                    deadline = time.monotonic() + self.options.batch_wait_s
                    while n_rows < self.options.batch_rows:
                        try:
                            b = self.out.get_nowait()
                        except queue.Empty:
                            left = deadline - time.monotonic()
                            if left <= 0 or all_done.is_set():
                                break
                            try:
                                b = self.out.get(timeout=min(left, 0.01))
                            except queue.Empty:
                                continue
                        pending.append(b)
                        n_rows += len(b.rows)
                except queue.Empty:
                    pass
                if pending:
                    self.write(pending)
                    continue
                if failures and error is None:
                    task, error = failures[0]
                    log.error("stream %s failed: %s", task.name, error)
                    if isinstance(error, StripeAuthError):
                        self.ctx.stop.set()
                if all_done.is_set() and self.out.empty():
                    break
        except BaseException:
            self.ctx.stop.set()
            raise
        if error is not None:
            raise error


@contextmanager
def _young_garbage_only():
    """Parsing pages allocates millions of short-lived dicts; each allocation burst makes Python's
    cycle collector walk every object the process holds (Dagster's included). Objects alive
    before the run are frozen out of collection and young collections run less often, which
    cut the replay's CPU per object by a fifth; both are restored afterwards."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], 50_000), threshold[1], threshold[2])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def run_sync(api: StripeApi, landing_factory, options: SyncOptions | None = None) -> SyncResult:
    """Sync the selected types. `landing_factory()` opens the warehouse; it is called only after
    the key has been checked, so a wrong key writes nothing at all."""
    with _young_garbage_only():
        return _run_sync(api, landing_factory, options)


def _run_sync(api: StripeApi, landing_factory, options: SyncOptions | None = None) -> SyncResult:
    options = options or SyncOptions()
    chosen = _selection(options.tables)
    started = time.monotonic()
    calls_before, retries_before = Counter(api.calls), Counter(api.retries)
    preflight = api.get("/v1/events", {"limit": 1}, label="preflight")  # 401 raises here
    now = preflight.server_time or int(time.time())
    result = SyncResult(run_id=uuid.uuid4().hex[:12], server_time=now)
    landing = landing_factory()
    stack = ExitStack()
    try:
        landing.ensure_schema()
        states = landing.load_states()
        run = _Run(api, landing, options, result)
        run.expand = "balance_transaction" in chosen
        stack.callback(run.close)
        platform = [t.table for t in OBJECT_TYPES
                    if t.table in chosen and t.on_platform and t.path is not None]
        connected = [t for t in CONNECTED_TABLES if t in chosen]
        with ThreadPoolExecutor(max_workers=options.workers, thread_name_prefix="stripe-read") as pool:
            if True:
                run.run_phase(run.scope_tasks(states, "", platform), pool)
                if connected:
                    # payouts of connected accounts follow their events, so the accounts'
                    # sync time is that of the streams read on every visit
                    visited = [t for t in connected if t != "payout" or "event" not in connected]
                    activity = landing.account_activity(visited, now)
                    unshown = None if options.full_refresh else platform_activity(landing)
                    if unshown is not None:
                        # rule 3 counts only platform rows whose effect on the account's
                        # balance the warehouse does not show (accounts listed at least once)
                        activity = [replace(a, platform_activity_at=unshown[a.account])
                                    if a.account in unshown else a for a in activity]
                    result.accounts_total = len(activity)
                    if options.full_refresh:
                        visits = [AccountVisit(a.account, True, True) for a in activity]
                    else:
                        visits = plan_account_visits(activity, now, overlap=options.overlap)
                    result.accounts_synced = len(visits)
                    run.run_phase(run.visit_tasks(states, visits, connected), pool)
                    # balance transactions of accounts whose events show money moving
                    moved = [AccountVisit(v.account, False, True) for v in visits
                             if v.events and not v.balance
                             and events_move_balance(run.ctx.event_types.get(v.account, ()))]
                    run.run_phase(run.visit_tasks(states, moved, connected), pool)
        result.states = landing.load_states()
    finally:
        stack.close()
        landing.close()
        calls = api.calls - calls_before
        result.api_calls = sum(calls.values())
        result.retries = sum((api.retries - retries_before).values())
        for label, n in calls.items():
            if label in BY_TABLE:
                result.tables.setdefault(label, TableStats()).api_calls += n
        result.duration_s = time.monotonic() - started
    return result
