"""One payout cycle against the sandbox, as `make demo` runs it: plan the day -> execute it (for
real, on the sandbox's connected accounts) -> advance the sandbox a day -> ingest -> dbt ->
reconcile, each step a Dagster materialization or job run recorded in the instance, so the UI
shows the plan, the execution and the reconciliation like any other run.

    from pipelines.payouts.demo_cycle import run_payout_cycle
    summary = run_payout_cycle(defs, instance, world=world, day=clock.date())
    for line in summary.text_lines(): print(line)

`defs` is the merged code location (`pipelines.definitions.defs`) and `instance` the demo's
DagsterInstance; the resources in `defs` must already point at the running sandbox and the
warehouse (demo.py's `_prepare_environment`), and the payout marts must be built up to the world
clock (demo.py's step 2).

Stripe-managed payouts. The sandbox, like Stripe for an account on an automatic schedule, pays
each creator by their schedule at 09:00 of the world's day. The cycle plans and executes at the
day's first moment (the world clock), so the platform's payout takes the payable balance first;
when the day is then simulated, the sandbox books that payout against the balance before its
09:00 run (`adopt_foreign_payouts`), and its automatic payout pays only what became available in
between. Nobody is paid the same money twice: every payout, ours or Stripe's, debits the balance,
and the next plan sees Stripe's through `fct_creator_payouts`. Reconciliation covers the lines
this platform executed (the journal), not Stripe's automatic payouts. On live Stripe a platform
that pays by plan sets its connected accounts' `settings.payouts.schedule.interval` to `manual`,
so that nothing competes with the plan.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

from pipelines.money import format_money

# The marts a plan and its reconciliation read: refreshed with their upstream (ingest, FX, dbt).
PAYOUT_MARTS = ("fct_creator_payouts", "fct_creator_balance_items", "fct_creator_balances",
                "dim_creator_payout_accounts", "dim_creator_payout_destinations",
                "fct_creator_open_disputes")


@dataclass
class PayoutCycleSummary:
    day: date
    lines_planned: int = 0
    planned_by_currency: dict[str, str] = field(default_factory=dict)
    exclusions_by_reason: dict[str, int] = field(default_factory=dict)
    executed: dict[str, int] = field(default_factory=dict)        # outcome -> lines
    payouts_created: int = 0                                      # journal lines with a payout
    states: dict[str, int] = field(default_factory=dict)          # reconciliation state -> lines
    reconciled: int = 0
    matched: int = 0
    listed: list[str] = field(default_factory=list)               # lines listed with their reason
    differences: dict[str, str] = field(default_factory=dict)     # currency -> sum of differences
    steps: list[tuple[str, bool]] = field(default_factory=list)   # (step, succeeded)

    @property
    def ok(self) -> bool:
        return all(ok for _, ok in self.steps)

    @property
    def paid(self) -> int:
        return sum(n for s, n in self.states.items() if s in ("paid", "in_transit", "pending"))

    @property
    def failed(self) -> int:
        return sum(n for s, n in self.states.items() if s in ("failed", "canceled"))

    def text_lines(self) -> list[str]:
        out = [f"Payout cycle {self.day} (plan, execute, a day passes, ingest, dbt, reconcile):"]
        out.append(f"  planned: {self.lines_planned} lines"
                   + (" (" + ", ".join(self.planned_by_currency.values()) + " to banks)"
                      if self.planned_by_currency else ""))
        if self.exclusions_by_reason:
            out.append("  left out: " + ", ".join(f"{r} {n}" for r, n in self.exclusions_by_reason.items()))
        out.append("  executed: " + (", ".join(f"{n} {o}" for o, n in sorted(self.executed.items()))
                                     or "nothing") + f"; {self.payouts_created} payouts on Stripe")
        out.append(f"  reconciled: {self.reconciled} lines, {self.paid} paid or on the way, "
                   f"{self.failed} failed; {self.matched} matched to the cent, "
                   f"{len(self.listed)} listed with a reason")
        if self.differences:
            out.append("  differences: " + ", ".join(self.differences.values()))
        out += [f"    {l}" for l in self.listed[:10]]
        failed_steps = [s for s, ok in self.steps if not ok]
        if failed_steps:
            out.append("  FAILED steps: " + ", ".join(failed_steps) + " (see the run in the UI)")
        return out


def payout_mart_selection(defs) -> list:
    """Every raw_stripe table (a whole incremental sync, events included) and the unpartitioned
    upstream of the payout marts: the ECB rates, the seeds, the dbt models up to those marts."""
    import dagster as dg

    graph = defs.resolve_asset_graph()
    marts = [dg.AssetKey(["marts", name]) for name in PAYOUT_MARTS]
    wanted = set(dg.AssetSelection.assets(*marts).upstream().resolve(graph))
    wanted |= {k for k in graph.get_all_asset_keys() if k.path[0] == "raw_stripe"}
    return sorted((k for k in wanted
                   if graph.get(k).is_materializable and graph.get(k).partitions_def is None),
                  key=lambda k: k.to_user_string())


def materialize_quietly(defs, instance, selection, partition_key=None, tags=None):
    """Materialize `selection` from the code location in `instance`, warnings only on the
    console (the full event stream stays in the run's history); never raises on a failed step."""
    import dagster as dg

    return dg.materialize(
        assets=list(defs.assets or []) + list(defs.asset_checks or []),
        selection=selection, resources=defs.resources, instance=instance,
        partition_key=partition_key, raise_on_error=False,
        tags={"cashbook/run": "payout-cycle", **(tags or {})},
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )


def refresh_payout_marts(defs, instance) -> bool:
    """Ingest (incremental), the FX rates and dbt up to the payout marts; True when it all ran."""
    return materialize_quietly(defs, instance, payout_mart_selection(defs)).success


def run_payout_cycle(defs, instance, *, world: Path, day: date, warehouse_url: str | None = None,
                     execute: bool = True, advance_days: int = 1,
                     say: Callable[[str], None] = lambda _m: None) -> PayoutCycleSummary:
    """The whole cycle for `day` (the world clock's date); returns what happened. A failed step
    is recorded in `steps` and the cycle stops there (nothing downstream of a failure runs)."""
    from assets import payouts as P
    from pipelines.sandbox.advance import advance_world
    from pipelines.settings import load_settings

    url = warehouse_url or load_settings().warehouse_url
    summary = PayoutCycleSummary(day=day)
    partition = day.isoformat()

    def step(name: str, ok: bool) -> bool:
        summary.steps.append((name, ok))
        say(f"    {'ok  ' if ok else 'FAIL'} payouts: {name}")
        return ok

    result = materialize_quietly(defs, instance, [P.CREATOR_BALANCES, P.PAYOUT_PLAN], partition)
    if not step(f"plan {partition}", result.success):
        return _read_back(summary, url)

    job = defs.resolve_job_def(P.payout_execute.name)
    run = job.execute_in_process(
        run_config={"ops": {"execute_payout_plan": {"config": {"date": partition, "execute": execute}}},
                    "loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        instance=instance, raise_on_error=False,
        tags={"cashbook/run": "payout-cycle", **P.PAYOUTS_TAGS})
    if run.success:
        summary.executed = dict(Counter(o["outcome"] for o in run.output_for_node("execute_payout_plan")))
    if not step("execute" if execute else "execute (dry run)", run.success):
        return _read_back(summary, url)

    advance_world(world, advance_days)
    step(f"sandbox advanced {advance_days} day(s) to {day + timedelta(days=advance_days)}", True)
    if not step("ingest, FX and dbt up to the payout marts", refresh_payout_marts(defs, instance)):
        return _read_back(summary, url)
    result = materialize_quietly(defs, instance, [P.PAYOUT_RECONCILIATION], partition)
    step(f"reconcile {partition}", result.success)
    return _read_back(summary, url)


def _read_back(summary: PayoutCycleSummary, url: str) -> PayoutCycleSummary:
    """Fill the summary from finance.* (what the plan, the journal and the reconciliation say)."""
    from . import warehouse as W

    day = summary.day
    with W.Warehouse(url) as wh:
        if wh.table_exists(W.FINANCE, "payout_plan_totals"):
            totals = wh.rows("SELECT currency, lines, net FROM finance.payout_plan_totals"
                             " WHERE plan_date = ? ORDER BY currency", (day,))
            summary.lines_planned = sum(int(n) for _, n, _ in totals)
            summary.planned_by_currency = {c: format_money(int(net), c) for c, _, net in totals}
            summary.exclusions_by_reason = {r: int(n) for r, n in wh.rows(
                "SELECT reason, count(*) FROM finance.payout_plan_exclusions WHERE plan_date = ?"
                " GROUP BY reason ORDER BY reason", (day,))}
        if wh.table_exists(W.FINANCE, "payout_journal"):
            summary.payouts_created = sum(1 for e in W.WarehouseJournal(wh).entries(day) if e.payout_id)
        if wh.table_exists(W.FINANCE, "payout_reconciliation"):
            rows = wh.rows("SELECT creator_account_id, currency, payout_id, state, difference,"
                           " matched, reasons FROM finance.payout_reconciliation WHERE plan_date = ?"
                           " ORDER BY creator_account_id, currency", (day,))
            summary.reconciled = len(rows)
            summary.states = dict(Counter(r[3] for r in rows))
            summary.matched = sum(1 for r in rows if r[5])
            summary.listed = [f"{c} {cur} {p or '-'}: {reasons}" for c, cur, p, _, _, m, reasons in rows
                              if not m]
            diffs: Counter = Counter()
            for _, cur, _, _, diff, _, _ in rows:
                diffs[cur] += int(diff)
            summary.differences = {c: format_money(v, c) for c, v in sorted(diffs.items())}
    return summary

