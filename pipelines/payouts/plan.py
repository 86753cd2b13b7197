"""The payout plan for one day: who is paid what, by which method, and why everyone else is not.

`build_plan` is pure: plain inputs in, a `PayoutPlan` out. It never lets a line exceed what the
creator has available (less in-flight payouts and dispute reserves), and never plans a creator
twice for one day and currency; `plan_problems` re-checks both so a plan read back from a file
is held to the same rules before money moves.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

from . import holds as H
from .config import DEFAULT_RULES, WHOLE_UNIT_PAYOUT_CURRENCIES, PayoutRules
from .fees import instant_fee, largest_instant_payout
from .idempotency import payout_key
from .minimums import instant_minimum, standard_minimum
from .model import CreatorBalance, InstantRequest, PlanInputs
from .schedule import is_due

STANDARD = "standard"
INSTANT = "instant"


@dataclass(frozen=True)
class PlanLine:
    creator: str
    currency: str
    amount: int            # gross: what leaves the creator's available balance (net + fee)
    method: str            # standard / instant
    fee: int               # instant fee, charged on the payout on top of it; 0 for standard
    net: int               # what the payout sends to the bank: amount - fee
    day: date
    plan_version: int
    idempotency_key: str
    available: int = 0     # available balance the line was planned from
    in_flight: int = 0     # earlier payouts not yet in that balance
    reserved: int = 0      # kept back for open disputes
    destination: str | None = None
    retry_of: str | None = None       # a failed payout whose money this line pays again
    failure_code: str | None = None   # ... and why it failed
    remainder: int = 0                # left in the balance by rounding the payout down ...
    remainder_reason: str | None = None   # ... and why (Stripe's whole-unit currencies)


@dataclass(frozen=True)
class Exclusion:
    creator: str
    currency: str | None
    reason: str
    detail: str = ""
    method: str = STANDARD


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    lines: int
    amount: int
    fee: int
    net: int


@dataclass(frozen=True)
class PayoutPlan:
    day: date
    plan_version: int
    lines: tuple[PlanLine, ...]
    exclusions: tuple[Exclusion, ...]
    totals: tuple[CurrencyTotal, ...] = field(default=())


def currency_totals(lines: Iterable[PlanLine]) -> tuple[CurrencyTotal, ...]:
    acc: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for line in lines:
        t = acc[line.currency]
        t[0] += 1
        t[1] += line.amount
        t[2] += line.fee
        t[3] += line.net
    return tuple(CurrencyTotal(c, *acc[c]) for c in sorted(acc))


def whole_units(amount: int, currency: str) -> int:
    """`amount` (minor units) rounded DOWN to what Stripe accepts as a payout in `currency`: a
    whole unit (a multiple of 100 minor units) in HUF and TWD, the amount itself elsewhere."""
    if currency.upper() in WHOLE_UNIT_PAYOUT_CURRENCIES and amount > 0:
        return amount - amount % 100
    return amount


def whole_unit_reason(currency: str, kept: int) -> str:
    from pipelines.money import format_money

    return (f"{currency.upper()} payouts must be whole units (Stripe): "
            f"{format_money(kept, currency)} stays in the balance")


def _index_unique(items, key, what: str) -> dict:
    out = {}
    for item in items:
        k = key(item)
        if k in out:
            raise ValueError(f"{what}: {k} appears twice")
        out[k] = item
    return out


def build_plan(inputs: PlanInputs, rules: PayoutRules = DEFAULT_RULES) -> PayoutPlan:
    day = inputs.day
    balances = _index_unique(inputs.balances, lambda b: (b.creator, b.currency), "creator balances")
    requests = _index_unique(inputs.instant_requests, lambda r: (r.creator, r.currency),
                             "instant requests")
    scores = inputs.fraud_scores or {}
    creators = sorted(set(inputs.accounts) | {c for c, _ in balances} | {c for c, _ in requests})
    lines: list[PlanLine] = []
    exclusions: list[Exclusion] = []

    for creator in creators:
        currencies = sorted({cur for c, cur in balances if c == creator}
                            | {cur for c, cur in requests if c == creator})
        if not currencies:
            exclusions.append(Exclusion(creator, None, H.NO_BALANCE, "no balance in any currency"))
            continue
        account = inputs.accounts.get(creator)
        for currency in currencies:
            balance = balances.get((creator, currency))
            request = requests.get((creator, currency))
            method = INSTANT if request else STANDARD
            if account is None:
                exclusions.append(Exclusion(creator, currency, H.NO_ACCOUNT,
                                            "no account facts for this creator", method))
                continue
            if balance is None:
                exclusions.append(Exclusion(creator, currency, H.NO_BALANCE,
                                            "instant payout requested without a balance", INSTANT))
                continue
            line, excluded = _plan_currency(inputs, rules, account, balance, request,
                                            scores.get(creator))
            exclusions.extend(excluded)
            if line is not None:
                lines.append(line)

    plan = PayoutPlan(day, rules.plan_version, tuple(lines), tuple(exclusions),
                      currency_totals(lines))
    problems = plan_problems(plan.lines, inputs.balances, inputs.in_flight)
    if problems:  # a bug in the rules, never a data problem: stop before anything is paid
        raise AssertionError("payout plan breaks its invariants: " + "; ".join(problems))
    return plan


def _plan_currency(inputs: PlanInputs, rules: PayoutRules, account, balance: CreatorBalance,
                   request: InstantRequest | None, score):
    creator, currency, day = balance.creator, balance.currency, inputs.day
    due = is_due(account.schedule, day)
    method = INSTANT if request else STANDARD
    if not due and request is None:
        return None, [Exclusion(creator, currency, H.NOT_DUE,
                                f"{account.schedule.interval} schedule not due on {day}")]
    available = balance.available
    in_flight = inputs.in_flight.get((creator, currency), 0)
    destination = account.destination(currency)
    reserve = H.dispute_reserve(inputs.open_disputes, creator, currency, rules.dispute_reserve_rate)
    payable = available - in_flight - reserve
    hold = (H.account_hold(account)
            or H.fraud_hold(score, rules.fraud_score_threshold)
            or H.negative_balance_hold(available)
            or H.failed_payout_hold(inputs.recent_payouts, creator, currency, destination, day,
                                    rules.failed_payout_lookback_days)
            or H.reserve_hold(available - in_flight, reserve)
            or H.insufficient_balance_hold(payable))
    if hold:
        return None, [Exclusion(creator, currency, hold.reason, hold.detail, method)]

    failure = H.latest_failed_payout(inputs.recent_payouts, creator, currency, day,
                                     rules.failed_payout_lookback_days)

    def line(amount: int, method: str, fee: int, kept: int = 0) -> PlanLine:
        return PlanLine(
            creator=creator, currency=currency, amount=amount, method=method, fee=fee,
            net=amount - fee, day=day, plan_version=rules.plan_version,
            idempotency_key=payout_key(creator, day, currency, rules.plan_version),
            available=available, in_flight=in_flight, reserved=reserve, destination=destination,
            retry_of=failure.payout_id if failure else None,
            failure_code=failure.failure_code if failure else None,
            remainder=kept, remainder_reason=whole_unit_reason(currency, kept) if kept else None)

    excluded: list[Exclusion] = []
    if request is not None:
        # The request names the payout (what reaches the bank); its fee comes on top.
        rate, floor = rules.instant_fee_rate, rules.instant_fee_minimum
        if request.amount is None:
            exact = largest_instant_payout(payable, rate, floor, currency)
        else:
            exact = request.amount
        net = whole_units(exact, currency)
        fee = instant_fee(net, rate, floor, currency)
        # what rounding down to a whole unit kept back (from the largest payout: all that is left)
        kept = (payable - net - fee if request.amount is None else exact - net) if net != exact else 0
        minimum = instant_minimum(rules, currency, inputs.fx)
        if request.amount is not None and net + fee > payable:
            excluded.append(Exclusion(creator, currency, H.INSTANT_EXCEEDS_BALANCE,
                                      f"requested {exact} + fee {fee}, payable {payable}", INSTANT))
        elif net < minimum:
            rounded = f" (whole units of {exact})" if net != exact else ""
            excluded.append(Exclusion(creator, currency, H.BELOW_INSTANT_MINIMUM,
                                      f"{net}{rounded} below minimum {minimum}", INSTANT))
        else:
            return line(net + fee, INSTANT, fee, kept), excluded
        if not due:
            return None, excluded
    minimum = standard_minimum(rules, currency, inputs.fx)
    amount = whole_units(payable, currency)
    if amount < minimum:
        rounded = f" (whole units of {payable})" if amount != payable else ""
        excluded.append(Exclusion(creator, currency, H.BELOW_MINIMUM,
                                  f"{amount}{rounded} below minimum {minimum}", STANDARD))
        return None, excluded
    return line(amount, STANDARD, 0, payable - amount), excluded


def plan_problems(lines: Iterable[PlanLine], balances: Iterable[CreatorBalance] | None = None,
                  in_flight=None) -> list[str]:
    """Everything that must never reach the API; empty when the lines are safe to execute."""
    problems: list[str] = []
    seen: set[tuple] = set()
    available = {(b.creator, b.currency): b.available for b in balances} if balances is not None else None
    in_flight = in_flight or {}
    for line in lines:
        who = f"{line.creator} {line.currency} {line.day}"
        key = (line.creator, line.currency, line.day)
        if key in seen:
            problems.append(f"{who}: planned twice")
        seen.add(key)
        if line.amount <= 0 or line.net <= 0 or line.fee < 0:
            problems.append(f"{who}: amount {line.amount}, fee {line.fee}, net {line.net} not positive")
        if line.net != line.amount - line.fee:
            problems.append(f"{who}: net {line.net} is not amount {line.amount} - fee {line.fee}")
        if line.method not in (STANDARD, INSTANT):
            problems.append(f"{who}: unknown method {line.method!r}")
        if line.method == STANDARD and line.fee:
            problems.append(f"{who}: standard payout with a fee")
        if whole_units(line.net, line.currency) != line.net:
            problems.append(f"{who}: payout {line.net} is not a whole number of {line.currency}"
                            " (Stripe pays HUF and TWD in whole units)")
        if line.idempotency_key != payout_key(line.creator, line.day, line.currency, line.plan_version):
            problems.append(f"{who}: idempotency key does not match creator, date, currency, version")
        limit = line.available - line.in_flight - line.reserved
        if available is not None:
            limit = available.get((line.creator, line.currency), 0) \
                - in_flight.get((line.creator, line.currency), 0) - line.reserved
        if line.amount > limit:
            problems.append(f"{who}: amount {line.amount} exceeds available {limit}")
    return problems
