"""Reading from the Stripe API what planning and reconciliation need, for when the warehouse has
not ingested it yet (and for checking the warehouse against the API): connected accounts, their
balances and recent payouts as plan inputs; each journal entry's payout with its balance
transactions expanded (one call per payout) for reconciliation.

The warehouse marts remain the source of record for plans: they also know open disputes (the
reserve) and payouts made after the last balance snapshot. This reader passes no disputes."""
from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Iterable, Mapping

from .execute import as_plain_dict
from .journal import JournalEntry
from .model import AccountFacts, CreatorBalance, InstantRequest, OpenDispute, PlanInputs
from .reconcile import recent_payout_from_stripe


def _iterate(page) -> Iterable[dict[str, Any]]:
    items = page.auto_paging_iter() if hasattr(page, "auto_paging_iter") else page["data"]
    for item in items:
        yield as_plain_dict(item)


def balances_from_stripe(balance: Mapping[str, Any], creator: str) -> list[CreatorBalance]:
    """A Stripe `balance` object as one `CreatorBalance` per currency."""
    amounts: dict[str, list[int]] = {}
    for part, index in (("available", 0), ("pending", 1)):
        for row in balance.get(part) or []:
            currency = str(row["currency"]).upper()
            amounts.setdefault(currency, [0, 0])[index] += int(row["amount"])
    return [CreatorBalance(creator, c, a, p) for c, (a, p) in sorted(amounts.items())]


def inputs_from_api(client, day: date, *, fx=None, lookback_days: int = 30,
                    instant_requests: Iterable[InstantRequest] = (),
                    open_disputes: Iterable[OpenDispute] = (),
                    fraud_scores: Mapping[str, Decimal] | None = None) -> PlanInputs:
    since = calendar.timegm((day - timedelta(days=lookback_days)).timetuple())
    accounts: dict[str, AccountFacts] = {}
    balances: list[CreatorBalance] = []
    recent = []
    for account in _iterate(client.v1.accounts.list({"limit": 100})):
        creator = account["id"]
        accounts[creator] = AccountFacts.from_stripe(account)
        on_account = {"stripe_account": creator}
        balances += balances_from_stripe(as_plain_dict(client.v1.balance.retrieve(options=on_account)),
                                         creator)
        payouts = client.v1.payouts.list({"created": {"gte": since}, "limit": 100}, options=on_account)
        recent += [recent_payout_from_stripe(p, creator) for p in _iterate(payouts)]
    return PlanInputs(day=day, balances=tuple(balances), accounts=accounts,
                      open_disputes=tuple(open_disputes), recent_payouts=tuple(recent),
                      instant_requests=tuple(instant_requests), fx=fx, fraud_scores=fraud_scores)


def fetch_payouts(client, entries: Iterable[JournalEntry]) -> list[dict[str, Any]]:
    """Payouts of the entries that have one, `balance_transaction` and
    `failure_balance_transaction` expanded in place (reconcile reads either form)."""
    found = []
    for entry in entries:
        if not entry.payout_id:
            continue
        payout = client.v1.payouts.retrieve(
            entry.payout_id, {"expand": ["balance_transaction", "failure_balance_transaction"]},
            options={"stripe_account": entry.creator})
        found.append(as_plain_dict(payout))
    return found


def stripe_client(api_key: str, api_base: str, *, max_network_retries: int = 3):
    """The official SDK client for a key and API root (api.stripe.com or the sandbox)."""
    import stripe

    if not api_key:
        raise ValueError("STRIPE_API_KEY is not set")
    return stripe.StripeClient(api_key, base_addresses={"api": api_base},
                               max_network_retries=max_network_retries)
