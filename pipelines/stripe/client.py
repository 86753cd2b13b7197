"""HTTP access to Stripe through the official SDK's raw request path.

The SDK gives us authentication, the pinned API version (`stripe.api_version`), the standard
headers and connection reuse (one `requests` session per thread). We bypass its object layer:
bodies are parsed with orjson (StripeObject conversion is ~7x too slow), and retries are ours,
because we must honour `Retry-After` / `Stripe-Should-Retry`, treat a truncated body as a
dropped connection, and count every request for the run's metadata.
"""
from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Mapping

import orjson
import stripe

from pipelines.stripe.errors import StripeAuthError, StripeSyncError

RETRYABLE_STATUS = frozenset({409, 429, 500, 502, 503, 504})


class MalformedBody(Exception):
    """A 200 answer whose body is not a JSON object, after every retry."""

    def __init__(self, endpoint: str, account: str | None, body: bytes, reason: str):
        super().__init__(f"unparseable answer from {endpoint}: {reason}")
        self.endpoint = endpoint
        self.account = account
        self.body = body
        self.reason = reason


@dataclass(frozen=True)
class Response:
    status: int
    data: Any                 # the JSON object, or what the caller's `decode` made of the body
    server_time: int | None   # from the `Date` header: the sandbox's world clock, Stripe's real time


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: float = 0.25
    max_delay: float = 20.0

    def delay(self, attempt: int, status: int | None, headers: Mapping[str, str] | None,
              rng: random.Random) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None when we must not retry.

        `status` None means the connection dropped, timed out or the body was truncated."""
        if attempt + 1 >= self.max_attempts:
            return None
        headers = headers or {}
        should = (headers.get("Stripe-Should-Retry") or "").lower()
        if should == "false":
            return None
        if status is not None and status not in RETRYABLE_STATUS and should != "true":
            return None
        backoff = rng.uniform(0, min(self.max_delay, self.base_delay * (2 ** attempt)))
        retry_after = headers.get("Retry-After")
        if retry_after:
            try:
                backoff = max(backoff, min(float(retry_after), self.max_delay))
            except ValueError:
                pass
        return backoff


def parse_server_time(headers: Mapping[str, str]) -> int | None:
    value = headers.get("Date") if headers else None
    if not value:
        return None
    try:
        return int(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError):
        return None


def _stripe_message(body: bytes) -> str:
    try:
        err = orjson.loads(body).get("error") or {}
        return str(err.get("message") or err.get("code") or "no message")
    except Exception:
        return "no message (unparseable error body)"


class StripeApi:
    """Thread-safe GETs against one Stripe (or sandbox) base address with one key."""

    def __init__(self, api_key: str, api_base: str, *, policy: RetryPolicy | None = None,
                 timeout: float = 30.0, sleep: Callable[[float], None] = time.sleep,
                 seed: int | None = None):
        if not api_key:
            raise StripeAuthError("(configuration)", None, None, "STRIPE_API_KEY is not set")
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")},
            stripe_version=stripe.api_version,
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=timeout),
        )
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()     # requests sent (retries included), by label
        self.retries: Counter[str] = Counter()

    def __repr__(self) -> str:
        return "StripeApi(<key hidden>)"

    def _count(self, label: str, retried: bool) -> None:
        with self._lock:
            self.calls[label] += 1
            if retried:
                self.retries[label] += 1

    def _send(self, path: str, params: Mapping[str, Any] | None, account: str | None):
        options = {"stripe_account": account} if account else {}
        # The requestor's raw path: auth, version and headers from the SDK, body left as bytes.
        return self._client._requestor.request_raw(
            "get", path, params=dict(params or {}), options=options,
            base_address="api", api_mode="V1", usage=["cashbook_sync"],
        )

    def get(self, path: str, params: Mapping[str, Any] | None = None, account: str | None = None,
            *, label: str = "other",
            decode: Callable[[bytes, int | None], Any] | None = None) -> Response:
        """`decode(body, server_time)`, if given, replaces the JSON parse of a 200 answer (the
        readers parse list pages of plain types in one step, see `pages.parse_page`); a
        ValueError from it is an unparseable body, retried like a truncated one."""
        attempt = 0
        while True:
            status: int | None = None
            headers: Mapping[str, str] = {}
            body = b""
            problem = ""
            self._count(label, attempt > 0)
            try:
                body, status, headers = self._send(path, params, account)
            except stripe.APIConnectionError as exc:
                problem = f"connection failed: {exc.user_message or type(exc).__name__}"
            if status == 200:
                try:
                    server_time = parse_server_time(headers)
                    if decode is not None:
                        return Response(200, decode(body, server_time), server_time)
                    data = orjson.loads(body)
                    if not isinstance(data, dict):
                        raise ValueError("the answer is not a JSON object")
                    return Response(200, data, server_time)
                except ValueError as exc:
                    problem = f"unparseable JSON ({exc})"
                    status = None  # a truncated body is a dropped connection: retry it
            elif status is not None:
                if status == 401:
                    raise StripeAuthError(path, account, status, _stripe_message(body))
                problem = _stripe_message(body)
            wait = self.policy.delay(attempt, status, headers, self._rng)
            if wait is None:
                if status is None and body:
                    raise MalformedBody(path, account, body, problem)
                raise StripeSyncError(path, account, status, problem)
            self._sleep(wait)
            attempt += 1
