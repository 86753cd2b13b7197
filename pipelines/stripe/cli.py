"""`cashbook ingest [--objects charge,invoice] [--full-refresh]`: the same sync the Dagster
assets run, from the shell (environment: STRIPE_API_KEY, STRIPE_API_BASE, WAREHOUSE_URL)."""
from __future__ import annotations

import argparse
import sys

from pipelines.settings import load_settings


def _run(args: argparse.Namespace) -> int:
    from pipelines.stripe.client import StripeApi
    from pipelines.stripe.engine import SyncOptions, run_sync
    from pipelines.stripe.errors import StripeSyncError
    from pipelines.warehouse.connect import open_landing

    settings = load_settings()
    tables = tuple(x.strip() for x in args.objects.split(",") if x.strip()) if args.objects else None
    try:
        api = StripeApi(settings.stripe_api_key or "", settings.stripe_api_base)
        result = run_sync(api, lambda: open_landing(settings.warehouse_url),
                          SyncOptions(tables=tables, full_refresh=args.full_refresh))
    except (StripeSyncError, ValueError) as exc:
        print(f"ingest failed: {exc}", file=sys.stderr)
        return 2
    print(f"{'table':28} {'received':>9} {'inserted':>9} {'updated':>8} {'rejected':>8} {'calls':>6}")
    for table, s in sorted(result.tables.items()):
        print(f"{table:28} {s.received:9} {s.inserted:9} {s.updated:8} {s.rejected:8} {s.api_calls:6}")
    print(f"{result.api_calls} API calls ({result.retries} retries), "
          f"{result.accounts_synced}/{result.accounts_total} connected accounts read, "
          f"{result.duration_s:.1f}s -> {settings.warehouse_url}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("ingest", help="incremental Stripe sync into raw_stripe")
    p.add_argument("--objects", help="comma-separated object types (landing table names)")
    p.add_argument("--full-refresh", action="store_true", help="re-read every stream in full")
    p.set_defaults(func=_run)
