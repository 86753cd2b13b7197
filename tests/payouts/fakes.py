"""A fake Stripe client with Stripe's idempotency semantics: same (account, key) and same
parameters replay the first answer; other parameters raise IdempotencyError. `forget_keys()`
plays the 24-hour expiry of idempotency keys."""
from __future__ import annotations

import json
from types import SimpleNamespace

import stripe


class FakePayouts:
    def __init__(self, clock):
        self.clock = clock
        self.created: list[dict] = []           # every payout really made
        self.calls = 0
        self._answers: dict[tuple[str, str], tuple[str, dict]] = {}
        self.fail_next: stripe.StripeError | None = None
        self.list_broken = False

    def forget_keys(self):
        self._answers.clear()

    def create(self, params, options=None):
        self.calls += 1
        account, key = options["stripe_account"], options.get("idempotency_key")
        fingerprint = json.dumps(params, sort_keys=True)
        if key and (account, key) in self._answers:
            seen, answer = self._answers[(account, key)]
            if seen != fingerprint:
                raise stripe.IdempotencyError("Keys for idempotent requests can only be used with "
                                              "the same parameters they were first used with.")
            if isinstance(answer, Exception):
                raise answer                 # Stripe replays a refusal too
            return dict(answer)
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            if key and not isinstance(error, stripe.APIConnectionError):
                self._answers[(account, key)] = (fingerprint, error)
            raise error
        payout = {"id": f"po_fake{len(self.created) + 1}", "object": "payout", "account": account,
                  "amount": params["amount"], "currency": params["currency"],
                  "method": params.get("method", "standard"), "status": "pending",
                  "created": int(self.clock()), "metadata": dict(params.get("metadata", {})),
                  "destination": params.get("destination")}
        self.created.append(payout)
        if key:
            self._answers[(account, key)] = (fingerprint, payout)
        return dict(payout)

    def list(self, params=None, options=None):
        if self.list_broken:
            raise stripe.APIConnectionError("network down")
        gte = (params or {}).get("created", {}).get("gte", 0)
        data = [dict(p) for p in reversed(self.created)
                if p["account"] == options["stripe_account"] and p["created"] >= gte]
        return {"object": "list", "data": data, "has_more": False}


class FakeStripeClient:
    def __init__(self, clock):
        self.payouts = FakePayouts(clock)
        self.v1 = SimpleNamespace(payouts=self.payouts)
