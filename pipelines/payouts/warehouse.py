"""The payout library against the warehouse (DuckDB or PostgreSQL, from `WAREHOUSE_URL`): plan
inputs read from the payout marts, the plan and reconciliation written to `finance.*`, and
`WarehouseJournal`, the ONE `PayoutJournal`: the Dagster `payout_execute` job and the
`cashbook payouts execute|reconcile` command both journal to `finance.payout_journal`, so each sees
the other's intents (two journals could pay a creator twice once Stripe's 24-hour idempotency
keys expire).

The journal commits every write before its method returns (DuckDB and PostgreSQL both run in
autocommit here), so the intent is durable before the API call that it announces. Executors
serialise as the ingest does (pipelines/warehouse/): a file lock beside the DuckDB file, a session
advisory lock on PostgreSQL (`execution_lock`); and DuckDB admits one writing process per file, so
a command opening it while a Dagster run holds it waits (`Warehouse(url, lock_wait=...)`).
"""
from __future__ import annotations

import fcntl
import json
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from pipelines.warehouse.bulk import insert_rows

from .fx import FxRates
from .journal import SENT, JournalEntry
from .model import AccountFacts, CreatorBalance, InstantRequest, OpenDispute, PlanInputs, RecentPayout
from .plan import PayoutPlan, PlanLine
from .reconcile import ItemizedRow, ReconciledLine
from .schedule import PayoutSchedule

FINANCE = "finance"


class Warehouse:
    """One connection, `?` placeholders on both engines, plain tuples out."""

    def __init__(self, url: str, *, lock_wait: float = 0.0):
        """`lock_wait`: seconds to wait while another process has the DuckDB file open (DuckDB
        allows one writing process per file); 0 fails at once, as DuckDB does."""
        from pipelines.warehouse.url import parse_warehouse_url

        self.target = parse_warehouse_url(url)
        self.kind = self.target.kind
        if self.kind == "duckdb":
            import duckdb

            self.target.path.parent.mkdir(parents=True, exist_ok=True)
            deadline = time.monotonic() + lock_wait
            while True:
                try:
                    self._conn = duckdb.connect(str(self.target.path))
                    break
                except duckdb.IOException as exc:
                    if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                        raise
                    time.sleep(0.5)
        else:
            import psycopg2

            t = self.target
            self._conn = psycopg2.connect(host=t.host, port=t.port, user=t.user,
                                          password=t.password or None, dbname=t.dbname)
            self._conn.autocommit = True

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.kind == "postgres" else sql

    def _cursor(self):
        # a DuckDB cursor is a second connection with its own transaction: use the connection
        return self._conn if self.kind == "duckdb" else self._conn.cursor()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor().execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [tuple(r) for r in rows]
        if rows:
            self._cursor().executemany(self._sql(sql), rows)

    def insert(self, table: str, rows: Iterable[Sequence[Any]], columns: Sequence[str] | None = None) -> None:
        """Append rows (in the order of `columns`, else of the table's) in one statement, not one
        per row as executemany does."""
        insert_rows(self._conn, self.kind, table, list(rows), columns)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        cur = self._cursor()
        cur.execute(self._sql(sql), tuple(params))
        return [tuple(r) for r in cur.fetchall()]

    def table_exists(self, schema: str, table: str) -> bool:
        return bool(self.rows("SELECT count(*) FROM information_schema.tables"
                              " WHERE table_schema = ? AND table_name = ?", (schema, table))[0][0])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _json_list(text: Any) -> list:
    if text in (None, "", "null"):
        return []
    value = json.loads(text) if isinstance(text, str) else text
    return list(value or [])


# ---------------------------------------------------------------- the journal

_JOURNAL_COLUMNS = ("key", "creator", "currency", "day", "plan_version", "method", "amount", "fee",
                    "net", "state", "intent_at", "attempts", "payout_id", "payout_status",
                    "answered_at", "error_code", "error_message")


class WarehouseJournal:
    """`PayoutJournal` on `finance.payout_journal`: one row per plan line, keyed by the
    idempotency key; each write is committed before the method returns."""

    table = f"{FINANCE}.payout_journal"

    def __init__(self, wh: Warehouse):
        self.wh = wh
        wh.execute(f"CREATE SCHEMA IF NOT EXISTS {FINANCE}")
        wh.execute(
            f"CREATE TABLE IF NOT EXISTS {self.table} ("
            " key VARCHAR PRIMARY KEY, creator VARCHAR NOT NULL, currency VARCHAR NOT NULL,"
            " day DATE NOT NULL, plan_version INTEGER NOT NULL, method VARCHAR NOT NULL,"
            " amount BIGINT NOT NULL, fee BIGINT NOT NULL, net BIGINT NOT NULL, state VARCHAR NOT NULL,"
            " intent_at BIGINT NOT NULL, attempts INTEGER NOT NULL, payout_id VARCHAR,"
            " payout_status VARCHAR, answered_at BIGINT, error_code VARCHAR, error_message VARCHAR)")

    def _entry(self, row: tuple) -> JournalEntry:
        values = dict(zip(_JOURNAL_COLUMNS, row))
        values["day"] = _day(values["day"])
        for name in ("plan_version", "amount", "fee", "net", "intent_at", "attempts"):
            values[name] = int(values[name])
        if values["answered_at"] is not None:
            values["answered_at"] = int(values["answered_at"])
        return JournalEntry(**values)

    def get(self, key: str) -> JournalEntry | None:
        rows = self.wh.rows(f"SELECT {', '.join(_JOURNAL_COLUMNS)} FROM {self.table} WHERE key = ?", (key,))
        return self._entry(rows[0]) if rows else None

    def record_intent(self, entry: JournalEntry) -> JournalEntry:
        with self.wh.transaction():
            old = self.get(entry.key)
            if old is None:
                new = replace(entry, attempts=1)
                self.wh.execute(
                    f"INSERT INTO {self.table} ({', '.join(_JOURNAL_COLUMNS)})"
                    f" VALUES ({', '.join('?' * len(_JOURNAL_COLUMNS))})",
                    tuple(getattr(new, c) for c in _JOURNAL_COLUMNS))
            else:
                self.wh.execute(f"UPDATE {self.table} SET attempts = ? WHERE key = ?",
                                (old.attempts + 1, entry.key))
        return self.get(entry.key)

    def insert_if_missing(self, entry: JournalEntry) -> bool:
        """Store an entry as it is (state, answer and all) unless its key is there already."""
        with self.wh.transaction():
            if self.get(entry.key) is not None:
                return False
            self.wh.execute(
                f"INSERT INTO {self.table} ({', '.join(_JOURNAL_COLUMNS)})"
                f" VALUES ({', '.join('?' * len(_JOURNAL_COLUMNS))})",
                tuple(getattr(entry, c) for c in _JOURNAL_COLUMNS))
        return True

    def record_answer(self, key: str, payout_id: str, payout_status: str | None, at: int) -> JournalEntry:
        self.wh.execute(
            f"UPDATE {self.table} SET state = ?, payout_id = ?, payout_status = ?, answered_at = ?,"
            " error_code = NULL, error_message = NULL WHERE key = ?",
            (SENT, payout_id, payout_status, at, key))
        return self.get(key)

    def record_error(self, key: str, state: str, code: str | None, message: str, at: int) -> JournalEntry:
        self.wh.execute(
            f"UPDATE {self.table} SET state = ?, error_code = ?, error_message = ?, answered_at = ?"
            " WHERE key = ?", (state, code, message, at, key))
        return self.get(key)

    def entries(self, day: date | None = None) -> list[JournalEntry]:
        sql = f"SELECT {', '.join(_JOURNAL_COLUMNS)} FROM {self.table}"
        params: tuple = ()
        if day is not None:
            sql, params = sql + " WHERE day = ?", (day,)
        return [self._entry(r) for r in self.wh.rows(sql + " ORDER BY key", params)]


# ---------------------------------------------------------------- one executor at a time

PAYOUTS_LOCK_ID = 0x70617973  # PostgreSQL advisory lock key of payout execution ("pays")


@contextmanager
def execution_lock(wh: Warehouse, *, timeout: float = 600.0) -> Iterator[None]:
    """Hold the warehouse's payout execution lock: the CLI and the Dagster job never execute at
    the same time, so neither reads the journal between the other's intent and its call.
    DuckDB: an exclusive flock on `<file>.payouts.lock` (like the ingest's `.ingest.lock`);
    PostgreSQL: a session advisory lock on the warehouse connection."""
    deadline = time.monotonic() + timeout
    if wh.kind == "duckdb":
        handle = open(str(wh.target.path) + ".payouts.lock", "w")
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise RuntimeError(f"another payout execution holds {wh.target.path}; "
                                           "gave up waiting") from None
                    time.sleep(0.5)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            handle.close()
        return
    while not wh.rows("SELECT pg_try_advisory_lock(?)", (PAYOUTS_LOCK_ID,))[0][0]:
        if time.monotonic() >= deadline:
            raise RuntimeError("another payout execution holds the warehouse; gave up waiting")
        time.sleep(0.5)
    try:
        yield
    finally:
        wh.rows("SELECT pg_advisory_unlock(?)", (PAYOUTS_LOCK_ID,))


def import_legacy_journal(path: Path, journal: "WarehouseJournal") -> int:
    """Entries of the SQLite journal the command line kept before it used the warehouse
    (`data/payouts_journal.sqlite`) that the warehouse journal lacks are copied into it as they
    are, so no payout made from the command line is forgotten; the file is then renamed
    `*.imported` and never read again. Returns how many entries were copied."""
    path = Path(path)
    if not path.exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        has_table = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                 " AND name = 'payout_journal'").fetchone()[0]
        rows = conn.execute(f"SELECT {', '.join(_JOURNAL_COLUMNS)} FROM payout_journal"
                            " ORDER BY key").fetchall() if has_table else []
    finally:
        conn.close()
    copied = sum(1 for row in rows if journal.insert_if_missing(journal._entry(tuple(row))))
    path.rename(path.with_name(path.name + ".imported"))
    return copied


# ---------------------------------------------------------------- plan inputs

@dataclass(frozen=True)
class InputNotes:
    """What the plan could not use, for the asset's metadata (never silently dropped)."""
    skipped_accounts: tuple[str, ...] = ()
    fraud_source: str = ""
    fx_date: date | None = None


def read_balances(wh: Warehouse, day: date) -> list[CreatorBalance]:
    """Each creator-currency's row of fct_creator_balances for `day`, or its last row before it
    (after the last movement the balance stays as it is)."""
    rows = wh.rows(
        "SELECT b.creator_account_id, b.currency, b.available, b.pending"
        " FROM marts.fct_creator_balances AS b"
        " INNER JOIN (SELECT creator_account_id, currency, max(balance_date) AS balance_date"
        "             FROM marts.fct_creator_balances WHERE balance_date <= ?"
        "             GROUP BY creator_account_id, currency) AS latest"
        " ON latest.creator_account_id = b.creator_account_id AND latest.currency = b.currency"
        " AND latest.balance_date = b.balance_date ORDER BY 1, 2", (day,))
    return [CreatorBalance(c, cur, int(a), int(p)) for c, cur, a, p in rows]


def account_facts_from_row(row: Mapping[str, Any], destinations: Mapping[str, str]) -> AccountFacts:
    """A dim_creator_payout_accounts row as `AccountFacts` (the list forms of the anchors win,
    as in `schedule.schedule_from_stripe`)."""
    creator = row["creator_account_id"]
    interval = row["schedule_interval"]
    if not interval:
        raise ValueError(f"account {creator}: settings.payouts.schedule.interval is missing")
    weekly = _json_list(row.get("schedule_weekly_payout_days")) or (
        [row["schedule_weekly_anchor"]] if row.get("schedule_weekly_anchor") else [])
    monthly = _json_list(row.get("schedule_monthly_payout_days")) or (
        [row["schedule_monthly_anchor"]] if row.get("schedule_monthly_anchor") else [])
    for name in ("is_payouts_enabled", "is_details_submitted"):
        if not isinstance(row.get(name), bool):
            raise ValueError(f"account {creator}: {name[3:]} is missing or not a boolean")
    try:
        schedule = PayoutSchedule(interval, tuple(str(d).lower() for d in weekly),
                                  tuple(int(d) for d in monthly))
    except ValueError as exc:
        raise ValueError(f"account {creator}: {exc}") from None
    return AccountFacts(creator=creator, schedule=schedule, payouts_enabled=row["is_payouts_enabled"],
                        details_submitted=row["is_details_submitted"],
                        disabled_reason=row.get("disabled_reason"),
                        past_due=tuple(_json_list(row.get("past_due_requirements"))),
                        destinations=dict(destinations))


def read_accounts(wh: Warehouse) -> tuple[dict[str, AccountFacts], list[str]]:
    cols = ("creator_account_id", "is_payouts_enabled", "is_details_submitted", "disabled_reason",
            "past_due_requirements", "schedule_interval", "schedule_weekly_anchor",
            "schedule_monthly_anchor", "schedule_weekly_payout_days", "schedule_monthly_payout_days")
    dests: dict[str, dict[str, str]] = {}
    for creator, ext, currency, is_default in wh.rows(
            "SELECT creator_account_id, external_account_id, currency, is_default_for_currency"
            " FROM marts.dim_creator_payout_destinations ORDER BY creator_account_id, list_position"):
        if currency and (is_default or currency not in dests.get(creator, {})):
            dests.setdefault(creator, {})[currency] = ext
    accounts: dict[str, AccountFacts] = {}
    skipped: list[str] = []
    for row in wh.rows(f"SELECT {', '.join(cols)} FROM marts.dim_creator_payout_accounts ORDER BY 1"):
        record = dict(zip(cols, row))
        try:
            accounts[record["creator_account_id"]] = account_facts_from_row(
                record, dests.get(record["creator_account_id"], {}))
        except ValueError as exc:
            skipped.append(str(exc))
    return accounts, skipped


def read_open_disputes(wh: Warehouse, day: date) -> list[OpenDispute]:
    start = datetime(day.year, day.month, day.day)
    return [OpenDispute(c, cur, int(a), d) for d, c, cur, a in wh.rows(
        "SELECT dispute_id, creator_account_id, currency, reserve_amount"
        " FROM marts.fct_creator_open_disputes WHERE reserve_amount > 0 AND created_at <= ?"
        " ORDER BY dispute_id", (start,))]


def read_recent_payouts(wh: Warehouse, day: date, lookback_days: int) -> list[RecentPayout]:
    rows = wh.rows(
        "SELECT payout_id, creator_account_id, currency, created_date, status, amount,"
        " destination_id, failure_code FROM marts.fct_creator_payouts"
        " WHERE created_date >= ? AND created_date <= ? ORDER BY payout_id",
        (day - timedelta(days=lookback_days), day))
    return [RecentPayout(creator=c, currency=cur, payout_id=p, created=_day(d), status=s,
                         amount=int(a), destination=dest, failure_code=code)
            for p, c, cur, d, s, a, dest, code in rows]


def read_fx(wh: Warehouse, day: date) -> FxRates | None:
    """The ECB rates of `day` (carried forward over weekends by int_fx__daily_rates), else the
    last ones before it; None when the warehouse has no rates."""
    if not wh.table_exists("intermediate", "int_fx__daily_rates"):
        return None
    rows = wh.rows(
        "SELECT r.rate_date, r.currency, r.units_per_eur FROM intermediate.int_fx__daily_rates AS r"
        " WHERE r.rate_date = (SELECT max(rate_date) FROM intermediate.int_fx__daily_rates"
        "                      WHERE rate_date <= ? AND units_per_eur IS NOT NULL)"
        " AND r.units_per_eur IS NOT NULL", (day,))
    if not rows:
        return None
    return FxRates(day, "EUR", {cur: Decimal(str(rate)) for _, cur, rate in rows if cur != "EUR"})


def read_fraud_scores(wh: Warehouse, day: date) -> tuple[dict[str, Decimal] | None, str]:
    """finance.creator_risk (from the fraud work): each creator's score_p95 of the latest month
    up to `day`'s month. No table: no fraud hold, and the note says so."""
    if not wh.table_exists(FINANCE, "creator_risk"):
        return None, "finance.creator_risk does not exist yet: no fraud holds"
    month_start = date(day.year, day.month, 1)
    rows = wh.rows(
        "SELECT r.creator_account, CAST(r.score_p95 AS VARCHAR) FROM finance.creator_risk AS r"
        " INNER JOIN (SELECT creator_account, max(month) AS month FROM finance.creator_risk"
        "             WHERE CAST(month AS DATE) <= ? GROUP BY creator_account) AS latest"
        " ON latest.creator_account = r.creator_account AND latest.month = r.month", (month_start,))
    scores = {c: Decimal(s) for c, s in rows if s is not None}
    return scores, f"finance.creator_risk: {len(scores)} creators scored"


def in_flight_from_journal(entries: Iterable[JournalEntry], absorbed_payouts: set[str],
                           day: date) -> dict[tuple[str, str], int]:
    """Payouts sent on earlier days that the balance as of `day` does not show yet: their gross
    amount is still in `available` and must not be paid twice. Lines of `day` itself are left
    out, so rebuilding the day's plan gives the same lines (and the same keys)."""
    out: dict[tuple[str, str], int] = {}
    for e in entries:
        if e.state == SENT and e.day < day and e.payout_id not in absorbed_payouts \
                and e.payout_status not in ("failed", "canceled"):
            out[(e.creator, e.currency)] = out.get((e.creator, e.currency), 0) + e.amount
    return out


def journal_payouts_not_ingested(entries: Iterable[JournalEntry], known: set[str]) -> list[RecentPayout]:
    """Payouts the journal knows and the warehouse does not yet: a later successful payout clears
    an earlier failure, and the plan must see it."""
    return [RecentPayout(e.creator, e.currency, e.payout_id, e.day, e.payout_status or "pending",
                         e.net) for e in entries
            if e.state == SENT and e.payout_id and e.payout_id not in known]


def read_plan_inputs(wh: Warehouse, day: date, *, lookback_days: int,
                     instant_requests: Iterable[InstantRequest] = ()) -> tuple[PlanInputs, InputNotes]:
    balances = read_balances(wh, day)
    accounts, skipped = read_accounts(wh)
    recent = read_recent_payouts(wh, day, lookback_days)
    journal = WarehouseJournal(wh).entries()
    payout_ids = [e.payout_id for e in journal if e.payout_id]
    absorbed: set[str] = set()
    known: set[str] = set()
    if payout_ids:
        marks = ", ".join("?" * len(payout_ids))
        absorbed = {r[0] for r in wh.rows(
            f"SELECT DISTINCT payout_id FROM marts.fct_creator_balance_items"
            f" WHERE payout_id IN ({marks}) AND counts_from_date <= ?", (*payout_ids, day))}
        known = {r[0] for r in wh.rows(
            f"SELECT payout_id FROM marts.fct_creator_payouts WHERE payout_id IN ({marks})",
            tuple(payout_ids))}
    recent += [p for p in journal_payouts_not_ingested(journal, known)
               if day - timedelta(days=lookback_days) <= p.created <= day]
    fx = read_fx(wh, day)
    scores, fraud_note = read_fraud_scores(wh, day)
    inputs = PlanInputs(day=day, balances=tuple(balances), accounts=accounts,
                        open_disputes=tuple(read_open_disputes(wh, day)),
                        recent_payouts=tuple(recent), instant_requests=tuple(instant_requests),
                        fx=fx, fraud_scores=scores,
                        in_flight=in_flight_from_journal(journal, absorbed, day))
    return inputs, InputNotes(tuple(skipped), fraud_note, fx.day if fx else None)


# ---------------------------------------------------------------- plan and reconciliation tables

PLAN_COLUMNS = ("plan_date", "plan_version", "creator_account_id", "currency", "method", "amount",
                "fee", "net", "available", "in_flight", "reserved", "destination", "retry_of",
                "failure_code", "idempotency_key", "remainder", "remainder_reason")


def write_plan_tables(wh: Warehouse, plan: PayoutPlan) -> None:
    """Replace the day's rows of finance.payout_plan, _exclusions and _totals in one transaction."""
    wh.execute(f"CREATE SCHEMA IF NOT EXISTS {FINANCE}")
    wh.execute(f"CREATE TABLE IF NOT EXISTS {FINANCE}.payout_plan (plan_date DATE NOT NULL,"
               " plan_version INTEGER NOT NULL, creator_account_id VARCHAR NOT NULL,"
               " currency VARCHAR NOT NULL, method VARCHAR NOT NULL, amount BIGINT NOT NULL,"
               " fee BIGINT NOT NULL, net BIGINT NOT NULL, available BIGINT NOT NULL,"
               " in_flight BIGINT NOT NULL, reserved BIGINT NOT NULL, destination VARCHAR,"
               " retry_of VARCHAR, failure_code VARCHAR, idempotency_key VARCHAR NOT NULL,"
               " remainder BIGINT NOT NULL DEFAULT 0, remainder_reason VARCHAR)")
    # plan tables made before the whole-unit rule lack its two columns
    wh.execute(f"ALTER TABLE {FINANCE}.payout_plan ADD COLUMN IF NOT EXISTS remainder BIGINT DEFAULT 0")
    wh.execute(f"ALTER TABLE {FINANCE}.payout_plan ADD COLUMN IF NOT EXISTS remainder_reason VARCHAR")
    wh.execute(f"CREATE TABLE IF NOT EXISTS {FINANCE}.payout_plan_exclusions (plan_date DATE NOT NULL,"
               " creator_account_id VARCHAR NOT NULL, currency VARCHAR, method VARCHAR NOT NULL,"
               " reason VARCHAR NOT NULL, detail VARCHAR)")
    wh.execute(f"CREATE TABLE IF NOT EXISTS {FINANCE}.payout_plan_totals (plan_date DATE NOT NULL,"
               " currency VARCHAR NOT NULL, lines INTEGER NOT NULL, amount BIGINT NOT NULL,"
               " fee BIGINT NOT NULL, net BIGINT NOT NULL)")
    with wh.transaction():
        for table in ("payout_plan", "payout_plan_exclusions", "payout_plan_totals"):
            wh.execute(f"DELETE FROM {FINANCE}.{table} WHERE plan_date = ?", (plan.day,))
        wh.insert(
            f"{FINANCE}.payout_plan",
            [(l.day, l.plan_version, l.creator, l.currency, l.method, l.amount, l.fee, l.net,
              l.available, l.in_flight, l.reserved, l.destination, l.retry_of, l.failure_code,
              l.idempotency_key, l.remainder, l.remainder_reason) for l in plan.lines],
            PLAN_COLUMNS)
        wh.insert(f"{FINANCE}.payout_plan_exclusions",
                  [(plan.day, e.creator, e.currency, e.method, e.reason, e.detail)
                   for e in plan.exclusions])
        wh.insert(f"{FINANCE}.payout_plan_totals",
                  [(plan.day, t.currency, t.lines, t.amount, t.fee, t.net) for t in plan.totals])


def read_plan_lines(wh: Warehouse, day: date) -> tuple[PlanLine, ...]:
    if not wh.table_exists(FINANCE, "payout_plan"):
        return ()
    rows = wh.rows(f"SELECT {', '.join(PLAN_COLUMNS)} FROM {FINANCE}.payout_plan WHERE plan_date = ?"
                   " ORDER BY creator_account_id, currency", (day,))
    lines = []
    for row in rows:
        r = dict(zip(PLAN_COLUMNS, row))
        lines.append(PlanLine(creator=r["creator_account_id"], currency=r["currency"],
                              amount=int(r["amount"]), method=r["method"], fee=int(r["fee"]),
                              net=int(r["net"]), day=_day(r["plan_date"]),
                              plan_version=int(r["plan_version"]),
                              idempotency_key=r["idempotency_key"], available=int(r["available"]),
                              in_flight=int(r["in_flight"]), reserved=int(r["reserved"]),
                              destination=r["destination"], retry_of=r["retry_of"],
                              failure_code=r["failure_code"], remainder=int(r["remainder"] or 0),
                              remainder_reason=r["remainder_reason"]))
    return tuple(lines)


def read_reconciliation_inputs(wh: Warehouse, entries: Iterable[JournalEntry]
                               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The entries' payouts (fct_creator_payouts) and the balance transactions inside them
    (fct_creator_balance_items), in the shape `reconcile.reconcile` reads."""
    ids = sorted({e.payout_id for e in entries if e.payout_id})
    if not ids:
        return [], []
    marks = ", ".join("?" * len(ids))
    payouts = [dict(id=p, status=s, amount=int(a), currency=c, balance_transaction=bt,
                    failure_balance_transaction=fbt, failure_code=code)
               for p, s, a, c, bt, fbt, code in wh.rows(
                   "SELECT payout_id, status, amount, currency, balance_transaction_id,"
                   " failure_balance_transaction_id, failure_code FROM marts.fct_creator_payouts"
                   f" WHERE payout_id IN ({marks})", tuple(ids))]
    wanted = [p["balance_transaction"] for p in payouts if p["balance_transaction"]] + \
             [p["failure_balance_transaction"] for p in payouts if p["failure_balance_transaction"]]
    txn_marks = ", ".join("?" * len(wanted)) if wanted else "NULL"
    txns = [dict(id=t, net=int(n), fee=int(f), source=s) for t, n, f, s in wh.rows(
        "SELECT balance_transaction_id, net, fee, source_id FROM marts.fct_creator_balance_items"
        f" WHERE source_id IN ({marks}) OR balance_transaction_id IN ({txn_marks})",
        (*ids, *wanted))]
    return payouts, txns


RECON_COLUMNS = ("plan_date", "idempotency_key", "creator_account_id", "currency", "method",
                 "planned_amount", "planned_fee", "planned_net", "state", "payout_id",
                 "payout_amount", "stripe_fee", "failure_code", "expected_debit", "debited",
                 "difference", "matched", "reasons")


def write_reconciliation(wh: Warehouse, day: date, lines: Sequence[ReconciledLine]) -> None:
    wh.execute(f"CREATE SCHEMA IF NOT EXISTS {FINANCE}")
    wh.execute(f"CREATE TABLE IF NOT EXISTS {FINANCE}.payout_reconciliation (plan_date DATE NOT NULL,"
               " idempotency_key VARCHAR NOT NULL, creator_account_id VARCHAR NOT NULL,"
               " currency VARCHAR NOT NULL, method VARCHAR NOT NULL, planned_amount BIGINT NOT NULL,"
               " planned_fee BIGINT NOT NULL, planned_net BIGINT NOT NULL, state VARCHAR NOT NULL,"
               " payout_id VARCHAR, payout_amount BIGINT, stripe_fee BIGINT, failure_code VARCHAR,"
               " expected_debit BIGINT NOT NULL, debited BIGINT NOT NULL, difference BIGINT NOT NULL,"
               " matched BOOLEAN NOT NULL, reasons VARCHAR)")
    with wh.transaction():
        wh.execute(f"DELETE FROM {FINANCE}.payout_reconciliation WHERE plan_date = ?", (day,))
        wh.insert(
            f"{FINANCE}.payout_reconciliation",
            [(l.day, l.key, l.creator, l.currency, l.method, l.planned_amount, l.planned_fee,
              l.planned_net, l.state, l.payout_id, l.payout_amount, l.stripe_fee, l.failure_code,
              l.expected_debit, l.debited, l.difference, l.matched, "; ".join(l.reasons))
             for l in lines],
            RECON_COLUMNS)


def write_itemized(wh: Warehouse, month: str, rows: Sequence[ItemizedRow]) -> None:
    wh.execute(f"CREATE TABLE IF NOT EXISTS {FINANCE}.payout_itemized (month VARCHAR NOT NULL,"
               " creator_account_id VARCHAR NOT NULL, currency VARCHAR NOT NULL,"
               " payouts INTEGER NOT NULL, paid BIGINT NOT NULL, in_flight BIGINT NOT NULL,"
               " returned BIGINT NOT NULL, fees BIGINT NOT NULL, unreconciled INTEGER NOT NULL)")
    with wh.transaction():
        wh.execute(f"DELETE FROM {FINANCE}.payout_itemized WHERE month = ?", (month,))
        wh.insert(f"{FINANCE}.payout_itemized",
                  [(r.month, r.creator, r.currency, r.payouts, r.paid, r.in_flight,
                    r.returned, r.fees, r.unreconciled) for r in rows])


def utc_day(epoch: int) -> date:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).date()


def summary_lines(wh: Warehouse, day: date) -> list[str]:
    """The day's plan and reconciliation in a few lines, for `make demo`'s summary: totals per
    currency, creators left out by reason, reconciled lines by state and how many are listed."""
    from pipelines.money import format_money

    out = [f"Payout plan {day}:"]
    if not wh.table_exists(FINANCE, "payout_plan_totals"):
        return out + ["  no plan yet (materialize finance/payout_plan for the day)"]
    totals = wh.rows(f"SELECT currency, lines, fee, net FROM {FINANCE}.payout_plan_totals"
                     " WHERE plan_date = ? ORDER BY currency", (day,))
    for currency, lines, fee, net in totals:
        out.append(f"  {currency}: {lines} payouts, {format_money(int(net), currency)} to banks,"
                   f" fees {format_money(int(fee), currency)}")
    if not totals:
        out.append("  nobody to pay")
    reasons = wh.rows(f"SELECT reason, count(*) FROM {FINANCE}.payout_plan_exclusions"
                      " WHERE plan_date = ? GROUP BY reason ORDER BY reason", (day,))
    if reasons:
        out.append("  left out: " + ", ".join(f"{r} {n}" for r, n in reasons))
    if wh.table_exists(FINANCE, "payout_reconciliation"):
        states = wh.rows(f"SELECT state, count(*), sum(CASE WHEN matched THEN 0 ELSE 1 END)"
                         f" FROM {FINANCE}.payout_reconciliation WHERE plan_date = ?"
                         " GROUP BY state ORDER BY state", (day,))
        if states:
            listed = sum(int(s[2]) for s in states)
            out.append("  reconciled: " + ", ".join(f"{s} {n}" for s, n, _ in states)
                       + f"; {listed} listed with a reason")
    return out
