"""Configuration from the environment (DESIGN section 4), read in one place.

Secrets are never formatted into a message: `Settings.__repr__` masks the key.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE_URL = f"duckdb:///{PROJECT_ROOT / 'data' / 'warehouse.duckdb'}"
DEFAULT_STRIPE_API_BASE = "https://api.stripe.com"


def mask_secret(value: str | None) -> str:
    """`sk_test_…abcd` style: enough to tell keys apart, never enough to use one."""
    if not value:
        return "<unset>"
    prefix = value.split("_", 2)
    head = "_".join(prefix[:2]) + "_" if len(prefix) > 2 else ""
    return f"{head}…{value[-4:]}" if len(value) > 8 else "…"


@dataclass(frozen=True)
class Settings:
    stripe_api_key: str | None = field(repr=False, default=None)
    stripe_api_base: str = DEFAULT_STRIPE_API_BASE
    warehouse_url: str = DEFAULT_WAREHOUSE_URL
    dagster_home: Path = PROJECT_ROOT / ".dagster_home"
    output_dir: Path = PROJECT_ROOT / "output"
    reporting_currency: str = "USD"

    def __repr__(self) -> str:  # never leak the key through a log line or an exception
        return (
            f"Settings(stripe_api_key={mask_secret(self.stripe_api_key)!r}, "
            f"stripe_api_base={self.stripe_api_base!r}, warehouse_url={self.warehouse_url!r}, "
            f"output_dir={str(self.output_dir)!r}, reporting_currency={self.reporting_currency!r})"
        )


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    return Settings(
        stripe_api_key=env.get("STRIPE_API_KEY") or None,
        stripe_api_base=(env.get("STRIPE_API_BASE") or DEFAULT_STRIPE_API_BASE).rstrip("/"),
        warehouse_url=env.get("WAREHOUSE_URL") or DEFAULT_WAREHOUSE_URL,
        dagster_home=Path(env.get("DAGSTER_HOME") or PROJECT_ROOT / ".dagster_home"),
        output_dir=Path(env.get("CASHBOOK_OUTPUT_DIR") or PROJECT_ROOT / "output"),
        reporting_currency=(env.get("REPORTING_CURRENCY") or "USD").upper(),
    )
