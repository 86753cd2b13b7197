"""One journal: `cashbook payouts execute` and the Dagster `payout_execute` job both journal to
`finance.payout_journal` in the warehouse (DuckDB and PostgreSQL), under one execution lock, so
a line executed by one is never paid again by the other, even after Stripe's idempotency keys
have expired."""
from __future__ import annotations

import sqlite3
import threading
from collections import Counter

import psycopg2
import pytest

from assets import payouts as P
from pipelines.cli import main
from pipelines.payouts import cli as payouts_cli
from pipelines.payouts import warehouse as W
from pipelines.payouts.execute import execute_plan
from pipelines.payouts.journal import INTENT, SENT, JournalEntry
from pipelines.payouts.plan_io import write_plan
from pipelines.payouts.stripe_io import stripe_client
from pipelines.resources import StripeResource, WarehouseResource

from .test_sandbox import A, B, C, DAY, payouts_by_account, sandbox, the_plan  # noqa: F401

EXPECTED_PAYOUTS = [(A, 4_210), (B, 12_345), (C, 5_000)]


class Crash(Exception):
    pass


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request, tmp_path):
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'wh.duckdb'}"
        return
    name = "cb_payouts_one_journal"
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture()
def env(sandbox, tmp_path, monkeypatch, warehouse_url):  # noqa: F811
    """The CLI's environment and the job's resources on the same warehouse and sandbox; the
    day's plan both as the plan file (the CLI reads it) and as finance.payout_plan (the job)."""
    monkeypatch.setenv("STRIPE_API_KEY", sandbox.api_key)
    monkeypatch.setenv("STRIPE_API_BASE", sandbox.base_url)
    monkeypatch.setenv("CASHBOOK_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("WAREHOUSE_URL", warehouse_url)
    monkeypatch.setattr(payouts_cli, "LEGACY_JOURNAL", tmp_path / "payouts_journal.sqlite")
    plan = the_plan()
    write_plan(plan, tmp_path / "output" / "payouts" / DAY.isoformat())
    with W.Warehouse(warehouse_url) as wh:
        W.write_plan_tables(wh, plan)
    resources = {"warehouse": WarehouseResource(url=warehouse_url),
                 "stripe": StripeResource(api_key=sandbox.api_key, api_base=sandbox.base_url)}
    return plan, resources


def run_job(resources):
    config = {"ops": {"execute_payout_plan": {"config": {"date": DAY.isoformat(), "execute": True}}}}
    result = P.payout_execute.execute_in_process(run_config=config, resources=resources)
    return Counter(o["outcome"] for o in result.output_for_node("execute_payout_plan"))


def test_cli_then_job_pays_each_line_once(env, sandbox, capsys):  # noqa: F811
    plan, resources = env
    assert main(["payouts", "execute", "--date", DAY.isoformat()]) == 0
    assert "3 lines: 3 created" in capsys.readouterr().out
    assert run_job(resources) == Counter({"already_done": 3})
    assert payouts_by_account(sandbox.world_path) == EXPECTED_PAYOUTS


def test_job_then_cli_pays_each_line_once(env, sandbox, capsys, monkeypatch):  # noqa: F811
    plan, resources = env
    # the job re-checks fresh lines against the marts, which this small world has not built
    monkeypatch.setattr(P, "lines_safe_to_send", lambda wh, day, lines: [])
    assert run_job(resources) == Counter({"created": 3})
    assert main(["payouts", "execute", "--date", DAY.isoformat()]) == 0
    assert "3 lines: 3 already_done" in capsys.readouterr().out
    assert payouts_by_account(sandbox.world_path) == EXPECTED_PAYOUTS


def test_crash_in_one_path_is_recovered_by_the_other(env, sandbox, capsys):  # noqa: F811
    """The job's process dies between Stripe's answer and the record of B's line; the command
    finds the intent in the shared journal and B's payout on the account, and pays nothing twice."""
    plan, resources = env
    url = resources["warehouse"].url

    def crash_on_b(line, payout):
        if line.creator == B:
            raise Crash("killed after the API answered")

    client = stripe_client(sandbox.api_key, sandbox.base_url, max_network_retries=0)
    with W.Warehouse(url) as wh:
        with pytest.raises(Crash):
            execute_plan(plan.lines, client, W.WarehouseJournal(wh), after_call=crash_on_b)
        assert W.WarehouseJournal(wh).get(plan.lines[1].idempotency_key).state == INTENT
    assert main(["payouts", "execute", "--date", DAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "3 lines: 1 already_done, 1 created, 1 recovered" in out
    assert payouts_by_account(sandbox.world_path) == EXPECTED_PAYOUTS
    assert main(["payouts", "reconcile", "--date", DAY.isoformat()]) == 0
    assert "3 lines reconciled, 0 listed with reasons" in capsys.readouterr().out


def test_execution_lock_lets_one_executor_in_at_a_time(warehouse_url):
    with W.Warehouse(warehouse_url) as first, W.Warehouse(warehouse_url) as second:
        with W.execution_lock(first):
            with pytest.raises(RuntimeError, match="another payout execution holds"):
                with W.execution_lock(second, timeout=0.6):
                    pass
        with W.execution_lock(second, timeout=0.6):   # released: the next one gets in
            pass


def test_a_waiting_executor_gets_in_when_the_first_is_done(tmp_path):
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    order = []
    with W.Warehouse(url) as first, W.Warehouse(url) as second:
        holding = threading.Event()

        def other():
            holding.wait()
            with W.execution_lock(second, timeout=10):
                order.append("second")

        thread = threading.Thread(target=other)
        thread.start()
        with W.execution_lock(first):
            holding.set()
            thread.join(1.0)
            order.append("first")
        thread.join(10)
    assert order == ["first", "second"]


def test_the_old_sqlite_journal_is_imported_once_and_never_read_again(tmp_path):
    legacy = tmp_path / "payouts_journal.sqlite"
    conn = sqlite3.connect(legacy)
    conn.execute("CREATE TABLE payout_journal (key TEXT PRIMARY KEY, creator TEXT, currency TEXT,"
                 " day TEXT, plan_version INTEGER, method TEXT, amount INTEGER, fee INTEGER,"
                 " net INTEGER, state TEXT, intent_at INTEGER, attempts INTEGER, payout_id TEXT,"
                 " payout_status TEXT, answered_at INTEGER, error_code TEXT, error_message TEXT)")
    line = the_plan().lines[0]
    conn.execute("INSERT INTO payout_journal VALUES (?, ?, ?, ?, 1, 'standard', 4210, 0, 4210,"
                 " 'sent', 100, 1, 'po_OLD1', 'pending', 101, NULL, NULL)",
                 (line.idempotency_key, A, "USD", DAY.isoformat()))
    conn.commit()
    conn.close()
    with W.Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        journal = W.WarehouseJournal(wh)
        assert W.import_legacy_journal(legacy, journal) == 1
        entry = journal.get(line.idempotency_key)
        assert entry == JournalEntry(line.idempotency_key, A, "USD", DAY, 1, "standard", 4_210, 0,
                                     4_210, SENT, 100, 1, "po_OLD1", "pending", 101)
        assert not legacy.exists() and legacy.with_name(legacy.name + ".imported").exists()
        assert W.import_legacy_journal(legacy, journal) == 0
