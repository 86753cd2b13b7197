"""The plan and the reconciliation in the Dagster UI: totals per currency and a markdown preview
table (issue 5, last bullet), worked by hand."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import dagster as dg

from assets import payouts as P
from pipelines.payouts.fx import FxRates
from pipelines.payouts.idempotency import payout_key
from pipelines.payouts.model import AccountFacts, CreatorBalance, InstantRequest, PlanInputs
from pipelines.payouts.plan import build_plan
from pipelines.payouts.reconcile import ReconciledLine
from pipelines.payouts.schedule import PayoutSchedule

DAY = date(2026, 11, 27)
A, B, H = "acct_A", "acct_B", "acct_H"


def the_plan():
    daily = PayoutSchedule("daily")
    accounts = {c: AccountFacts(c, daily, True) for c in (A, B, H)}
    inputs = PlanInputs(
        day=DAY, accounts=accounts,
        balances=(CreatorBalance(A, "USD", 4_210), CreatorBalance(B, "USD", 20_000),
                  CreatorBalance(H, "HUF", 1_234_567)),
        instant_requests=(InstantRequest(B, "USD", 12_345),),
        fx=FxRates(DAY, "EUR", {"USD": Decimal("1.0850"), "HUF": Decimal("395.00")}))
    return build_plan(inputs)


def test_plan_metadata_has_totals_and_a_preview():
    md = P.plan_metadata(the_plan())
    # USD: 42.10 standard + 123.45 instant (fee 1.23) -> 166.78 gross, 165.55 to banks;
    # HUF: 12,345.67 available, 12,345 paid in whole forints
    assert md["totals"].value == {
        "HUF": {"payouts": 1, "gross": "12,345.00 HUF", "fees": "0.00 HUF", "to_banks": "12,345.00 HUF"},
        "USD": {"payouts": 2, "gross": "166.78 USD", "fees": "1.23 USD", "to_banks": "165.55 USD"}}
    assert md["to_banks_by_currency"] == {"HUF": "12,345.00 HUF", "USD": "165.55 USD"}
    assert md["lines"] == 3 and md["exclusions"] == 0 and md["rounded_to_whole_units"] == 1
    preview = md["preview"]
    assert isinstance(preview, dg.MarkdownMetadataValue)
    assert "| USD | 2 | 166.78 USD | 1.23 USD | 165.55 USD |" in preview.value
    assert "HUF payouts must be whole units (Stripe): 0.67 HUF stays in the balance" in preview.value


def _recon(creator, state, planned, debited, reasons=()):
    return ReconciledLine(key=payout_key(creator, DAY, "USD", 1), creator=creator, currency="USD",
                          day=DAY, method="standard", planned_amount=planned, planned_fee=0,
                          planned_net=planned, state=state, payout_id=f"po_{creator[5:]}",
                          expected_debit=planned if state != "failed" else 0, debited=debited,
                          difference=debited - (planned if state != "failed" else 0),
                          reasons=tuple(reasons))


def test_reconciliation_metadata_has_totals_and_a_preview():
    lines = [_recon(A, "paid", 4_210, 4_210),
             _recon(B, "failed", 12_468, 0, ["payout failed: account_closed"])]
    md = P.reconciliation_metadata(lines, [])
    assert md["totals"].value == {"USD": {
        "lines": 2, "matched": 1, "planned": "166.78 USD", "expected_debit": "42.10 USD",
        "debited": "42.10 USD", "difference": "0.00 USD"}}
    assert md["difference_by_currency"] == {"USD": "0.00 USD"}
    assert (md["lines"], md["matched"], md["listed_with_reason"]) == (2, 1, 1)
    assert md["states"] == {"failed": 1, "paid": 1}
    preview = md["preview"].value
    assert "| USD | 2 | 1 | 166.78 USD | 42.10 USD | 42.10 USD | 0.00 USD |" in preview
    assert "| acct_B | USD | po_B | failed | 124.68 USD | 0.00 USD | 0.00 USD | payout failed: account_closed |" in preview


def test_payout_cycle_summary_text():
    from pipelines.payouts.demo_cycle import PayoutCycleSummary

    summary = PayoutCycleSummary(
        day=DAY, lines_planned=3, planned_by_currency={"HUF": "12,345.00 HUF", "USD": "165.55 USD"},
        exclusions_by_reason={"not_due": 6}, executed={"created": 3}, payouts_created=3,
        states={"paid": 2, "failed": 1}, reconciled=3, matched=2,
        listed=["acct_B USD po_B: payout failed: account_closed"],
        differences={"HUF": "0.00 HUF", "USD": "0.00 USD"},
        steps=[("plan 2026-11-27", True), ("execute", True)])
    assert summary.ok and (summary.paid, summary.failed) == (2, 1)
    assert summary.text_lines() == [
        "Payout cycle 2026-11-27 (plan, execute, a day passes, ingest, dbt, reconcile):",
        "  planned: 3 lines (12,345.00 HUF, 165.55 USD to banks)",
        "  left out: not_due 6",
        "  executed: 3 created; 3 payouts on Stripe",
        "  reconciled: 3 lines, 2 paid or on the way, 1 failed; 2 matched to the cent, 1 listed with a reason",
        "  differences: 0.00 HUF, 0.00 USD",
        "    acct_B USD po_B: payout failed: account_closed"]
