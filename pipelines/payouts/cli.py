"""`cashbook payouts plan|execute|reconcile`. Execution is never automatic: it runs only when
asked, from a plan file finance has seen, and `--dry-run` prints what would be sent.

`execute` and `reconcile` journal to the warehouse (`WAREHOUSE_URL`, table
`finance.payout_journal`), the same journal as the Dagster `payout_execute` job, under the same
execution lock: the command and the job see each other's intents and never pay a line twice."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from pipelines.money import format_money
from pipelines.settings import PROJECT_ROOT, load_settings

# Where the command line journaled before the warehouse journal: imported once, then renamed.
LEGACY_JOURNAL = PROJECT_ROOT / "data" / "payouts_journal.sqlite"
# How long the command waits for the DuckDB file and the execution lock (a Dagster run or an
# ingest may hold them), as the ingest waits for its own lock.
LOCK_WAIT_S = 600.0


def register(subparsers) -> None:
    parser = subparsers.add_parser("payouts", help="creator payout plans, execution, reconciliation")
    sub = parser.add_subparsers(dest="payouts_command", required=True)

    plan = sub.add_parser("plan", help="build the payout plan for a date")
    plan.add_argument("--date", required=True, type=date.fromisoformat)
    plan.add_argument("--inputs", type=Path, help="plan inputs as JSON (instead of the warehouse)")
    plan.add_argument("--plan-version", type=int, default=1,
                      help="bump to plan a deliberate second payout for a day already executed")
    plan.add_argument("--output-dir", type=Path, help="default: $CASHBOOK_OUTPUT_DIR")
    plan.set_defaults(func=cmd_plan)

    execute = sub.add_parser("execute", help="create the planned payouts through the Stripe API")
    execute.add_argument("--date", required=True, type=date.fromisoformat)
    execute.add_argument("--plan-file", type=Path,
                         help="default: <output>/payouts/<date>/plan.csv")
    execute.add_argument("--dry-run", action="store_true", help="print what would be sent")
    execute.set_defaults(func=cmd_execute)

    reconcile = sub.add_parser("reconcile", help="executed lines against Stripe's payouts")
    reconcile.add_argument("--date", required=True, type=date.fromisoformat)
    reconcile.add_argument("--output-dir", type=Path)
    reconcile.set_defaults(func=cmd_reconcile)


def cmd_plan(args) -> int:
    from .config import PayoutRules
    from .plan import build_plan
    from .plan_io import plan_dir, read_inputs, write_plan

    rules = PayoutRules(plan_version=args.plan_version)
    if args.inputs is not None:
        inputs = read_inputs(args.inputs)
        if inputs.day != args.date:
            print(f"--date {args.date} but the inputs are for {inputs.day}", file=sys.stderr)
            return 2
        plan = build_plan(inputs, rules)
    else:
        # from the payout marts, like the finance/payout_plan asset, and stored where the
        # payout_execute job reads it (finance.payout_plan)
        from .warehouse import Warehouse, read_plan_inputs, write_plan_tables

        with Warehouse(load_settings().warehouse_url, lock_wait=LOCK_WAIT_S) as wh:
            if not wh.table_exists("marts", "fct_creator_balances"):
                print("the warehouse has no payout marts (marts.fct_creator_balances): build them "
                      "(make demo, or dbt) or pass --inputs FILE.json", file=sys.stderr)
                return 2
            inputs, _notes = read_plan_inputs(wh, args.date,
                                              lookback_days=rules.failed_payout_lookback_days)
            plan = build_plan(inputs, rules)
            write_plan_tables(wh, plan)
    out = plan_dir(args.output_dir or load_settings().output_dir, args.date)
    paths = write_plan(plan, out)
    print(f"payout plan {args.date} (version {plan.plan_version}): {len(plan.lines)} lines, "
          f"{len(plan.exclusions)} exclusions -> {paths['plan']}")
    for total in plan.totals:
        print(f"  {total.currency}: {total.lines} payouts, {format_money(total.net, total.currency)} "
              f"to banks, fees {format_money(total.fee, total.currency)}")
    for line in plan.lines:
        if line.remainder_reason:
            print(f"  {line.creator} {line.currency}: {line.remainder_reason}")
    return 0


def _open_warehouse(settings):
    from .warehouse import Warehouse, WarehouseJournal, import_legacy_journal

    wh = Warehouse(settings.warehouse_url, lock_wait=LOCK_WAIT_S)
    journal = WarehouseJournal(wh)
    copied = import_legacy_journal(LEGACY_JOURNAL, journal)
    if copied:
        print(f"imported {copied} entries of the old journal {LEGACY_JOURNAL} into "
              f"{journal.table}", file=sys.stderr)
    return wh, journal


def cmd_execute(args) -> int:
    from contextlib import nullcontext

    from .execute import CONFLICTED, REFUSED, PlanRefused, execute_plan
    from .plan_io import plan_dir, read_plan_lines
    from .stripe_io import stripe_client
    from .warehouse import execution_lock

    settings = load_settings()
    plan_file = args.plan_file or plan_dir(settings.output_dir, args.date) / "plan.csv"
    if not plan_file.exists():
        print(f"no plan file at {plan_file}", file=sys.stderr)
        return 2
    lines = read_plan_lines(plan_file)
    other_days = sorted({l.day.isoformat() for l in lines if l.day != args.date})
    if other_days:
        print(f"{plan_file} holds lines for {', '.join(other_days)}, not {args.date}", file=sys.stderr)
        return 2
    client = None
    if not args.dry_run:
        if not settings.stripe_api_key:
            print("STRIPE_API_KEY is not set", file=sys.stderr)
            return 2
        client = stripe_client(settings.stripe_api_key, settings.stripe_api_base)
    wh, journal = _open_warehouse(settings)
    try:
        # a dry run only reads the journal; a real run holds the lock the job also takes
        with nullcontext() if args.dry_run else execution_lock(wh, timeout=LOCK_WAIT_S):
            outcomes = execute_plan(lines, client, journal, dry_run=args.dry_run, echo=print)
    except PlanRefused as exc:
        print(f"plan refused, nothing sent: {exc}", file=sys.stderr)
        return 3
    finally:
        wh.close()
    bad = [o for o in outcomes if o.outcome in (REFUSED, CONFLICTED)]
    print(f"{len(outcomes)} lines: " + ", ".join(
        f"{n} {k}" for k, n in sorted(_count(o.outcome for o in outcomes).items())))
    return 1 if bad else 0


def cmd_reconcile(args) -> int:
    from .plan_io import plan_dir, write_itemized, write_reconciliation
    from .reconcile import itemize, reconcile
    from .stripe_io import fetch_payouts, stripe_client

    settings = load_settings()
    if not settings.stripe_api_key:
        print("STRIPE_API_KEY is not set", file=sys.stderr)
        return 2
    wh, journal = _open_warehouse(settings)
    try:
        entries = journal.entries(args.date)
    finally:
        wh.close()
    client = stripe_client(settings.stripe_api_key, settings.stripe_api_base)
    lines = reconcile(entries, fetch_payouts(client, entries), [])
    out = plan_dir(args.output_dir or settings.output_dir, args.date)
    path = write_reconciliation(lines, out / "reconciliation.csv")
    write_itemized(itemize(lines), out / "itemized.csv")
    listed = [l for l in lines if l.reasons]
    print(f"{len(lines)} lines reconciled, {len(listed)} listed with reasons -> {path}")
    for line in listed:
        print(f"  {line.creator} {line.currency} {line.payout_id or '-'}: {'; '.join(line.reasons)}")
    return 0


def _count(items) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts
