"""Reading back from Stripe what reconciliation needs, when the warehouse has not ingested it yet:
each journal entry's payout with its balance transactions expanded (one call per payout)."""
from __future__ import annotations

from typing import Any, Iterable

from .execute import _as_dict
from .journal import JournalEntry


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
        found.append(_as_dict(payout))
    return found


def stripe_client(api_key: str, api_base: str, *, max_network_retries: int = 3):
    """The official SDK client for a key and API root (api.stripe.com or the sandbox)."""
    import stripe

    if not api_key:
        raise ValueError("STRIPE_API_KEY is not set")
    return stripe.StripeClient(api_key, base_addresses={"api": api_base},
                               max_network_retries=max_network_retries)
