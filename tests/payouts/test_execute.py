"""Execution against a fake Stripe client: once per line, whatever happens between the call and
the record."""
from datetime import date

import pytest
import stripe

from pipelines.payouts import execute as X
from pipelines.payouts.journal import CONFLICT, ERROR, INTENT, SENT, InMemoryJournal
from pipelines.payouts.warehouse import Warehouse, WarehouseJournal
from pipelines.payouts.plan import PlanLine

from .fakes import FakeStripeClient

DAY = date(2026, 11, 27)


def line(creator, net, currency="USD", method="standard", fee=0, version=1):
    key = f"cashbook-payout-{DAY.isoformat()}-{creator}-{currency.lower()}-v{version}"
    return PlanLine(creator, currency, net + fee, method, fee, net, DAY, version, key,
                    available=net + fee, destination=f"ba_{creator[5:]}")


LINES = [line("acct_A", 4210), line("acct_B", 12345, method="instant", fee=123), line("acct_C", 3735, "JPY")]


class Clock:
    def __init__(self, t=1_795_795_200 + 3_600):   # 2026-11-27 01:00 UTC
        self.t = t

    def __call__(self):
        return self.t


class Crash(Exception):
    pass


@pytest.fixture(params=["memory", "warehouse"])
def journal(request, tmp_path):
    if request.param == "memory":
        yield InMemoryJournal()
        return
    with Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        yield WarehouseJournal(wh)


def test_execute_sends_each_line_with_its_key_and_records_the_answer(journal):
    clock = Clock()
    client = FakeStripeClient(clock)
    outcomes = X.execute_plan(LINES, client, journal, clock=clock)
    assert [o.outcome for o in outcomes] == ["created"] * 3
    made = client.payouts.created
    assert [(p["account"], p["amount"], p["currency"], p["method"]) for p in made] == [
        ("acct_A", 4210, "usd", "standard"), ("acct_B", 12345, "usd", "instant"),
        ("acct_C", 3735, "jpy", "standard")]
    assert made[1]["metadata"] == {
        "cashbook_idempotency_key": "cashbook-payout-2026-11-27-acct_B-usd-v1",
        "cashbook_plan_date": "2026-11-27", "cashbook_plan_version": "1",
        "cashbook_gross_amount": "12468", "cashbook_fee": "123"}
    entries = journal.entries(DAY)
    assert [(e.creator, e.state, e.payout_id, e.net, e.attempts) for e in entries] == [
        ("acct_A", SENT, "po_fake1", 4210, 1), ("acct_B", SENT, "po_fake2", 12345, 1),
        ("acct_C", SENT, "po_fake3", 3735, 1)]


def test_re_execute_sends_nothing(journal):
    clock = Clock()
    client = FakeStripeClient(clock)
    X.execute_plan(LINES, client, journal, clock=clock)
    outcomes = X.execute_plan(LINES, client, journal, clock=clock)
    assert [(o.outcome, o.payout_id) for o in outcomes] == [
        ("already_done", "po_fake1"), ("already_done", "po_fake2"), ("already_done", "po_fake3")]
    assert client.payouts.calls == 3 and len(client.payouts.created) == 3


def _crash_on(creator):
    def after_call(line, payout):
        if line.creator == creator:
            raise Crash("killed between the API call and the record")
    return after_call


def test_crash_after_call_then_rerun_finds_the_payout_by_its_key(journal):
    clock = Clock()
    client = FakeStripeClient(clock)
    with pytest.raises(Crash):
        X.execute_plan(LINES, client, journal, clock=clock, after_call=_crash_on("acct_B"))
    assert journal.get(LINES[1].idempotency_key).state == INTENT   # intent on disk, no answer
    assert journal.get(LINES[2].idempotency_key) is None           # never reached
    clock.t += 90_000          # more than 24 h later: Stripe has forgotten the key
    client.payouts.forget_keys()
    outcomes = X.execute_plan(LINES, client, journal, clock=clock)
    assert [o.outcome for o in outcomes] == ["already_done", "recovered", "created"]
    assert [p["account"] for p in client.payouts.created] == ["acct_A", "acct_B", "acct_C"]
    assert journal.get(LINES[1].idempotency_key).payout_id == "po_fake2"


def test_crash_then_rerun_without_lookup_is_replayed_by_the_idempotency_key(journal):
    clock = Clock()
    client = FakeStripeClient(clock)
    with pytest.raises(Crash):
        X.execute_plan(LINES, client, journal, clock=clock, after_call=_crash_on("acct_A"))
    client.payouts.list_broken = True
    outcomes = X.execute_plan(LINES, client, journal, clock=clock)
    assert [(o.outcome, o.payout_id) for o in outcomes] == [
        ("created", "po_fake1"), ("created", "po_fake2"), ("created", "po_fake3")]
    assert len(client.payouts.created) == 3       # acct_A's second request was a replay
    assert journal.get(LINES[0].idempotency_key).attempts == 2


def test_refusal_is_recorded_and_replayed_until_a_new_plan_version(journal):
    clock = Clock()
    client = FakeStripeClient(clock)
    client.payouts.fail_next = stripe.InvalidRequestError(
        "You have insufficient funds in your Stripe account.", "amount", code="balance_insufficient")
    outcomes = X.execute_plan(LINES[:1], client, journal, clock=clock)
    assert (outcomes[0].outcome, outcomes[0].message) == (
        "refused", "You have insufficient funds in your Stripe account.")
    entry = journal.get(LINES[0].idempotency_key)
    assert (entry.state, entry.error_code) == (ERROR, "balance_insufficient")
    outcomes = X.execute_plan(LINES[:1], client, journal, clock=clock)   # Stripe replays the refusal
    assert outcomes[0].outcome == "refused" and client.payouts.created == []
    outcomes = X.execute_plan([line("acct_A", 4210, version=2)], client, journal, clock=clock)
    assert (outcomes[0].outcome, outcomes[0].payout_id) == ("created", "po_fake1")
    assert len(client.payouts.created) == 1


def test_network_failure_is_retried_with_the_same_key(journal):
    clock = Clock()
    client = FakeStripeClient(clock)
    client.payouts.fail_next = stripe.APIConnectionError("connection reset")
    outcomes = X.execute_plan(LINES[:1], client, journal, clock=clock)
    assert outcomes[0].outcome == "refused"
    assert journal.get(LINES[0].idempotency_key).state == ERROR
    outcomes = X.execute_plan(LINES[:1], client, journal, clock=clock)
    assert (outcomes[0].outcome, outcomes[0].payout_id) == ("created", "po_fake1")
    assert journal.get(LINES[0].idempotency_key).attempts == 2
    assert len(client.payouts.created) == 1


def test_changed_plan_with_the_same_key_is_refused_not_paid(journal):
    clock = Clock()
    client = FakeStripeClient(clock)
    X.execute_plan(LINES[:1], client, journal, clock=clock)
    bigger = line("acct_A", 5000)
    outcomes = X.execute_plan([bigger], client, journal, clock=clock)
    assert outcomes[0].outcome == "conflict"
    assert "new plan version" in outcomes[0].message
    assert len(client.payouts.created) == 1
    # A fresh journal (say, lost) still cannot pay twice: Stripe refuses the reused key.
    fresh = InMemoryJournal()
    outcomes = X.execute_plan([bigger], client, fresh, clock=clock)
    assert outcomes[0].outcome == "conflict"
    assert fresh.get(bigger.idempotency_key).state == CONFLICT
    assert len(client.payouts.created) == 1
    # A deliberate second plan version pays.
    outcomes = X.execute_plan([line("acct_A", 790, version=2)], client, journal, clock=clock)
    assert outcomes[0].outcome == "created" and len(client.payouts.created) == 2


def test_dry_run_sends_and_records_nothing(journal):
    clock = Clock()
    client = FakeStripeClient(clock)
    said = []
    outcomes = X.execute_plan(LINES, client, journal, dry_run=True, clock=clock, echo=said.append)
    assert [o.outcome for o in outcomes] == ["dry_run"] * 3
    assert client.payouts.calls == 0 and journal.entries() == []
    assert "acct_B: instant payout of 123.45 USD, fee 1.23 USD to ba_B" in said[1]
    assert "acct_C: standard payout of 3,735 JPY" in said[2]


def test_bad_plan_stops_before_anything_is_sent(journal):
    client = FakeStripeClient(Clock())
    twice = [line("acct_A", 100), line("acct_A", 200)]
    with pytest.raises(X.PlanRefused, match="planned twice"):
        X.execute_plan(twice, client, journal)
    assert client.payouts.calls == 0


def test_intent_is_on_disk_before_the_api_call(tmp_path):
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    wh = Warehouse(url)
    journal = WarehouseJournal(wh)
    client = FakeStripeClient(Clock())
    seen = []
    real_create = client.payouts.create

    def create(params, options=None):
        with Warehouse(url) as other:       # another connection's view of the journal
            seen.append(other.rows("SELECT state, net FROM finance.payout_journal WHERE key = ?",
                                   (options["idempotency_key"],))[0])
        return real_create(params, options)

    client.payouts.create = create
    X.execute_plan(LINES[:2], client, journal, clock=Clock())
    assert seen == [(INTENT, 4210), (INTENT, 12345)]
    wh.close()
