"""`cashbook sandbox ...`: generate, serve, advance the local Stripe-compatible world and export
creators' tax profiles. Worlds live at `<dir>/<size>-<seed>.sqlite` (see `world_path`)."""
from __future__ import annotations

import argparse
import csv
import os
import sqlite3
import sys
from pathlib import Path

from pipelines.settings import PROJECT_ROOT

from . import store
from .presets import PRESETS

DEFAULT_PORT = 12111
TAX_PROFILE_COLUMNS = ("account", "legal_name", "tin_type", "tin", "is_us", "address_line1", "city",
                       "state", "postal_code", "country", "backup_withholding")


def sandbox_dir(dir: str | Path | None = None) -> Path:
    if dir:
        return Path(dir)
    return Path(os.environ.get("CASHBOOK_SANDBOX_DIR") or PROJECT_ROOT / ".sandbox")


def world_path(size: str = "small", seed: int = 42, dir: str | Path | None = None) -> Path:
    """Where the world of (size, seed) lives: `<dir>/<size>-<seed>.sqlite`."""
    return sandbox_dir(dir) / f"{size}-{seed}.sqlite"


def ensure_world(size: str, seed: int, dir: str | Path | None = None, *, force: bool = False) -> Path:
    from .generate import generate_world

    path = world_path(size, seed, dir)
    if force or not path.exists():
        summary = generate_world(path, size=size, seed=seed)
        print(f"generated {summary.objects:,} objects ({summary.events:,} events) in "
              f"{summary.seconds:.1f} s: {path}", file=sys.stderr, flush=True)
    return path


def world_key(path: Path) -> str:
    conn = store.connect(path, readonly=True)
    try:
        return store.get_meta(conn, "api_key") or ""
    finally:
        conn.close()


def export_tax_profiles(path: Path, out: Path) -> int:
    """Write the W-9-like profiles to a CSV (access-restricted data: mode 0600)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(f"SELECT {', '.join(TAX_PROFILE_COLUMNS)} FROM tax_profiles ORDER BY account").fetchall()
    finally:
        conn.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        os.chmod(out, 0o600)
        writer = csv.writer(fh)
        writer.writerow(TAX_PROFILE_COLUMNS)
        writer.writerows(rows)
    return len(rows)


def _serve(args: argparse.Namespace) -> int:
    from . import server

    path = ensure_world(args.size, args.seed, args.dir)
    print(f"STRIPE_API_BASE=http://{args.host}:{args.port}", flush=True)
    print(f"STRIPE_API_KEY={world_key(path)}", flush=True)
    faults = args.faults
    try:
        from .faults import parse_faults
        faults = parse_faults(args.faults) if args.faults else None
    except ImportError:
        pass
    rate_limit = args.rate_limit if args.rate_limit and args.rate_limit > 0 else None
    server.serve_forever(path, host=args.host, port=args.port, rate_limit=rate_limit, faults=faults)
    return 0


def _generate(args: argparse.Namespace) -> int:
    path = ensure_world(args.size, args.seed, args.dir, force=args.force)
    print(path)
    return 0


def _advance(args: argparse.Namespace) -> int:
    from .advance import advance_world

    path = world_path(args.size, args.seed, args.dir)
    summary = advance_world(path, args.days)
    print(f"advanced {args.days} day(s): clock {summary.clock}, {summary.objects:,} objects, "
          f"{summary.seconds:.1f} s", flush=True)
    return 0


def _tax_profiles(args: argparse.Namespace) -> int:
    path = world_path(args.size, args.seed, args.dir)
    if not path.exists():
        raise SystemExit(f"no sandbox world at {path}; run `cashbook sandbox generate` first")
    count = export_tax_profiles(path, Path(args.out))
    print(f"wrote {count} tax profiles to {args.out}", file=sys.stderr)
    return 0


def _world_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", choices=sorted(PRESETS), default="small")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--dir", default=None, help="world directory (default .sandbox/ or $CASHBOOK_SANDBOX_DIR)")


def register(subparsers) -> None:
    sandbox = subparsers.add_parser("sandbox", help="the local Stripe-compatible sandbox")
    sub = sandbox.add_subparsers(dest="sandbox_command", required=True)

    serve = sub.add_parser("serve", help="generate the world if needed and serve it")
    _world_args(serve)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--faults", default=None, help="e.g. 429=0.05,500=0.01,latency_ms=20")
    serve.add_argument("--rate-limit", type=float, default=100.0, help="reads per second; 0 = off")
    serve.set_defaults(func=_serve)

    gen = sub.add_parser("generate", help="write a fresh world")
    _world_args(gen)
    gen.add_argument("--force", action="store_true", help="regenerate even if the file exists")
    gen.set_defaults(func=_generate)

    adv = sub.add_parser("advance", help="move the world's clock forward")
    _world_args(adv)
    adv.add_argument("--days", type=int, required=True)
    adv.set_defaults(func=_advance)

    tax = sub.add_parser("tax-profiles", help="export creators' W-9-like profiles to CSV")
    _world_args(tax)
    tax.add_argument("--out", required=True)
    tax.set_defaults(func=_tax_profiles)
