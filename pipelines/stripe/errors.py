"""Errors the sync raises instead of skipping data: each names the endpoint and the account,
carries Stripe's own message, and never the key."""
from __future__ import annotations


class StripeSyncError(RuntimeError):
    """A request Stripe refused for good (400/403/404, or retries exhausted)."""

    def __init__(self, endpoint: str, account: str | None, status: int | None, message: str):
        self.endpoint = endpoint
        self.account = account
        self.status = status
        self.stripe_message = message
        where = f"account {account}" if account else "the platform account"
        code = f"HTTP {status}" if status is not None else "no answer"
        super().__init__(f"Stripe GET {endpoint} for {where} failed ({code}): {message}")


class StripeAuthError(StripeSyncError):
    """401: the key is wrong or revoked. Raised before anything is written."""


class SyncAborted(RuntimeError):
    """Raised by the test hook that simulates a crash after N committed batches."""
