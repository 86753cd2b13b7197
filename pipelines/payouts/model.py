"""The plain inputs of a payout plan. The assets fill them from the marts (or the raw Stripe
objects); tests write them by hand. Amounts are integer minor units of `currency`."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Mapping

from .schedule import PayoutSchedule, schedule_from_stripe


def _check_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be integer minor units, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class CreatorBalance:
    creator: str
    currency: str
    available: int
    pending: int = 0

    def __post_init__(self) -> None:
        _check_int(self.available, f"balance {self.creator} {self.currency} available")
        _check_int(self.pending, f"balance {self.creator} {self.currency} pending")
        object.__setattr__(self, "currency", self.currency.upper())


@dataclass(frozen=True)
class AccountFacts:
    creator: str
    schedule: PayoutSchedule
    payouts_enabled: bool
    details_submitted: bool = True
    disabled_reason: str | None = None
    past_due: tuple[str, ...] = ()
    # The bank account (or card) each currency's payouts go to: currency -> external account id.
    destinations: Mapping[str, str] = field(default_factory=dict)

    def destination(self, currency: str) -> str | None:
        return {k.upper(): v for k, v in self.destinations.items()}.get(currency.upper())

    @classmethod
    def from_stripe(cls, account: Mapping[str, Any]) -> "AccountFacts":
        """From a Stripe `account` object (as landed in raw_stripe.account)."""
        account_id = account.get("id") or "?"
        try:
            schedule = account["settings"]["payouts"]["schedule"]
        except (KeyError, TypeError):
            raise ValueError(f"account {account_id}: settings.payouts.schedule is missing") from None
        for name in ("payouts_enabled", "details_submitted"):
            if not isinstance(account.get(name), bool):
                raise ValueError(f"account {account_id}: {name} is missing or not a boolean")
        requirements = account.get("requirements") or {}
        destinations: dict[str, str] = {}
        externals = (account.get("external_accounts") or {}).get("data") or []
        for external in externals:
            currency = (external.get("currency") or "").upper()
            if currency and (external.get("default_for_currency") or currency not in destinations):
                destinations[currency] = external["id"]
        return cls(
            creator=account_id,
            schedule=schedule_from_stripe(schedule, account_id),
            payouts_enabled=account["payouts_enabled"],
            details_submitted=account["details_submitted"],
            disabled_reason=requirements.get("disabled_reason"),
            past_due=tuple(requirements.get("past_due") or ()),
            destinations=destinations,
        )


@dataclass(frozen=True)
class OpenDispute:
    creator: str
    currency: str
    amount: int
    dispute_id: str = ""

    def __post_init__(self) -> None:
        _check_int(self.amount, f"dispute {self.dispute_id or '?'} amount")
        object.__setattr__(self, "currency", self.currency.upper())


@dataclass(frozen=True)
class RecentPayout:
    """A payout already sent to a creator (from Stripe, or the journal of an earlier run)."""
    creator: str
    currency: str
    payout_id: str
    created: date
    status: str                      # pending / in_transit / paid / failed / canceled
    amount: int = 0
    destination: str | None = None
    failure_code: str | None = None

    def __post_init__(self) -> None:
        _check_int(self.amount, f"payout {self.payout_id} amount")
        object.__setattr__(self, "currency", self.currency.upper())


@dataclass(frozen=True)
class InstantRequest:
    """A creator asked for an instant payout today. `amount` is the payout (what reaches the
    bank; the fee comes on top); None means the largest payout that, with its fee, fits."""
    creator: str
    currency: str
    amount: int | None = None

    def __post_init__(self) -> None:
        if self.amount is not None:
            _check_int(self.amount, f"instant request {self.creator} {self.currency} amount")
            if self.amount <= 0:
                raise ValueError(f"instant request {self.creator} {self.currency}: amount must be positive")
        object.__setattr__(self, "currency", self.currency.upper())


@dataclass(frozen=True)
class PlanInputs:
    day: date
    balances: tuple[CreatorBalance, ...]
    accounts: Mapping[str, AccountFacts]
    open_disputes: tuple[OpenDispute, ...] = ()
    recent_payouts: tuple[RecentPayout, ...] = ()
    instant_requests: tuple[InstantRequest, ...] = ()
    fx: Any = None                                    # FxRates of the day; needed for non-USD minimums
    fraud_scores: Mapping[str, Decimal] | None = None  # creator -> score 0..1, once the fraud work lands
    # Payouts already created but not yet in the balance (the ledger lags the API):
    # (creator, currency) -> minor units, subtracted from what is available.
    in_flight: Mapping[tuple[str, str], int] = field(default_factory=dict)
