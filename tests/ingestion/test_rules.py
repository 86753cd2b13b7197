"""Pure rules of the sync, with hand-made inputs."""
from __future__ import annotations

import random
from datetime import datetime, timezone

import orjson
import stripe

from pipelines.stripe.accounts import (
    AccountActivity, AccountVisit, accounts_to_sync, events_move_balance, is_payout_day,
    payout_day_between, plan_account_visits,
)
from pipelines.stripe.client import RetryPolicy
from pipelines.stripe.events import plan_event
from pipelines.stripe.records import embedded_reversals, merge_invoice_lines
from pipelines.stripe.rejects import problem_with
from pipelines.stripe.state import (
    DAY, StreamState, after_page, events_gap, mutable_needs_full, plan_pass,
)

NOW = 1_790_000_000


def test_retry_policy_honours_retry_after_and_should_retry():
    policy = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=20)
    rng = random.Random(0)
    assert policy.delay(0, 429, {"Retry-After": "7"}, rng) == 7.0
    assert policy.delay(0, 429, {"Retry-After": "7", "Stripe-Should-Retry": "false"}, rng) is None
    assert policy.delay(0, 404, {}, rng) is None
    assert policy.delay(0, 400, {"Stripe-Should-Retry": "true"}, rng) is not None
    assert 0 <= policy.delay(2, 500, {}, rng) <= 2.0          # 0.5 * 2^2, full jitter
    assert 0 <= policy.delay(1, None, None, rng) <= 1.0       # dropped connection
    assert policy.delay(3, 502, {}, rng) is None              # 4 attempts made


def test_first_pass_is_full_then_incremental_from_cursor_minus_overlap():
    first = plan_pass(None, "charge", "", now=NOW)
    assert first.full and first.floor is None and first.state.full_started == NOW
    mid = after_page(first.state, page_max_created=NOW - 50, last_id="ch_9", finished=False)
    assert (mid.pass_after, mid.pass_max, mid.cursor) == ("ch_9", NOW - 50, None)
    resumed = plan_pass(mid, "charge", "", now=NOW + 10)
    assert resumed.resume_after == "ch_9" and resumed.full and resumed.state.pass_started == NOW
    done = after_page(mid, page_max_created=NOW - 900, last_id="ch_1", finished=True)
    assert (done.cursor, done.synced_through, done.pass_full) == (NOW - 50, NOW, None)
    nxt = plan_pass(done, "charge", "", now=NOW + DAY, overlap=600)
    assert not nxt.full and nxt.floor == NOW - 650 and nxt.resume_after is None
    assert nxt.state.full_started == NOW                       # still the first full read


def test_event_gap_forces_full_reads_of_mutable_streams():
    ev = StreamState("event", "", cursor=NOW - 40 * DAY, synced_through=NOW - 31 * DAY)
    charge = StreamState("charge", "", cursor=NOW - 40 * DAY, full_started=NOW - 60 * DAY)
    assert events_gap(ev, NOW)
    assert mutable_needs_full(charge, ev, NOW)
    fresh = StreamState("event", "", cursor=NOW - 2 * DAY, synced_through=NOW - 29 * DAY)
    assert not events_gap(fresh, NOW) and not mutable_needs_full(charge, fresh, NOW)
    assert mutable_needs_full(None, fresh, NOW)


def test_accounts_rule_visits_only_accounts_where_something_can_have_changed():
    synced = NOW - DAY
    acts = [
        AccountActivity("acct_new", None, False, None, False, False),
        AccountActivity("acct_open", synced, True, None, False, False),
        AccountActivity("acct_transfer", synced, False, NOW - 100, False, False),
        AccountActivity("acct_settling", synced, False, None, False, True),
        AccountActivity("acct_daily_funds", synced, False, None, True, False, "daily"),
        AccountActivity("acct_daily_empty", synced, False, None, False, False, "daily"),
        AccountActivity("acct_daily_disabled", synced, False, None, True, False, "daily", None, None, False),
        AccountActivity("acct_manual", synced, False, None, True, False, "manual"),
        AccountActivity("acct_quiet", synced, False, synced - 5000, False, False),
        AccountActivity("acct_old", NOW - 26 * DAY, False, None, False, False),
    ]
    assert accounts_to_sync(acts, NOW, overlap=600) == [
        "acct_new", "acct_open", "acct_transfer", "acct_settling", "acct_daily_funds", "acct_old"]
    # no server time passed since the last sync: nothing can have changed anywhere synced
    assert accounts_to_sync(acts, synced, overlap=600) == ["acct_new", "acct_open"]


def test_each_visit_reads_the_streams_its_reason_is_about():
    synced = NOW - DAY
    acts = [
        AccountActivity("acct_new", None, False, None, False, False),
        AccountActivity("acct_transfer", synced, False, NOW - 100, False, False),
        AccountActivity("acct_settling", synced, False, None, False, True),
        AccountActivity("acct_both", synced, False, NOW - 100, False, True),
        # events read yesterday, balance transactions three days ago: the transfer landed two
        # days ago is news for the balance stream, though older than the events' sync
        AccountActivity("acct_lagging", synced - 2 * DAY, False, NOW - 2 * DAY, False, False,
                        "daily", None, None, True, synced - 2 * DAY, synced),
        # a daily schedule with funds: a payout date since the events were read ...
        AccountActivity("acct_daily", synced - 2 * DAY, False, None, True, False,
                        "daily", None, None, True, synced - 2 * DAY, synced),
        # ... a monthly one on the 3rd, not due since its events were read, and the transfer it
        # had is older than its balance transactions' sync: nothing to read
        AccountActivity("acct_monthly", synced - DAY, False, synced - 2 * DAY, True, False,
                        "monthly", None, 3, True, synced - DAY, synced),
        AccountActivity("acct_old", NOW - 26 * DAY, False, None, False, False),
    ]
    assert not payout_day_between(synced - 600, NOW, "monthly", None, 3)   # NOW is 21 Sep
    visits = plan_account_visits(acts, NOW, overlap=600)
    assert visits == [
        AccountVisit("acct_new", events=True, balance=True),
        AccountVisit("acct_transfer", events=False, balance=True),
        AccountVisit("acct_settling", events=True, balance=False),
        AccountVisit("acct_both", events=True, balance=True),
        AccountVisit("acct_lagging", events=False, balance=True),
        AccountVisit("acct_daily", events=True, balance=False),
        AccountVisit("acct_old", events=True, balance=True),
    ]
    # the balance transactions of an events-only visit are read when the events show money moving
    assert not events_move_balance(["payout.updated", "payout.paid"])
    assert not events_move_balance([])
    assert events_move_balance(["payout.paid", "payout.created"])
    assert events_move_balance(["payout.failed"]) and events_move_balance(["some.new_type"])


def test_payout_days_of_weekly_and_monthly_schedules_widened_to_every_time_zone():
    # 2026-11-03 is a Tuesday; day numbers are UTC days since the epoch
    tue = int(datetime(2026, 11, 3, tzinfo=timezone.utc).timestamp())
    day = tue // DAY
    assert is_payout_day(day, "weekly", "tuesday", None)
    assert not is_payout_day(day + 1, "weekly", "tuesday", None)
    assert is_payout_day(day, "daily", None, None) and not is_payout_day(day, "manual", None, None)
    assert is_payout_day(day, None, None, None)                    # unknown: every day
    assert is_payout_day(day, "monthly", None, 3) and not is_payout_day(day, "monthly", None, 4)
    nov30 = int(datetime(2026, 11, 30, tzinfo=timezone.utc).timestamp()) // DAY
    assert is_payout_day(nov30, "monthly", None, 31)               # past the month's end: last day
    assert not is_payout_day(nov30 - 1, "monthly", None, 31)
    # a daily run from Wednesday 06:00 to Thursday 06:00 UTC: Tuesday is still the date until
    # Wednesday 12:00 UTC at UTC-12 ...
    wed6 = tue + DAY + 6 * 3600
    assert payout_day_between(wed6, wed6 + DAY, "weekly", "tuesday", None)
    # ... but not from Thursday 06:00 on; Friday's date begins Thursday 10:00 UTC at UTC+14
    assert not payout_day_between(wed6 + DAY, wed6 + DAY + 3 * 3600, "weekly", "tuesday", None)
    assert not payout_day_between(wed6 + DAY, wed6 + DAY + 3 * 3600, "weekly", "friday", None)
    assert payout_day_between(wed6 + DAY, wed6 + DAY + 5 * 3600, "weekly", "friday", None)
    assert not payout_day_between(wed6, wed6, "daily", None, None)     # empty window
    synced = tue + 10 * 3600                                         # synced Tuesday 10:00
    weekly = [AccountActivity(f"acct_{d}", synced, False, None, True, False, "weekly", d)
              for d in ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday")]
    # to Wednesday 10:00: Monday's date lasts until Tuesday 12:00 UTC somewhere, Wednesday's
    # begins Tuesday 10:00 UTC somewhere; Thursday's only at Wednesday 10:00
    assert accounts_to_sync(weekly, synced + DAY, overlap=600) == [
        "acct_monday", "acct_tuesday", "acct_wednesday"]


def test_event_payload_used_when_version_matches_else_refetched():
    obj = {"id": "ch_1", "object": "charge", "created": 5}
    pinned = {"id": "evt_1", "type": "charge.refunded", "created": 9,
              "api_version": stripe.api_version, "data": {"object": obj}}
    a = plan_event(pinned, stripe.api_version)
    assert (a.kind, a.table, a.object_id, a.obj, a.created) == ("upsert", "charge", "ch_1", obj, 9)
    old = dict(pinned, api_version="2024-06-20")
    b = plan_event(old, stripe.api_version)
    assert (b.kind, b.retrieve_path) == ("retrieve", "/v1/charges/ch_1")
    rev = dict(old, data={"object": {"id": "trr_1", "object": "transfer_reversal", "transfer": "tr_9"}})
    assert plan_event(rev, stripe.api_version).retrieve_path == "/v1/transfers/tr_9/reversals/trr_1"
    gone = dict(old, type="customer.deleted",
                data={"object": {"id": "cus_1", "object": "customer", "created": 3}})
    c = plan_event(gone, stripe.api_version)
    assert (c.kind, c.is_deleted) == ("upsert", True)
    canceled = dict(old, type="customer.subscription.deleted",
                    data={"object": {"id": "sub_1", "object": "subscription", "created": 3}})
    assert plan_event(canceled, stripe.api_version).is_deleted is False
    assert plan_event(dict(old, data={"object": {"id": "x", "object": "plan"}}), "v").kind == "ignore"


def test_problem_with_names_the_field():
    good = {"id": "ch_1", "object": "charge", "created": 1, "livemode": False, "amount": 500, "currency": "usd"}
    assert problem_with(good, "charge") is None
    assert problem_with(dict(good, object="refund"), "charge") == (
        "object", "is 'refund', the stream lists 'charge'")
    assert problem_with({k: v for k, v in good.items() if k != "id"}, "charge") == ("id", "missing")
    assert problem_with(dict(good, created=True), "charge")[0] == "created"
    assert problem_with(dict(good, created="1"), "charge")[0] == "created"
    assert problem_with(["not", "an", "object"], "charge")[0] == "(object)"


def test_invoice_lines_merged_and_reversals_found():
    inv = {"id": "in_1", "lines": {"data": [{"id": "il_1"}, {"id": "il_2"}], "has_more": True}}
    merged = merge_invoice_lines(inv, [{"id": "il_2"}, {"id": "il_3"}])
    assert [l["id"] for l in merged["lines"]["data"]] == ["il_1", "il_2", "il_3"]
    assert merged["lines"]["has_more"] is False and inv["lines"]["has_more"] is True
    assert embedded_reversals({"reversals": {"data": [{"id": "trr_1"}], "has_more": True}}) == (
        [{"id": "trr_1"}], True)
    assert embedded_reversals({"amount_reversed": 10}) == ([], True)
    assert embedded_reversals({"amount_reversed": 0}) == ([], False)
    assert orjson.loads(orjson.dumps(merged))["lines"]["data"][2] == {"id": "il_3"}
