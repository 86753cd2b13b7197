"""Each hold with its reason, instant payouts, and the plan's invariants, worked by hand."""
from datetime import date
from decimal import Decimal

import pytest

from pipelines.payouts import holds as H
from pipelines.payouts.config import PayoutRules
from pipelines.payouts.fx import FxRates
from pipelines.payouts.model import (AccountFacts, CreatorBalance, InstantRequest, OpenDispute,
                                     PlanInputs, RecentPayout)
from pipelines.payouts.plan import PlanLine, build_plan, plan_problems
from pipelines.payouts.schedule import PayoutSchedule

FRIDAY = date(2026, 11, 27)
DAILY = PayoutSchedule("daily")
FX = FxRates(FRIDAY, "EUR", {"USD": Decimal("1.0850"), "JPY": Decimal("162.06")})


def acct(creator, schedule=DAILY, **kw):
    kw.setdefault("payouts_enabled", True)
    kw.setdefault("destinations", {"USD": f"ba_{creator[5:]}usd"})
    return AccountFacts(creator=creator, schedule=schedule, **kw)


def plan_for(balances, accounts, rules=PayoutRules(), **kw):
    inputs = PlanInputs(day=kw.pop("day", FRIDAY), balances=tuple(balances),
                        accounts={a.creator: a for a in accounts}, fx=kw.pop("fx", FX), **kw)
    return build_plan(inputs, rules)


def only_exclusion(plan):
    assert plan.lines == ()
    assert len(plan.exclusions) == 1
    return plan.exclusions[0]


def test_daily_creator_is_paid_the_whole_available_balance():
    plan = plan_for([CreatorBalance("acct_A", "USD", available=4210, pending=999)], [acct("acct_A")])
    (line,) = plan.lines
    assert (line.creator, line.currency, line.amount, line.method, line.fee, line.net) == \
        ("acct_A", "USD", 4210, "standard", 0, 4210)
    assert line.destination == "ba_Ausd"
    assert line.idempotency_key == "cashbook-payout-2026-11-27-acct_A-usd-v1"
    assert plan.exclusions == ()
    (total,) = plan.totals
    assert (total.currency, total.lines, total.amount, total.fee, total.net) == ("USD", 1, 4210, 0, 4210)


def test_below_standard_minimum_in_usd_and_jpy():
    # $24.99 < $25; ¥3,734 < ¥3,735 (the $25 minimum at 162.06/1.085 JPY per USD, rounded up).
    plan = plan_for([CreatorBalance("acct_A", "USD", 2499), CreatorBalance("acct_A", "JPY", 3734),
                     CreatorBalance("acct_B", "JPY", 3735)],
                    [acct("acct_A"), acct("acct_B")])
    assert [(e.creator, e.currency, e.reason) for e in plan.exclusions] == [
        ("acct_A", "JPY", H.BELOW_MINIMUM), ("acct_A", "USD", H.BELOW_MINIMUM)]
    assert plan.exclusions[0].detail == "3734 below minimum 3735"
    assert [(l.creator, l.currency, l.amount) for l in plan.lines] == [("acct_B", "JPY", 3735)]


def test_not_due_weekly_creator_is_excluded_with_reason():
    saturday = date(2026, 11, 28)
    weekly = PayoutSchedule("weekly", weekly_days=("friday",))
    plan = plan_for([CreatorBalance("acct_W", "USD", 10000)], [acct("acct_W", weekly)], day=saturday)
    e = only_exclusion(plan)
    assert (e.reason, e.detail) == (H.NOT_DUE, "weekly schedule not due on 2026-11-28")
    plan = plan_for([CreatorBalance("acct_W", "USD", 10000)], [acct("acct_W", weekly)])
    assert plan.lines[0].amount == 10000


def test_monthly_31_creator_paid_on_february_28():
    monthly = PayoutSchedule("monthly", monthly_days=(31,))
    fx = FxRates(date(2026, 2, 28), "EUR", {"USD": Decimal("1.0850")})
    plan = plan_for([CreatorBalance("acct_M", "USD", 5000)], [acct("acct_M", monthly)],
                    day=date(2026, 2, 28), fx=fx)
    assert plan.lines[0].idempotency_key == "cashbook-payout-2026-02-28-acct_M-usd-v1"
    plan = plan_for([CreatorBalance("acct_M", "USD", 5000)], [acct("acct_M", monthly)],
                    day=date(2026, 2, 27), fx=fx)
    assert only_exclusion(plan).reason == H.NOT_DUE


def test_account_not_verified_and_payouts_disabled():
    plan = plan_for([CreatorBalance("acct_V", "USD", 9000), CreatorBalance("acct_P", "USD", 9000)],
                    [acct("acct_V", payouts_enabled=False, disabled_reason="requirements.past_due",
                          past_due=("external_account",)),
                     acct("acct_P", payouts_enabled=False)])
    reasons = {(e.creator, e.reason, e.detail) for e in plan.exclusions}
    assert reasons == {("acct_V", H.ACCOUNT_NOT_VERIFIED, "requirements.past_due"),
                       ("acct_P", H.PAYOUTS_DISABLED, "payouts_enabled is false")}
    assert plan.lines == ()


def test_negative_balance_hold():
    e = only_exclusion(plan_for([CreatorBalance("acct_N", "USD", -1500)], [acct("acct_N")]))
    assert (e.reason, e.detail) == (H.NEGATIVE_BALANCE, "available -1500")


def test_zero_balance_is_insufficient():
    e = only_exclusion(plan_for([CreatorBalance("acct_Z", "USD", 0, pending=5000)], [acct("acct_Z")]))
    assert e.reason == H.INSUFFICIENT_BALANCE


def test_dispute_reserve_is_kept_back_and_can_hold_everything():
    disputes = (OpenDispute("acct_D", "USD", 1500, "dp_1"), OpenDispute("acct_D", "USD", 500, "dp_2"),
                OpenDispute("acct_D", "EUR", 9999, "dp_3"))
    # 10,000 available, 2,000 disputed in USD: pay 8,000 and show the reserve.
    plan = plan_for([CreatorBalance("acct_D", "USD", 10000)], [acct("acct_D")], open_disputes=disputes)
    (line,) = plan.lines
    assert (line.amount, line.reserved, line.available) == (8000, 2000, 10000)
    # 1,800 available < 2,000 reserved: held for the disputes.
    e = only_exclusion(plan_for([CreatorBalance("acct_D", "USD", 1800)], [acct("acct_D")],
                                open_disputes=disputes))
    assert (e.reason, e.detail) == (H.RESERVED_FOR_DISPUTES, "reserve 2000 of available 1800")
    # 4,400 available - 2,000 reserve = 2,400 < $25 minimum.
    e = only_exclusion(plan_for([CreatorBalance("acct_D", "USD", 4400)], [acct("acct_D")],
                                open_disputes=disputes))
    assert (e.reason, e.detail) == (H.BELOW_MINIMUM, "2400 below minimum 2500")


def test_half_dispute_reserve_rounds_up():
    assert H.dispute_reserve([OpenDispute("acct_D", "USD", 1001)], "acct_D", "USD", Decimal("0.5")) == 501


def test_fraud_score_over_threshold_holds_and_missing_score_does_not():
    balances = [CreatorBalance("acct_F", "USD", 9000), CreatorBalance("acct_G", "USD", 9000),
                CreatorBalance("acct_H", "USD", 9000)]
    accounts = [acct("acct_F"), acct("acct_G"), acct("acct_H")]
    plan = plan_for(balances, accounts,
                    fraud_scores={"acct_F": Decimal("0.81"), "acct_G": Decimal("0.80")})
    assert [(e.creator, e.reason, e.detail) for e in plan.exclusions] == [
        ("acct_F", H.FRAUD_REVIEW, "score 0.81 over 0.80")]
    assert [l.creator for l in plan.lines] == ["acct_G", "acct_H"]   # exactly at threshold pays


def test_recent_failed_payout_to_unchanged_bank_holds():
    failed = RecentPayout("acct_R", "USD", "po_1", date(2026, 11, 20), "failed", 5000,
                          destination="ba_Rusd", failure_code="account_closed")
    e = only_exclusion(plan_for([CreatorBalance("acct_R", "USD", 5000)], [acct("acct_R")],
                                recent_payouts=(failed,)))
    assert (e.reason, e.detail) == (H.FAILED_PAYOUT_BANK_UNCHANGED, "po_1 failed (account_closed)")


def test_failed_payout_returns_to_next_plan_once_bank_changed():
    failed = RecentPayout("acct_R", "USD", "po_1", date(2026, 11, 20), "failed", 5000,
                          destination="ba_old", failure_code="account_closed")
    plan = plan_for([CreatorBalance("acct_R", "USD", 5000)], [acct("acct_R")], recent_payouts=(failed,))
    (line,) = plan.lines
    assert (line.amount, line.retry_of, line.failure_code, line.destination) == \
        (5000, "po_1", "account_closed", "ba_Rusd")


def test_failed_payout_older_than_lookback_or_followed_by_success_does_not_hold():
    old = RecentPayout("acct_R", "USD", "po_1", date(2026, 10, 27), "failed", 5000, "ba_Rusd", "no_account")
    plan = plan_for([CreatorBalance("acct_R", "USD", 5000)], [acct("acct_R")], recent_payouts=(old,))
    assert plan.lines[0].retry_of is None             # 31 days before: outside the 30-day window
    fail = RecentPayout("acct_R", "USD", "po_2", date(2026, 11, 20), "failed", 5000, "ba_Rusd", "no_account")
    paid = RecentPayout("acct_R", "USD", "po_3", date(2026, 11, 25), "paid", 5000, "ba_Rusd")
    plan = plan_for([CreatorBalance("acct_R", "USD", 5000)], [acct("acct_R")], recent_payouts=(fail, paid))
    assert plan.lines[0].amount == 5000


def test_instant_request_fee_deducted_even_when_not_due():
    # The request is the payout: 12,345 to the bank, fee 1% = 123.45 -> 123 on top: 12,468 drawn.
    weekly = PayoutSchedule("weekly", weekly_days=("monday",))
    plan = plan_for([CreatorBalance("acct_I", "USD", 20000)], [acct("acct_I", weekly)],
                    instant_requests=(InstantRequest("acct_I", "USD", 12345),))
    (line,) = plan.lines
    assert (line.method, line.amount, line.fee, line.net) == ("instant", 12468, 123, 12345)
    assert plan.totals[0].fee == 123 and plan.totals[0].net == 12345


def test_instant_request_for_everything_pays_the_largest_payout_that_fits():
    weekly = PayoutSchedule("weekly", weekly_days=("monday",))
    plan = plan_for([CreatorBalance("acct_I", "USD", 20000)], [acct("acct_I", weekly)],
                    instant_requests=(InstantRequest("acct_I", "USD"),))
    (line,) = plan.lines
    assert (line.amount, line.fee, line.net) == (20000, 198, 19802)


def test_instant_below_100_dollars_falls_back_to_standard_when_due():
    # 9,999 payable: the largest instant payout is 9,900 + fee 99, below the $100 minimum.
    plan = plan_for([CreatorBalance("acct_I", "USD", 9999)], [acct("acct_I")],
                    instant_requests=(InstantRequest("acct_I", "USD"),))
    assert [(e.reason, e.detail, e.method) for e in plan.exclusions] == [
        (H.BELOW_INSTANT_MINIMUM, "9900 below minimum 10000", "instant")]
    assert [(l.method, l.amount, l.fee) for l in plan.lines] == [("standard", 9999, 0)]


def test_instant_request_whose_fee_does_not_fit_is_refused():
    weekly = PayoutSchedule("weekly", weekly_days=("monday",))
    e = only_exclusion(plan_for([CreatorBalance("acct_I", "USD", 20000)], [acct("acct_I", weekly)],
                                instant_requests=(InstantRequest("acct_I", "USD", 19803),)))
    assert (e.reason, e.detail) == (H.INSTANT_EXCEEDS_BALANCE, "requested 19803 + fee 198, payable 20000")


def test_instant_minimum_in_eur():
    # $100 at 1.085 USD per EUR = 92.17 EUR (rounded up). 93.08 EUR payable allows a 92.16 EUR
    # payout (+ 0.92 fee): refused; 93.09 EUR allows 92.17 EUR (+ 0.92): paid.
    weekly = PayoutSchedule("weekly", weekly_days=("monday",))
    accounts = [acct("acct_E", weekly), acct("acct_F", weekly)]
    plan = plan_for([CreatorBalance("acct_E", "EUR", 9308), CreatorBalance("acct_F", "EUR", 9309)],
                    accounts, instant_requests=(InstantRequest("acct_E", "EUR"), InstantRequest("acct_F", "EUR")))
    assert [(e.creator, e.reason, e.detail) for e in plan.exclusions] == [
        ("acct_E", H.BELOW_INSTANT_MINIMUM, "9216 below minimum 9217")]
    (line,) = plan.lines
    assert (line.creator, line.amount, line.fee, line.net) == ("acct_F", 9309, 92, 9217)  # 92.17 -> 92


def test_in_flight_payouts_reduce_what_is_payable():
    plan = plan_for([CreatorBalance("acct_A", "USD", 10000)], [acct("acct_A")],
                    in_flight={("acct_A", "USD"): 7000})
    assert plan.lines[0].amount == 3000


def test_every_creator_left_out_has_a_reason():
    plan = plan_for([CreatorBalance("acct_X", "USD", 5000)], [acct("acct_A"), acct("acct_B")])
    assert {(e.creator, e.currency, e.reason) for e in plan.exclusions} == {
        ("acct_A", None, H.NO_BALANCE), ("acct_B", None, H.NO_BALANCE), ("acct_X", "USD", H.NO_ACCOUNT)}


def test_totals_per_currency_and_one_line_per_creator_and_currency():
    balances = [CreatorBalance("acct_A", "USD", 3000), CreatorBalance("acct_A", "EUR", 4000),
                CreatorBalance("acct_B", "USD", 5000)]
    plan = plan_for(balances, [acct("acct_A"), acct("acct_B")],
                    instant_requests=(InstantRequest("acct_B", "USD"),))
    assert [(t.currency, t.lines, t.amount, t.fee, t.net) for t in plan.totals] == [
        ("EUR", 1, 4000, 0, 4000), ("USD", 2, 8000, 0, 8000)]   # B's $50 instant < $100: standard
    keys = [(l.creator, l.currency) for l in plan.lines]
    assert len(keys) == len(set(keys)) == 3
    with pytest.raises(ValueError, match="appears twice"):
        plan_for(balances + [CreatorBalance("acct_A", "USD", 1)], [acct("acct_A")])


def test_plan_problems_catch_double_lines_and_overdrafts():
    def line(amount, fee=0, method="standard"):
        return PlanLine("acct_A", "USD", amount, method, fee, amount - fee, FRIDAY, 1,
                        "cashbook-payout-2026-11-27-acct_A-usd-v1", available=5000)
    assert plan_problems([line(5000)]) == []
    assert plan_problems([line(5001)]) == ["acct_A USD 2026-11-27: amount 5001 exceeds available 5000"]
    assert plan_problems([line(5000)], [CreatorBalance("acct_A", "USD", 4000)]) == [
        "acct_A USD 2026-11-27: amount 5000 exceeds available 4000"]
    assert plan_problems([line(100), line(200)]) == ["acct_A USD 2026-11-27: planned twice"]
    assert plan_problems([line(100, fee=1)]) == ["acct_A USD 2026-11-27: standard payout with a fee"]


def test_account_facts_from_stripes_example_account():
    import json
    from pathlib import Path

    fixture = json.loads(Path("/work/shared/stripe/fixtures3.json").read_text())["resources"]["account"]
    facts = AccountFacts.from_stripe(fixture)
    assert facts.schedule == DAILY
    assert (facts.payouts_enabled, facts.details_submitted, facts.disabled_reason) == (
        False, False, "requirements.past_due")
    hold = H.account_hold(facts)
    assert (hold.reason, hold.detail) == (H.ACCOUNT_NOT_VERIFIED, "requirements.past_due")
    broken = {k: v for k, v in fixture.items() if k != "payouts_enabled"}
    with pytest.raises(ValueError, match="acct_1PgafTB7WZ01zgkW: payouts_enabled is missing"):
        AccountFacts.from_stripe(broken)


def test_line_carries_the_basis_it_was_planned_from():
    plan = plan_for([CreatorBalance("acct_A", "USD", 10000)], [acct("acct_A")],
                    in_flight={("acct_A", "USD"): 3000},
                    open_disputes=(OpenDispute("acct_A", "USD", 2000),))
    (line,) = plan.lines
    assert (line.available, line.in_flight, line.reserved, line.amount) == (10000, 3000, 2000, 5000)
    assert plan_problems([line]) == []


def test_instant_for_everything_when_nothing_fits_is_below_the_minimum():
    # 22 payable: not even the 0.50 fee floor fits, so the largest instant payout is 0.
    weekly = PayoutSchedule("weekly", weekly_days=("monday",))
    e = only_exclusion(plan_for([CreatorBalance("acct_K", "USD", 22)], [acct("acct_K", weekly)],
                                instant_requests=(InstantRequest("acct_K", "USD"),)))
    assert (e.reason, e.detail) == (H.BELOW_INSTANT_MINIMUM, "0 below minimum 10000")
