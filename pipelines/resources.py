"""Dagster resources for Stripe and the warehouse. The key arrives only through `dg.EnvVar`
(never as a literal, never in metadata); the base address and the warehouse fall back to
`pipelines.settings` so the sandbox and production differ by environment only."""
from __future__ import annotations

from typing import Optional

import dagster as dg

from pipelines.settings import load_settings
from pipelines.stripe.client import RetryPolicy, StripeApi
from pipelines.warehouse.url import parse_warehouse_url


class StripeResource(dg.ConfigurableResource):
    """The Stripe account to read (or the sandbox, when STRIPE_API_BASE points at it)."""

    api_key: str
    api_base: Optional[str] = None
    max_attempts: int = 8
    base_delay_s: float = 0.25

    def api(self) -> StripeApi:
        base = self.api_base or load_settings().stripe_api_base
        return StripeApi(self.api_key, base,
                         policy=RetryPolicy(max_attempts=self.max_attempts,
                                            base_delay=self.base_delay_s))


class WarehouseResource(dg.ConfigurableResource):
    """Where raw_stripe lands: `WAREHOUSE_URL` (DuckDB file or PostgreSQL database)."""

    url: Optional[str] = None

    def resolved_url(self) -> str:
        return self.url or load_settings().warehouse_url

    @property
    def kind(self) -> str:
        return parse_warehouse_url(self.resolved_url()).kind

    def open_landing(self):
        from pipelines.warehouse.connect import open_landing
        return open_landing(self.resolved_url())


def default_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "stripe": StripeResource(api_key=dg.EnvVar("STRIPE_API_KEY")),
        "warehouse": WarehouseResource(),
    }
