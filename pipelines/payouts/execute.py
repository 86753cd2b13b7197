"""Executing a payout plan through the Stripe API without ever paying anyone twice.

For each line, in this order:
1. an entry that already has its payout is done: nothing is sent;
2. the intent (with the idempotency key) is committed to the journal BEFORE the call;
3. an intent left by an earlier run that never recorded its answer (a crash between the call and
   the record) is first looked up on the connected account by the key kept in the payout's
   metadata, which still works after Stripe's 24-hour idempotency window; if it is not there,
4. `POST /v1/payouts` goes out on the creator's account with the same idempotency key, so Stripe
   answers a repeated request with the payout it already made;
5. the answer (payout id and status, or the refusal) is recorded.

Lines are checked with `plan.plan_problems` first; one bad line stops the whole run before
anything is sent. A dry run sends and records nothing and returns what would be sent.
"""
from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Iterable, Mapping

from pipelines.money import format_money

from .journal import CONFLICT, ERROR, SENT, JournalEntry, PayoutJournal
from .plan import PlanLine, plan_problems

METADATA_KEY = "cashbook_idempotency_key"
# The look-up for an unanswered intent reads the account's payouts created since this many days
# before the plan date. It is anchored on the plan date, not on the wall clock, because the
# API's clock (the sandbox's world clock, or a skewed host) need not agree with ours.
RECOVERY_LOOKBACK_DAYS = 7

CREATED = "created"            # a payout was created (or Stripe replayed it for our key)
ALREADY_DONE = "already_done"  # the journal already held this line's payout
RECOVERED = "recovered"        # an unanswered intent whose payout was found on the account
# Stripe refused, or the call failed. Recorded; the next run re-sends the same key. A network
# failure or 5xx then goes through; a refusal Stripe already processed (insufficient funds) is
# replayed for that key, so paying it takes a new plan version once the cause is fixed.
REFUSED = "refused"
CONFLICTED = "conflict"        # the key was used with other parameters (or the plan changed)
DRY_RUN = "dry_run"


@dataclass(frozen=True)
class LineOutcome:
    key: str
    creator: str
    currency: str
    net: int
    outcome: str
    payout_id: str | None = None
    message: str = ""


class PlanRefused(Exception):
    """The plan breaks a rule that must hold before money moves."""


def payout_request(line: PlanLine) -> tuple[dict[str, Any], dict[str, Any]]:
    """(params, options) of the `POST /v1/payouts` for one line."""
    params: dict[str, Any] = {
        "amount": line.net,
        "currency": line.currency.lower(),
        "method": line.method,
        "description": f"Cashbook payout {line.day.isoformat()}",
        "metadata": {
            METADATA_KEY: line.idempotency_key,
            "cashbook_plan_date": line.day.isoformat(),
            "cashbook_plan_version": str(line.plan_version),
            "cashbook_gross_amount": str(line.amount),
            "cashbook_fee": str(line.fee),
        },
    }
    if line.destination:
        params["destination"] = line.destination
    if line.retry_of:
        params["metadata"]["cashbook_retry_of"] = line.retry_of
    options = {"stripe_account": line.creator, "idempotency_key": line.idempotency_key}
    return params, options


def describe(line: PlanLine) -> str:
    fee = f", fee {format_money(line.fee, line.currency)}" if line.fee else ""
    dest = f" to {line.destination}" if line.destination else ""
    return (f"{line.creator}: {line.method} payout of {format_money(line.net, line.currency)}"
            f"{fee}{dest} (key {line.idempotency_key})")


def as_plain_dict(obj: Any) -> dict[str, Any]:
    """A StripeObject (or any mapping) as a plain dict, nested objects included."""
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return dict(obj)


def _entry_for(line: PlanLine, now: int) -> JournalEntry:
    return JournalEntry(key=line.idempotency_key, creator=line.creator, currency=line.currency,
                        day=line.day, plan_version=line.plan_version, method=line.method,
                        amount=line.amount, fee=line.fee, net=line.net, intent_at=now)


def find_existing_payout(client, line: PlanLine) -> dict[str, Any] | None:
    """The payout on the creator's account that carries this line's key, if any."""
    start = line.day - timedelta(days=RECOVERY_LOOKBACK_DAYS)
    since = calendar.timegm(start.timetuple())
    page = client.v1.payouts.list({"created": {"gte": since}, "limit": 100},
                                  options={"stripe_account": line.creator})
    for payout in page.auto_paging_iter() if hasattr(page, "auto_paging_iter") else page["data"]:
        data = as_plain_dict(payout)
        if (data.get("metadata") or {}).get(METADATA_KEY) == line.idempotency_key:
            return data
    return None


def execute_plan(lines: Iterable[PlanLine], client, journal: PayoutJournal, *,
                 dry_run: bool = False, clock: Callable[[], float] = time.time,
                 after_call: Callable[[PlanLine, Mapping[str, Any]], None] | None = None,
                 echo: Callable[[str], None] | None = None) -> list[LineOutcome]:
    """Send every line once. `after_call` runs between the API answer and its record (tests use
    it to inject a crash); `echo` receives one human line per plan line."""
    import stripe  # the SDK's error classes

    lines = list(lines)
    problems = plan_problems(lines)
    if problems:
        raise PlanRefused("; ".join(problems))
    say = echo or (lambda _msg: None)
    outcomes: list[LineOutcome] = []

    def done(line: PlanLine, outcome: str, payout_id: str | None = None, message: str = "") -> None:
        outcomes.append(LineOutcome(line.idempotency_key, line.creator, line.currency, line.net,
                                    outcome, payout_id, message))
        say(f"{outcome:>12}  {describe(line)}" + (f" -> {payout_id}" if payout_id else "")
            + (f" [{message}]" if message else ""))

    for line in lines:
        entry = journal.get(line.idempotency_key)
        if entry is not None and (entry.net, entry.currency, entry.method) != \
                (line.net, line.currency, line.method):
            done(line, CONFLICTED, entry.payout_id,
                 f"journal holds {entry.method} {entry.net} {entry.currency} for this key; "
                 "a changed plan needs a new plan version")
            continue
        if entry is not None and entry.state == SENT:
            done(line, ALREADY_DONE, entry.payout_id)
            continue
        if entry is not None and entry.state == CONFLICT:
            done(line, CONFLICTED, None, entry.error_message or "")
            continue
        if dry_run:
            params, options = payout_request(line)
            done(line, DRY_RUN, None, f"POST /v1/payouts on {options['stripe_account']}")
            continue

        now = int(clock())
        unanswered = entry is not None
        entry = journal.record_intent(entry or _entry_for(line, now))
        if unanswered:
            try:
                found = find_existing_payout(client, line)
            except stripe.StripeError:
                found = None  # the look-up is a second safety net; the key is the first
            if found is not None:
                journal.record_answer(line.idempotency_key, found["id"], found.get("status"), now)
                done(line, RECOVERED, found["id"])
                continue

        params, options = payout_request(line)
        try:
            payout = as_plain_dict(client.v1.payouts.create(params, options=options))
        except stripe.IdempotencyError as exc:
            journal.record_error(line.idempotency_key, CONFLICT, exc.code, str(exc.user_message or exc),
                                 int(clock()))
            done(line, CONFLICTED, None, str(exc.user_message or exc))
            continue
        except stripe.StripeError as exc:
            message = str(exc.user_message or exc) or type(exc).__name__
            journal.record_error(line.idempotency_key, ERROR, exc.code, message, int(clock()))
            done(line, REFUSED, None, message)
            continue
        if after_call is not None:
            after_call(line, payout)
        journal.record_answer(line.idempotency_key, payout["id"], payout.get("status"), int(clock()))
        done(line, CREATED, payout["id"])
    return outcomes
