"""Creator payouts in Dagster (issue 5): the day's creator balances, the daily payout plan with
its blocking checks, the `payout_execute` job (a dry run unless `execute: true` is given; no
schedule or sensor ever starts it) and the reconciliation of what was executed.

Thin by design: each asset reads the warehouse through `pipelines.payouts.warehouse`, calls the
pure payout library, writes `finance.*` and the CSVs, and attaches numbers a person can read.
Resources `stripe` (StripeResource) and `warehouse` (WarehouseResource) are bound by
`assets.raw_stripe`'s definitions (one instance per key in the merged code location).
"""

from collections import Counter
from contextlib import nullcontext
from datetime import date
from typing import Iterable, Optional, Sequence

import dagster as dg

from pipelines.money import format_money
from pipelines.payouts import warehouse as W
from pipelines.payouts.config import PayoutRules
from pipelines.payouts.execute import CONFLICTED, REFUSED, PlanRefused, execute_plan
from pipelines.payouts.model import CreatorBalance, InstantRequest
from pipelines.payouts.plan import PayoutPlan, PlanLine, build_plan, plan_problems
from pipelines.payouts.plan_io import plan_dir, write_itemized, write_plan, write_reconciliation
from pipelines.payouts.reconcile import ReconciledLine, itemize, reconcile
from pipelines.payouts.stripe_io import stripe_client
from pipelines.resources import StripeResource, WarehouseResource
from pipelines.settings import load_settings
from sensors.priority import priority_tags

GROUP = "payouts"
# DESIGN 8: payouts run at high priority (sensors.priority)
PAYOUTS_TAGS = priority_tags("high", "payouts")
PARTITIONS = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_offset=1)

CREATOR_BALANCES = dg.AssetKey(["finance", "creator_balances"])
PAYOUT_PLAN = dg.AssetKey(["finance", "payout_plan"])
PAYOUT_RECONCILIATION = dg.AssetKey(["finance", "payout_reconciliation"])
MART = lambda name: dg.AssetKey(["marts", name])  # noqa: E731  (dbt model keys: [schema, model])

PLANNED_WITHIN_AVAILABLE = "planned_total_within_available_balance"
ONE_LINE_PER_CREATOR = "one_line_per_creator_day_currency"
RECONCILED_TO_THE_CENT = "reconciled_to_the_cent_or_listed"


def _md_table(header: Sequence[str], rows: Iterable[Sequence], limit: int = 25) -> str:
    rows = list(rows)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"\n… and {len(rows) - limit} more rows")
    return "\n".join(lines)


def _money_by_currency(amounts: dict[str, int]) -> dict[str, str]:
    return {cur: format_money(v, cur) for cur, v in sorted(amounts.items())}


# ------------------------------------------------------------------ creator balances

@dg.asset(
    key=CREATOR_BALANCES, group_name=GROUP, partitions_def=PARTITIONS, op_tags=PAYOUTS_TAGS,
    deps=[MART("fct_creator_balances"), MART("fct_creator_open_disputes")],
    kinds={"python", "sql"},
)
def creator_balances(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Each creator's balance per currency as the day begins (from marts.fct_creator_balances):
    available, pending, reserved for open disputes and why; one snapshot per day in
    finance.creator_balances."""
    day = date.fromisoformat(context.partition_key)
    with W.Warehouse(warehouse.resolved_url()) as wh:
        rows = wh.rows(
            "SELECT b.creator_account_id, b.currency, b.available, b.pending, b.reserved,"
            " b.available_after_reserve, b.reserve_reason, b.balance_date"
            " FROM marts.fct_creator_balances AS b"
            " INNER JOIN (SELECT creator_account_id, currency, max(balance_date) AS balance_date"
            "             FROM marts.fct_creator_balances WHERE balance_date <= ?"
            "             GROUP BY creator_account_id, currency) AS latest"
            " ON latest.creator_account_id = b.creator_account_id AND latest.currency = b.currency"
            " AND latest.balance_date = b.balance_date ORDER BY 1, 2", (day,))
        wh.execute(f"CREATE SCHEMA IF NOT EXISTS {W.FINANCE}")
        wh.execute(f"CREATE TABLE IF NOT EXISTS {W.FINANCE}.creator_balances (as_of_date DATE NOT NULL,"
                   " creator_account_id VARCHAR NOT NULL, currency VARCHAR NOT NULL,"
                   " available BIGINT NOT NULL, pending BIGINT NOT NULL, reserved BIGINT NOT NULL,"
                   " available_after_reserve BIGINT NOT NULL, reserve_reason VARCHAR,"
                   " balance_date DATE NOT NULL)")
        with wh.transaction():
            wh.execute(f"DELETE FROM {W.FINANCE}.creator_balances WHERE as_of_date = ?", (day,))
            wh.insert(f"{W.FINANCE}.creator_balances", [(day, *r) for r in rows])
    available: Counter = Counter()
    pending: Counter = Counter()
    reserved: Counter = Counter()
    for creator, cur, a, p, r, *_ in rows:
        available[cur] += int(a)
        pending[cur] += int(p)
        reserved[cur] += int(r)
    return dg.MaterializeResult(metadata={
        "creators": len({r[0] for r in rows}),
        "rows": len(rows),
        "available_by_currency": _money_by_currency(available),
        "pending_by_currency": _money_by_currency(pending),
        "reserved_by_currency": _money_by_currency(reserved),
        "negative_balances": sum(1 for r in rows if int(r[2]) < 0),
        "preview": dg.MetadataValue.md(_md_table(
            ("creator", "currency", "available", "pending", "reserved", "why reserved"),
            ((r[0], r[1], format_money(int(r[2]), r[1]), format_money(int(r[3]), r[1]),
              format_money(int(r[4]), r[1]), r[6] or "") for r in rows))),
    })


# ------------------------------------------------------------------ the plan

class InstantRequestConfig(dg.Config):
    creator: str
    currency: str
    amount: Optional[int] = None  # what reaches the bank, minor units; None = as much as fits


class PayoutPlanConfig(dg.Config):
    instant_requests: list[InstantRequestConfig] = []
    # Bump to plan a deliberate second payout for a day that was already executed.
    plan_version: int = 1


def plan_check_results(lines: Sequence[PlanLine], balances: Sequence[CreatorBalance],
                       in_flight: dict) -> list[dg.AssetCheckResult]:
    """The two blocking checks of a stored plan, against the balances it must not exceed."""
    problems = plan_problems(lines, balances, in_flight)
    over = [p for p in problems if "exceeds available" in p]
    seen = Counter((l.creator, l.day, l.currency) for l in lines)
    twice = sorted(f"{c} {d} {cur} x{n}" for (c, d, cur), n in seen.items() if n > 1)
    planned: Counter = Counter()
    for line in lines:
        planned[line.currency] += line.amount
    return [
        dg.AssetCheckResult(
            asset_key=PAYOUT_PLAN, check_name=PLANNED_WITHIN_AVAILABLE, passed=not over,
            metadata={"lines": len(lines), "lines_over_available": len(over),
                      "planned_by_currency": _money_by_currency(planned),
                      "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in over) or "none")}),
        dg.AssetCheckResult(
            asset_key=PAYOUT_PLAN, check_name=ONE_LINE_PER_CREATOR, passed=not twice,
            metadata={"lines": len(lines), "duplicates": dg.MetadataValue.md(
                "\n".join(f"- {t}" for t in twice) or "none")}),
    ]


def plan_markdown(plan: PayoutPlan) -> str:
    totals = _md_table(("currency", "payouts", "gross", "instant fees", "to banks"),
                       ((t.currency, t.lines, format_money(t.amount, t.currency),
                         format_money(t.fee, t.currency), format_money(t.net, t.currency))
                        for t in plan.totals))
    lines = _md_table(("creator", "currency", "method", "to bank", "fee", "available", "reserved",
                       "kept in balance", "retry of"),
                      ((l.creator, l.currency, l.method, format_money(l.net, l.currency),
                        format_money(l.fee, l.currency), format_money(l.available, l.currency),
                        format_money(l.reserved, l.currency),
                        l.remainder_reason or "",
                        f"{l.retry_of} ({l.failure_code})" if l.retry_of else "") for l in plan.lines))
    reasons = Counter(e.reason for e in plan.exclusions)
    excluded = _md_table(("reason", "creators"), sorted(reasons.items()))
    return (f"## Payout plan {plan.day} (version {plan.plan_version})\n\n### Totals\n{totals}\n\n"
            f"### Lines\n{lines}\n\n### Left out\n{excluded}\n")


def plan_metadata(plan: PayoutPlan) -> dict:
    """Totals per currency, counts and the markdown preview the UI shows for a plan."""
    reasons = Counter(e.reason for e in plan.exclusions)
    return {
        "lines": len(plan.lines),
        "exclusions": len(plan.exclusions),
        "totals": dg.MetadataValue.json({t.currency: {
            "payouts": t.lines, "gross": format_money(t.amount, t.currency),
            "fees": format_money(t.fee, t.currency), "to_banks": format_money(t.net, t.currency)}
            for t in plan.totals}),
        "to_banks_by_currency": {t.currency: format_money(t.net, t.currency) for t in plan.totals},
        "fees_by_currency": {t.currency: format_money(t.fee, t.currency) for t in plan.totals},
        "exclusions_by_reason": dict(sorted(reasons.items())),
        "retries_of_failed_payouts": sum(1 for l in plan.lines if l.retry_of),
        "rounded_to_whole_units": sum(1 for l in plan.lines if l.remainder),
        "preview": dg.MetadataValue.md(plan_markdown(plan)),
    }


@dg.asset(
    key=PAYOUT_PLAN, group_name=GROUP, partitions_def=PARTITIONS, op_tags=PAYOUTS_TAGS,
    deps=[CREATOR_BALANCES, MART("fct_creator_payouts"), MART("dim_creator_payout_accounts"),
          MART("dim_creator_payout_destinations"), MART("fct_creator_open_disputes"),
          dg.AssetKey(["finance", "creator_risk"])],   # read when it exists; else no fraud hold
    check_specs=[
        dg.AssetCheckSpec(PLANNED_WITHIN_AVAILABLE, asset=PAYOUT_PLAN, blocking=True,
                          description="No line takes more than the available balance, less in-flight payouts and dispute reserves."),
        dg.AssetCheckSpec(ONE_LINE_PER_CREATOR, asset=PAYOUT_PLAN, blocking=True,
                          description="No creator appears twice for one day and currency."),
    ],
    kinds={"python", "csv"},
)
def payout_plan(context: dg.AssetExecutionContext, config: PayoutPlanConfig,
                warehouse: WarehouseResource) -> Iterable:
    """Who is paid what on the day, by which method, and why everyone else is not
    (finance.payout_plan, _exclusions, _totals; CSVs under $CASHBOOK_OUTPUT_DIR/payouts/<date>/).
    Nothing is paid here: the payout_execute job does that, when asked."""
    day = date.fromisoformat(context.partition_key)
    rules = PayoutRules(plan_version=config.plan_version)
    requests = [InstantRequest(r.creator, r.currency, r.amount) for r in config.instant_requests]
    with W.Warehouse(warehouse.resolved_url()) as wh:
        inputs, notes = W.read_plan_inputs(wh, day, lookback_days=rules.failed_payout_lookback_days,
                                           instant_requests=requests)
        plan = build_plan(inputs, rules)
        W.write_plan_tables(wh, plan)
        stored = W.read_plan_lines(wh, day)
    out = plan_dir(load_settings().output_dir, day)
    paths = write_plan(plan, out)
    metadata = plan_metadata(plan)
    (out / "preview.md").write_text(metadata["preview"].value)
    yield dg.MaterializeResult(metadata={
        **metadata,
        "fraud_holds": notes.fraud_source,
        "fx_rates_of": str(notes.fx_date) if notes.fx_date else "no FX rates in the warehouse",
        "accounts_skipped": dg.MetadataValue.md("\n".join(f"- {s}" for s in notes.skipped_accounts) or "none"),
        "plan_csv": dg.MetadataValue.path(str(paths["plan"])),
    })
    yield from plan_check_results(stored, inputs.balances, dict(inputs.in_flight))


# ------------------------------------------------------------------ execution (never automatic)

class PayoutExecuteConfig(dg.Config):
    date: str                 # the plan day, YYYY-MM-DD
    execute: bool = False     # false: dry run, prints what would be sent and sends nothing


def lines_safe_to_send(wh: W.Warehouse, day: date, lines: Sequence[PlanLine]) -> list[str]:
    """The plan's checks again, just before money moves, for lines never attempted (an attempted
    line is resolved by its idempotency key, and its payout may already be in the balance)."""
    journal = W.WarehouseJournal(wh)
    fresh = [l for l in lines if journal.get(l.idempotency_key) is None]
    if not fresh:
        return []
    inputs, _ = W.read_plan_inputs(wh, day, lookback_days=PayoutRules().failed_payout_lookback_days)
    return plan_problems(fresh, inputs.balances, inputs.in_flight)


@dg.op(tags=PAYOUTS_TAGS)
def execute_payout_plan(context: dg.OpExecutionContext, config: PayoutExecuteConfig,
                        stripe: StripeResource, warehouse: WarehouseResource) -> list:
    """Create the day's planned payouts on the connected accounts, each with its idempotency key,
    the intent committed to finance.payout_journal before each call."""
    day = date.fromisoformat(config.date)
    # wait, as the command does, while another process has the DuckDB file or the lock
    with W.Warehouse(warehouse.resolved_url(), lock_wait=600.0) as wh, \
            (W.execution_lock(wh) if config.execute else nullcontext()):
        # the same journal and lock as `cashbook payouts execute`: neither pays what the other did
        lines = W.read_plan_lines(wh, day)
        if not lines:
            context.log.info(f"no payout plan lines for {day}: nothing to send")
            return []
        problems = lines_safe_to_send(wh, day, lines)
        if problems:
            raise PlanRefused("plan refused, nothing sent: " + "; ".join(problems))
        client = None
        if config.execute:
            client = stripe_client(stripe.api_key, stripe.api_base or load_settings().stripe_api_base)
        outcomes = execute_plan(lines, client, W.WarehouseJournal(wh), dry_run=not config.execute,
                                echo=context.log.info)
    counts = Counter(o.outcome for o in outcomes)
    context.add_output_metadata({
        "mode": "execute" if config.execute else "dry run (nothing sent)",
        "outcomes": dict(sorted(counts.items())),
        "lines": dg.MetadataValue.md(_md_table(
            ("creator", "currency", "to bank", "outcome", "payout", "message"),
            ((o.creator, o.currency, format_money(o.net, o.currency), o.outcome, o.payout_id or "",
              o.message) for o in outcomes))),
    })
    bad = [o for o in outcomes if o.outcome in (REFUSED, CONFLICTED)]
    if bad:
        raise dg.Failure(description=f"{len(bad)} payout lines refused or in conflict; see the log",
                         metadata={"lines": [f"{o.creator} {o.currency}: {o.outcome} {o.message}" for o in bad]})
    return [o.__dict__ for o in outcomes]


@dg.job(tags={**PAYOUTS_TAGS, "cashbook/money_moves": "true"},
        description="Execute a payout plan (config: date, execute). Dry run unless execute is true; never scheduled.")
def payout_execute():
    execute_payout_plan()


# ------------------------------------------------------------------ reconciliation

def reconciliation_check(day: date, lines: Sequence[ReconciledLine], journal_keys: set[str]) -> dg.AssetCheckResult:
    """Zero to the cent, or listed with its reason; and every journal line of the day reconciled."""
    unexplained = [l for l in lines if l.difference != 0 and not l.reasons]
    missing = sorted(journal_keys - {l.key for l in lines})
    listed = [l for l in lines if l.reasons]
    return dg.AssetCheckResult(
        asset_key=PAYOUT_RECONCILIATION, check_name=RECONCILED_TO_THE_CENT,
        passed=not unexplained and not missing,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"lines": len(lines), "matched": sum(1 for l in lines if l.matched),
                  "listed_with_reason": len(listed),
                  "unexplained_differences": len(unexplained), "journal_lines_missing": len(missing),
                  "listed": dg.MetadataValue.md(_md_table(
                      ("creator", "currency", "payout", "state", "difference", "reasons"),
                      ((l.creator, l.currency, l.payout_id or "", l.state, l.difference, "; ".join(l.reasons))
                       for l in listed)) if listed else "none")})


def reconciliation_totals(lines: Sequence[ReconciledLine]) -> list[dict]:
    """Per currency: lines, planned (gross), expected and actual debit, difference, matched."""
    acc: dict[str, dict] = {}
    for l in lines:
        t = acc.setdefault(l.currency, {"currency": l.currency, "lines": 0, "matched": 0,
                                        "planned": 0, "expected_debit": 0, "debited": 0,
                                        "difference": 0})
        t["lines"] += 1
        t["matched"] += 1 if l.matched else 0
        t["planned"] += l.planned_amount
        t["expected_debit"] += l.expected_debit
        t["debited"] += l.debited
        t["difference"] += l.difference
    return [acc[c] for c in sorted(acc)]


def reconciliation_metadata(lines: Sequence[ReconciledLine], itemized) -> dict:
    """Totals per currency, states and the markdown preview the UI shows for a reconciliation."""
    totals = reconciliation_totals(lines)
    states = Counter(l.state for l in lines)
    money = lambda v, cur: format_money(v, cur)  # noqa: E731
    totals_md = _md_table(("currency", "lines", "matched", "planned", "expected debit", "debited",
                           "difference"),
                          ((t["currency"], t["lines"], t["matched"], money(t["planned"], t["currency"]),
                            money(t["expected_debit"], t["currency"]), money(t["debited"], t["currency"]),
                            money(t["difference"], t["currency"])) for t in totals))
    lines_md = _md_table(("creator", "currency", "payout", "state", "planned", "debited", "difference",
                          "reasons"),
                         ((l.creator, l.currency, l.payout_id or "", l.state,
                           money(l.planned_amount, l.currency), money(l.debited, l.currency),
                           money(l.difference, l.currency), "; ".join(l.reasons)) for l in lines))
    return {
        "lines": len(lines),
        "matched": sum(1 for l in lines if l.matched),
        "listed_with_reason": sum(1 for l in lines if l.reasons),
        "states": dict(sorted(states.items())),
        "totals": dg.MetadataValue.json({t["currency"]: {
            k: (money(v, t["currency"]) if k in ("planned", "expected_debit", "debited", "difference")
                else v) for k, v in t.items() if k != "currency"} for t in totals}),
        "debited_by_currency": {t["currency"]: money(t["debited"], t["currency"]) for t in totals},
        "difference_by_currency": {t["currency"]: money(t["difference"], t["currency"]) for t in totals},
        "preview": dg.MetadataValue.md(f"### Totals\n{totals_md}\n\n### Lines\n{lines_md}\n"),
        "failed_payouts": dg.MetadataValue.md(_md_table(
            ("creator", "currency", "payout", "failure code"),
            ((l.creator, l.currency, l.payout_id, l.failure_code) for l in lines if l.state == "failed"))),
        "itemized_month": dg.MetadataValue.md(_md_table(
            ("creator", "month", "currency", "payouts", "paid", "in flight", "returned", "fees", "unreconciled"),
            ((r.creator, r.month, r.currency, r.payouts, money(r.paid, r.currency),
              money(r.in_flight, r.currency), money(r.returned, r.currency),
              money(r.fees, r.currency), r.unreconciled) for r in itemized))),
    }


@dg.asset(
    key=PAYOUT_RECONCILIATION, group_name=GROUP, partitions_def=PARTITIONS, op_tags=PAYOUTS_TAGS,
    deps=[PAYOUT_PLAN, MART("fct_creator_payouts"), MART("fct_creator_balance_items")],
    check_specs=[dg.AssetCheckSpec(RECONCILED_TO_THE_CENT, asset=PAYOUT_RECONCILIATION,
                                   description="Each executed line's difference is zero to the cent, or it is listed with its reason.")],
    kinds={"python", "csv"},
)
def payout_reconciliation(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterable:
    """Each executed line of the day against the Stripe payout that came of it and the balance
    transactions inside it (from the ingested marts), in finance.payout_reconciliation; the month's
    itemized report per creator in finance.payout_itemized. A failed payout's code reaches the
    next plan through marts.fct_creator_payouts."""
    day = date.fromisoformat(context.partition_key)
    month = day.strftime("%Y-%m")
    with W.Warehouse(warehouse.resolved_url()) as wh:
        journal = W.WarehouseJournal(wh)
        month_entries = [e for e in journal.entries()
                         if e.day.strftime("%Y-%m") == month and e.day <= day]
        payouts, txns = W.read_reconciliation_inputs(wh, month_entries)
        month_lines = reconcile(month_entries, payouts, txns)
        lines = [l for l in month_lines if l.day == day]
        W.write_reconciliation(wh, day, lines)
        itemized = itemize(month_lines)
        W.write_itemized(wh, month, itemized)
        journal_keys = {e.key for e in journal.entries(day)}
    out = plan_dir(load_settings().output_dir, day)
    write_reconciliation(lines, out / "reconciliation.csv")
    write_itemized(itemized, out / "itemized.csv")
    yield dg.MaterializeResult(metadata={
        **reconciliation_metadata(lines, itemized),
        "reconciliation_csv": dg.MetadataValue.path(str(out / "reconciliation.csv")),
    })
    yield reconciliation_check(day, lines, journal_keys)


defs = dg.Definitions(
    assets=[creator_balances, payout_plan, payout_reconciliation],
    jobs=[payout_execute],
)
