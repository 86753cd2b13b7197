"""Reconciliation of executed lines against Stripe payouts and their balance transactions."""
from datetime import date

from pipelines.payouts import holds as H
from pipelines.payouts.journal import ERROR, SENT, JournalEntry
from pipelines.payouts.model import AccountFacts, CreatorBalance, PlanInputs
from pipelines.payouts.plan import build_plan
from pipelines.payouts.reconcile import (itemize, recent_payout_from_stripe, reconcile,
                                         reconcile_line)
from pipelines.payouts.schedule import PayoutSchedule

DAY = date(2026, 11, 27)
T = 1_795_000_000   # 2026-11-18


def entry(creator, net, fee=0, payout_id="po_1", method="standard", currency="USD", state=SENT, **kw):
    return JournalEntry(key=f"cashbook-payout-2026-11-27-{creator}-{currency.lower()}-v1",
                        creator=creator, currency=currency, day=DAY, plan_version=1,
                        method=method, amount=net + fee, fee=fee, net=net, state=state,
                        payout_id=payout_id, **kw)


def payout(pid, amount, status="paid", txn="txn_1", failure_txn=None, code=None, currency="usd",
           destination="ba_1"):
    return {"id": pid, "object": "payout", "amount": amount, "currency": currency, "status": status,
            "balance_transaction": txn, "failure_balance_transaction": failure_txn,
            "failure_code": code, "created": T, "destination": destination}


def txn(tid, amount, fee=0, source="po_1"):
    return {"id": tid, "object": "balance_transaction", "amount": amount, "fee": fee,
            "net": amount - fee, "currency": "usd", "source": source,
            "reporting_category": "payout" if amount < 0 else "payout_reversal"}


def test_paid_standard_payout_matches_to_the_cent():
    (r,) = reconcile([entry("acct_A", 4210)], [payout("po_1", 4210)], [txn("txn_1", -4210)])
    assert (r.state, r.debited, r.expected_debit, r.difference, r.reasons) == ("paid", 4210, 4210, 0, ())
    assert r.matched and r.final


def test_paid_instant_payout_with_its_fee_matches():
    # 12,345 to the bank, Stripe's fee 123 on top: the balance moved 12,468 = the plan's gross.
    r = reconcile_line(entry("acct_B", 12345, fee=123, method="instant"), payout("po_1", 12345),
                       [txn("txn_1", -12345, fee=123)])
    assert (r.debited, r.stripe_fee, r.difference, r.reasons) == (12468, 123, 0, ())


def test_fee_different_from_the_plan_is_listed_with_the_cent():
    r = reconcile_line(entry("acct_B", 12345, fee=123, method="instant"), payout("po_1", 12345),
                       [txn("txn_1", -12345, fee=124)])
    assert r.difference == 1
    assert r.reasons == ("Stripe fee 124 differs from planned fee 123",
                         "balance moved 12469, plan expects 12468")


def test_amount_mismatch_is_listed():
    r = reconcile_line(entry("acct_A", 4210), payout("po_1", 4200), [txn("txn_1", -4200)])
    assert r.difference == -10
    assert r.reasons == ("payout amount 4200 differs from planned net 4210",
                         "balance moved 4200, plan expects 4210")


def test_failed_payout_with_money_returned_nets_to_zero_and_carries_its_code():
    p = payout("po_1", 5000, status="failed", failure_txn="txn_2", code="account_closed")
    r = reconcile_line(entry("acct_R", 5000), p, [txn("txn_1", -5000), txn("txn_2", 5000)])
    assert (r.state, r.debited, r.expected_debit, r.difference) == ("failed", 0, 0, 0)
    assert r.failure_code == "account_closed"
    assert r.reasons == ("payout failed: account_closed",)


def test_failed_payout_whose_money_is_not_back_yet():
    p = payout("po_1", 5000, status="failed", code="no_account")
    r = reconcile_line(entry("acct_R", 5000), p, [txn("txn_1", -5000)])
    assert r.difference == 5000
    assert r.reasons == ("payout failed: no_account", "money not yet returned to the balance",
                         "balance moved 5000, plan expects 0")


def test_not_sent_and_missing_lines_are_listed():
    lost = entry("acct_A", 4210, payout_id=None, state=ERROR, error_code="balance_insufficient",
                 error_message="You have insufficient funds")
    gone = entry("acct_C", 3000, payout_id="po_9")
    a, c = reconcile([lost, gone], [], [])
    assert (a.state, a.reasons) == ("not_sent", ("no payout: balance_insufficient: You have insufficient funds",))
    assert (c.state, c.reasons) == ("missing", ("payout po_9 not found in Stripe data",))


def test_failed_payout_returns_to_the_next_plan_with_its_code():
    p = payout("po_1", 5000, status="failed", failure_txn="txn_2", code="account_closed",
               destination="ba_old")
    recent = recent_payout_from_stripe(p, "acct_R")
    assert (recent.created, recent.status, recent.failure_code, recent.currency) == (
        date(2026, 11, 18), "failed", "account_closed", "USD")
    daily = PayoutSchedule("daily")

    def next_plan(bank):
        facts = AccountFacts("acct_R", daily, True, destinations={"USD": bank})
        return build_plan(PlanInputs(DAY, (CreatorBalance("acct_R", "USD", 5000),),
                                     {"acct_R": facts}, recent_payouts=(recent,)))
    held = next_plan("ba_old")
    assert [(e.reason, e.detail) for e in held.exclusions] == [
        (H.FAILED_PAYOUT_BANK_UNCHANGED, "po_1 failed (account_closed)")]
    (line,) = next_plan("ba_new").lines
    assert (line.amount, line.retry_of, line.failure_code) == (5000, "po_1", "account_closed")


def test_itemized_report_per_creator_and_month():
    lines = reconcile(
        [entry("acct_A", 4210, payout_id="po_1"),
         entry("acct_A", 12345, fee=123, method="instant", payout_id="po_2"),
         entry("acct_A", 5000, payout_id="po_3")],
        [payout("po_1", 4210), payout("po_2", 12345, status="in_transit", txn="txn_2"),
         payout("po_3", 5000, status="failed", txn="txn_3", failure_txn="txn_4", code="could_not_process")],
        [txn("txn_1", -4210), txn("txn_2", -12345, fee=123, source="po_2"),
         txn("txn_3", -5000, source="po_3"), txn("txn_4", 5000, source="po_3")])
    (row,) = itemize(lines)
    assert (row.creator, row.month, row.currency, row.payouts, row.paid, row.in_flight,
            row.returned, row.fees, row.unreconciled) == ("acct_A", "2026-11", "USD", 3, 4210,
                                                          12345, 5000, 123, 0)
