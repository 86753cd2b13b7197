"""The warehouse side of payouts without dbt: hand-written mart rows in DuckDB (and PostgreSQL),
read into plan inputs, planned, stored, checked; the journal's writes; the checks' verdicts.
Every figure is worked out by hand in the comments."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import psycopg2
import pytest

from assets import payouts as P
from pipelines.payouts import warehouse as W
from pipelines.payouts.journal import ERROR, INTENT, SENT, JournalEntry
from pipelines.payouts.model import CreatorBalance
from pipelines.payouts.plan import PlanLine, build_plan
from pipelines.payouts.idempotency import payout_key
from pipelines.payouts.reconcile import ReconciledLine

DAY = date(2026, 11, 2)   # a Monday
A, B, C, D = "acct_AAAA", "acct_BBBB", "acct_CCCC", "acct_DDDD"


def _entry(key_creator: str, currency: str, day: date, amount: int, **kw) -> JournalEntry:
    return JournalEntry(key=payout_key(key_creator, day, currency, 1), creator=key_creator,
                        currency=currency, day=day, plan_version=1, method="standard",
                        amount=amount, fee=0, net=amount, **kw)


def make_marts(wh: W.Warehouse) -> None:
    """Four creators:
    A daily, USD: the 1 Nov row says available 10,000 (the 2 Nov row is missing: the last row
      before the day holds); an open dispute reserves 1,500; a payout of 2,000 sent on 1 Nov is
      not in the balance yet (in flight). Payable = 10,000 - 2,000 - 1,500 = 6,500.
    B weekly on Mondays, EUR 3,000 available; its payout of 29 Oct failed (account_closed) to
      ba_B1, still its bank: held, with the code.
    C weekly on Tuesdays, GBP 50,000: not due.
    D daily, JPY 3,000: the $25 minimum at 1.0850 USD and 162.06 JPY per EUR is
      25 x 162.06 / 1.0850 = 3,734.1013... yen, rounded up to 3,735: below it.
    """
    for schema in ("marts", "intermediate"):
        wh.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    wh.execute("CREATE TABLE marts.fct_creator_balances (creator_account_id VARCHAR, currency VARCHAR,"
               " balance_date DATE, available BIGINT, pending BIGINT, reserved BIGINT,"
               " available_after_reserve BIGINT, reserve_reason VARCHAR)")
    wh.executemany("INSERT INTO marts.fct_creator_balances VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        (A, "USD", date(2026, 10, 31), 4_000, 0, 0, 4_000, None),
        (A, "USD", date(2026, 11, 1), 10_000, 700, 1_500, 8_500, "open disputes not yet recovered: dp_1"),
        (A, "USD", date(2026, 11, 3), 99_999, 0, 0, 99_999, None),   # after the day: ignored
        (B, "EUR", DAY, 3_000, 0, 0, 3_000, None),
        (C, "GBP", DAY, 50_000, 0, 0, 50_000, None),
        (D, "JPY", DAY, 3_000, 0, 0, 3_000, None),
    ])
    wh.execute("CREATE TABLE marts.dim_creator_payout_accounts (creator_account_id VARCHAR,"
               " is_payouts_enabled BOOLEAN, is_details_submitted BOOLEAN, disabled_reason VARCHAR,"
               " past_due_requirements VARCHAR, schedule_interval VARCHAR, schedule_weekly_anchor VARCHAR,"
               " schedule_monthly_anchor BIGINT, schedule_weekly_payout_days VARCHAR,"
               " schedule_monthly_payout_days VARCHAR)")
    wh.executemany("INSERT INTO marts.dim_creator_payout_accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (A, True, True, None, "[]", "daily", None, None, None, None),
        (B, True, True, None, "[]", "weekly", "monday", None, None, None),
        (C, True, True, None, "[]", "weekly", "friday", None, '["tuesday"]', None),
        (D, True, True, None, None, "daily", None, None, None, None),
    ])
    wh.execute("CREATE TABLE marts.dim_creator_payout_destinations (creator_account_id VARCHAR,"
               " external_account_id VARCHAR, currency VARCHAR, is_default_for_currency BOOLEAN,"
               " list_position BIGINT)")
    wh.executemany("INSERT INTO marts.dim_creator_payout_destinations VALUES (?, ?, ?, ?, ?)", [
        (A, "ba_A0", "USD", False, 1), (A, "ba_A1", "USD", True, 2), (B, "ba_B1", "EUR", True, 1)])
    wh.execute("CREATE TABLE marts.fct_creator_open_disputes (dispute_id VARCHAR, creator_account_id VARCHAR,"
               " currency VARCHAR, reserve_amount BIGINT, created_at TIMESTAMP)")
    wh.executemany("INSERT INTO marts.fct_creator_open_disputes VALUES (?, ?, ?, ?, ?)", [
        ("dp_1", A, "USD", 1_500, datetime(2026, 10, 30, 9)),
        ("dp_2", A, "USD", 0, datetime(2026, 10, 30, 9)),          # already recovered
        ("dp_3", A, "USD", 4_000, datetime(2026, 11, 2, 9)),       # opened after the day began
    ])
    wh.execute("CREATE TABLE marts.fct_creator_payouts (payout_id VARCHAR, creator_account_id VARCHAR,"
               " currency VARCHAR, created_date DATE, status VARCHAR, amount BIGINT, destination_id VARCHAR,"
               " failure_code VARCHAR, balance_transaction_id VARCHAR, failure_balance_transaction_id VARCHAR)")
    wh.executemany("INSERT INTO marts.fct_creator_payouts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        ("po_B_old", B, "EUR", date(2026, 10, 29), "failed", 2_500, "ba_B1", "account_closed", "txn_b1", "txn_b2"),
        ("po_A_done", A, "USD", date(2026, 10, 31), "paid", 4_000, "ba_A1", None, "txn_a1", None),
    ])
    wh.execute("CREATE TABLE marts.fct_creator_balance_items (balance_transaction_id VARCHAR,"
               " creator_account_id VARCHAR, currency VARCHAR, source_id VARCHAR, payout_id VARCHAR,"
               " counts_from_date DATE, net BIGINT, fee BIGINT)")
    wh.executemany("INSERT INTO marts.fct_creator_balance_items VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        ("txn_a1", A, "USD", "po_A_done", "po_A_done", date(2026, 11, 1), -4_000, 0),
        ("txn_b1", B, "EUR", "po_B_old", "po_B_old", date(2026, 10, 30), -2_500, 0),
        ("txn_b2", B, "EUR", "po_B_old", "po_B_old", date(2026, 10, 31), 2_500, 0),
    ])
    wh.execute("CREATE TABLE intermediate.int_fx__daily_rates (rate_date DATE, currency VARCHAR,"
               " units_per_eur DECIMAL(38, 12))")
    wh.executemany("INSERT INTO intermediate.int_fx__daily_rates VALUES (?, ?, ?)", [
        (DAY, "EUR", Decimal(1)), (DAY, "USD", Decimal("1.0850")), (DAY, "JPY", Decimal("162.06")),
        (DAY, "GBP", Decimal("0.8500")),
        (date(2026, 11, 3), "USD", Decimal("2")),                     # later: ignored
    ])
    journal = W.WarehouseJournal(wh)
    # A's payout of 1 Nov: sent, not yet in the balance -> in flight
    journal.record_intent(_entry(A, "USD", date(2026, 11, 1), 2_000))
    journal.record_answer(payout_key(A, date(2026, 11, 1), "USD", 1), "po_A_new", "pending", 1)
    # A's payout of 31 Oct: sent and in the balance -> not in flight
    journal.record_intent(_entry(A, "USD", date(2026, 10, 31), 4_000))
    journal.record_answer(payout_key(A, date(2026, 10, 31), "USD", 1), "po_A_done", "pending", 1)


@pytest.fixture()
def duck(tmp_path):
    with W.Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        yield wh


def _plan_from(wh):
    make_marts(wh)
    inputs, notes = W.read_plan_inputs(wh, DAY, lookback_days=30)
    return inputs, notes, build_plan(inputs)


def _assert_hand_worked(inputs, notes, plan):
    assert {(b.creator, b.currency): b.available for b in inputs.balances} == {
        (A, "USD"): 10_000, (B, "EUR"): 3_000, (C, "GBP"): 50_000, (D, "JPY"): 3_000}
    assert dict(inputs.in_flight) == {(A, "USD"): 2_000}
    assert [d.dispute_id for d in inputs.open_disputes] == ["dp_1"]
    assert inputs.accounts[A].destination("USD") == "ba_A1"
    assert inputs.accounts[C].schedule.weekly_days == ("tuesday",)
    assert notes.fraud_source == "finance.creator_risk does not exist yet: no fraud holds"
    assert notes.fx_date == DAY
    [line] = plan.lines
    assert (line.creator, line.currency, line.amount, line.net, line.fee) == (A, "USD", 6_500, 6_500, 0)
    assert (line.available, line.in_flight, line.reserved, line.destination) == (10_000, 2_000, 1_500, "ba_A1")
    reasons = {(e.creator, e.reason): e.detail for e in plan.exclusions}
    assert reasons == {(B, "failed_payout_bank_unchanged"): "po_B_old failed (account_closed)",
                       (C, "not_due"): f"weekly schedule not due on {DAY}",
                       (D, "below_minimum"): "3000 below minimum 3735"}


def test_plan_inputs_from_the_marts_duckdb(duck):
    _assert_hand_worked(*_plan_from(duck))


@pytest.mark.postgres
def test_plan_inputs_from_the_marts_postgres():
    name = "cb_payout_assets_inputs"
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        with W.Warehouse(f"postgresql://postgres@127.0.0.1:5432/{name}") as wh:
            inputs, notes, plan = _plan_from(wh)
            _assert_hand_worked(inputs, notes, plan)
            W.write_plan_tables(wh, plan)
            W.write_plan_tables(wh, plan)          # rewriting a day replaces it
            assert W.read_plan_lines(wh, DAY) == plan.lines
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_fraud_scores_hold_when_the_table_exists(duck):
    make_marts(duck)
    duck.execute("CREATE TABLE finance.creator_risk (creator_account VARCHAR, month DATE,"
                 " status VARCHAR, score_p95 DECIMAL(6, 4))")
    duck.executemany("INSERT INTO finance.creator_risk VALUES (?, ?, ?, ?)", [
        (A, date(2026, 10, 1), "ok", Decimal("0.10")),
        (A, date(2026, 11, 1), "review", Decimal("0.9100")),   # the day's month: this one counts
        (A, date(2026, 12, 1), "ok", Decimal("0.05"))])        # a later month: ignored
    inputs, notes = W.read_plan_inputs(duck, DAY, lookback_days=30)
    assert inputs.fraud_scores == {A: Decimal("0.9100")}
    plan = build_plan(inputs)
    assert plan.lines == ()
    assert [(e.creator, e.reason, e.detail) for e in plan.exclusions if e.creator == A] == \
        [(A, "fraud_review", "score 0.9100 over 0.80")]


def test_plan_tables_round_trip_and_replace_the_day(duck):
    inputs, notes, plan = _plan_from(duck)
    W.write_plan_tables(duck, plan)
    W.write_plan_tables(duck, plan)
    assert W.read_plan_lines(duck, DAY) == plan.lines
    assert duck.rows("SELECT count(*) FROM finance.payout_plan_exclusions WHERE plan_date = ?", (DAY,)) == [(3,)]
    assert duck.rows("SELECT currency, lines, amount FROM finance.payout_plan_totals") == [("USD", 1, 6_500)]


def test_journal_commits_each_write_before_returning(tmp_path):
    path = tmp_path / "journal.duckdb"
    with W.Warehouse(f"duckdb:///{path}") as wh:
        journal = W.WarehouseJournal(wh)
        entry = _entry(A, "USD", DAY, 6_500)
        assert journal.record_intent(entry).attempts == 1
        assert journal.record_intent(entry).attempts == 2
        # a second connection (another process after a crash) sees the intent at once
        with W.Warehouse(f"duckdb:///{path}") as other:
            seen = W.WarehouseJournal(other).get(entry.key)
        assert (seen.state, seen.amount, seen.attempts, seen.day) == (INTENT, 6_500, 2, DAY)
        journal.record_error(entry.key, ERROR, "balance_insufficient", "not enough", 5)
        assert journal.get(entry.key).error_code == "balance_insufficient"
        done = journal.record_answer(entry.key, "po_1", "pending", 7)
        assert (done.state, done.payout_id, done.error_code, done.answered_at) == (SENT, "po_1", None, 7)
        assert [e.key for e in journal.entries(DAY)] == [entry.key]
        assert journal.entries(date(2026, 1, 1)) == []


def _line(creator, currency, amount, available, in_flight=0, reserved=0) -> PlanLine:
    return PlanLine(creator=creator, currency=currency, amount=amount, method="standard", fee=0,
                    net=amount, day=DAY, plan_version=1,
                    idempotency_key=payout_key(creator, DAY, currency, 1), available=available,
                    in_flight=in_flight, reserved=reserved)


def test_plan_checks_fail_on_a_line_over_the_balance_and_on_a_duplicate():
    balances = [CreatorBalance(A, "USD", 10_000), CreatorBalance(B, "EUR", 3_000)]
    ok = P.plan_check_results([_line(A, "USD", 6_500, 10_000, 2_000, 1_500)], balances, {(A, "USD"): 2_000})
    assert [r.passed for r in ok] == [True, True]
    # 6,501 > 10,000 - 2,000 - 1,500
    over = P.plan_check_results([_line(A, "USD", 6_501, 10_000, 2_000, 1_500)], balances, {(A, "USD"): 2_000})
    assert [r.passed for r in over] == [False, True]
    assert over[0].metadata["lines_over_available"].value == 1
    twice = P.plan_check_results([_line(B, "EUR", 1_000, 3_000), _line(B, "EUR", 1_000, 3_000)], balances, {})
    assert [r.passed for r in twice] == [True, False]


def _recon(key_creator, difference, reasons=()) -> ReconciledLine:
    return ReconciledLine(key=payout_key(key_creator, DAY, "USD", 1), creator=key_creator, currency="USD",
                          day=DAY, method="standard", planned_amount=100, planned_fee=0, planned_net=100,
                          state="paid", payout_id="po_x", difference=difference, reasons=tuple(reasons))


def test_reconciliation_check_passes_only_when_every_difference_is_zero_or_listed():
    keys = {payout_key(A, DAY, "USD", 1), payout_key(B, DAY, "USD", 1)}
    assert P.reconciliation_check(DAY, [_recon(A, 0), _recon(B, 7, ["balance moved 107, plan expects 100"])],
                                  keys).passed
    assert not P.reconciliation_check(DAY, [_recon(A, 0), _recon(B, 7)], keys).passed
    assert not P.reconciliation_check(DAY, [_recon(A, 0)], keys).passed   # B's line never reconciled


def test_account_facts_from_a_row_name_the_account_on_bad_data():
    row = {"creator_account_id": A, "is_payouts_enabled": True, "is_details_submitted": True,
           "disabled_reason": None, "past_due_requirements": '["individual.id_number"]',
           "schedule_interval": "monthly", "schedule_weekly_anchor": None, "schedule_monthly_anchor": 31,
           "schedule_weekly_payout_days": "null", "schedule_monthly_payout_days": None}
    facts = W.account_facts_from_row(row, {"USD": "ba_1"})
    assert (facts.schedule.monthly_days, facts.past_due) == ((31,), ("individual.id_number",))
    with pytest.raises(ValueError, match="acct_AAAA: payouts_enabled is missing"):
        W.account_facts_from_row({**row, "is_payouts_enabled": None}, {})
    with pytest.raises(ValueError, match="acct_AAAA: payout schedule: monthly needs a monthly anchor"):
        W.account_facts_from_row({**row, "schedule_monthly_anchor": None}, {})


def test_summary_lines_for_the_demo(duck):
    inputs, notes, plan = _plan_from(duck)
    assert W.summary_lines(duck, DAY) == [f"Payout plan {DAY}:",
                                          "  no plan yet (materialize finance/payout_plan for the day)"]
    W.write_plan_tables(duck, plan)
    recon = _recon(A, 0)
    W.write_reconciliation(duck, DAY, [recon, _recon(B, 0, ["payout failed: account_closed"])])
    assert W.summary_lines(duck, DAY) == [
        f"Payout plan {DAY}:",
        "  USD: 1 payouts, 65.00 USD to banks, fees 0.00 USD",
        "  left out: below_minimum 1, failed_payout_bank_unchanged 1, not_due 1",
        "  reconciled: paid 2; 1 listed with a reason",
    ]


def test_plan_asset_with_an_instant_request_from_config(tmp_path, monkeypatch):
    """C is not due on Monday but asks for an instant payout of all it can: the largest net with
    net + fee <= 50,000 pence at 1% half-up is 49,505 (fee 495.05 -> 495, total 50,000; 49,506
    would cost 50,001). The $100 instant minimum is 100 x 0.85 / 1.085 = 78.341 GBP -> 7,835 pence."""
    import dagster as dg

    from pipelines.resources import WarehouseResource

    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    with W.Warehouse(url) as wh:
        make_marts(wh)
    monkeypatch.setenv("CASHBOOK_OUTPUT_DIR", str(tmp_path / "out"))
    result = dg.materialize(
        [P.payout_plan], partition_key=DAY.isoformat(), resources={"warehouse": WarehouseResource(url=url)},
        run_config={"ops": {"finance__payout_plan": {"config": {
            "instant_requests": [{"creator": C, "currency": "GBP"}]}}}})
    assert {c.check_name: c.passed for c in result.get_asset_check_evaluations()} == {
        P.PLANNED_WITHIN_AVAILABLE: True, P.ONE_LINE_PER_CREATOR: True}
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["to_banks_by_currency"].value == {"GBP": "495.05 GBP", "USD": "65.00 USD"}
    assert metadata["fees_by_currency"].value == {"GBP": "4.95 GBP", "USD": "0.00 USD"}
    with W.Warehouse(url) as wh:
        lines = {(l.creator, l.currency): l for l in W.read_plan_lines(wh, DAY)}
    c = lines[(C, "GBP")]
    assert (c.method, c.net, c.fee, c.amount) == ("instant", 49_505, 495, 50_000)
    preview = (tmp_path / "out" / "payouts" / DAY.isoformat() / "preview.md").read_text()
    assert "| GBP | 1 | 500.00 GBP | 4.95 GBP | 495.05 GBP |" in preview
