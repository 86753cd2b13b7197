"""Per-stream cursor state and the pure rules that plan a pass from it.

A stream is (table, account) — account '' is the platform. Lists are read newest first with
`starting_after`; each page is committed together with the state that says how far the pass got,
so a killed run resumes exactly where the last commit left it, and a finished pass moves the
created cursor. All times here are the *server's* epoch seconds (the `Date` header).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from pipelines.catalog import EVENT_RETENTION_DAYS

DAY = 86_400
DEFAULT_OVERLAP_SECONDS = 600


@dataclass(frozen=True)
class StreamState:
    stream: str                       # landing table of the listed objects
    account: str = ""                 # '' = platform, else acct_...
    cursor: int | None = None         # max `created` of all completed passes
    synced_through: int | None = None  # server time at the start of the last completed pass
    full_started: int | None = None   # server time at the start of the latest full pass
    pass_full: bool | None = None     # the pass in progress is a full read (None: no pass open)
    pass_floor: int | None = None     # its created[gte]
    pass_started: int | None = None
    pass_max: int | None = None       # max created seen so far in it
    pass_after: str | None = None     # last id committed: resume with starting_after

    @property
    def key(self) -> tuple[str, str]:
        return (self.stream, self.account)


@dataclass(frozen=True)
class PassPlan:
    state: StreamState                # the state the pass starts from (pass fields set)
    floor: int | None                 # created[gte], None = read everything
    full: bool
    resume_after: str | None


def plan_pass(state: StreamState | None, stream: str, account: str, *, now: int,
              force_full: bool = False, overlap: int = DEFAULT_OVERLAP_SECONDS) -> PassPlan:
    """How to read a stream this run: resume an open pass, else full or from cursor - overlap."""
    state = state or StreamState(stream, account)
    open_pass = state.pass_full is not None
    if open_pass and (state.pass_full or not force_full):
        return PassPlan(state, state.pass_floor, bool(state.pass_full), state.pass_after)
    full = force_full or state.cursor is None
    floor = None if full else state.cursor - overlap
    started = replace(state, pass_full=full, pass_floor=floor, pass_started=now,
                      pass_max=None, pass_after=None,
                      full_started=now if full else state.full_started)
    return PassPlan(started, floor, full, None)


def after_page(state: StreamState, *, page_max_created: int | None, last_id: str | None,
               finished: bool) -> StreamState:
    """The state to commit with a page's rows."""
    seen_max = state.pass_max
    if page_max_created is not None:
        seen_max = page_max_created if seen_max is None else max(seen_max, page_max_created)
    if not finished:
        return replace(state, pass_max=seen_max, pass_after=last_id or state.pass_after)
    cursor = state.cursor
    if seen_max is not None:
        cursor = seen_max if cursor is None else max(cursor, seen_max)
    return replace(state, cursor=cursor, synced_through=state.pass_started, pass_full=None,
                   pass_floor=None, pass_started=None, pass_max=None, pass_after=None)


def events_gap(event_state: StreamState | None, now: int,
               retention_days: int = EVENT_RETENTION_DAYS) -> bool:
    """True when events since the last completed event pass may have expired (Stripe keeps 30
    days): the mutable streams of that account must then be re-read in full."""
    if event_state is None or event_state.synced_through is None:
        return False
    return event_state.synced_through < now - retention_days * DAY


def mutable_needs_full(state: StreamState | None, event_state: StreamState | None, now: int,
                       retention_days: int = EVENT_RETENTION_DAYS) -> bool:
    """A mutable stream is read in full when it never was, or when events can no longer bring
    it up to date (the event cursor is older than the retention)."""
    if state is None or state.full_started is None:
        return True
    if events_gap(event_state, now, retention_days):
        return True
    if event_state is None or event_state.synced_through is None:
        # events never completed a pass: this pass reads what is retained; enough only if the
        # stream's last full read is within the retention window
        return state.full_started < now - retention_days * DAY
    return False
