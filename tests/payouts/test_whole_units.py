"""Stripe pays HUF and TWD out in whole units only (an amount divisible by 100 minor units): the
plan rounds such a payout DOWN to a whole unit, leaves the remainder in the balance and says why.
Every number worked by hand.

Rates of the day (ECB form, per EUR): USD 1.0850, HUF 395.00, TWD 35.00.
- $25 in HUF = 25 x 395 / 1.085 = 9,101.3825 HUF -> 910,139 minor units (ceiling).
- $25 in TWD = 25 x 35 / 1.085 = 806.4516 TWD -> 80,646 minor units.
- $100 in HUF = 36,405.5300 HUF -> 3,640,553 minor units.
"""
from dataclasses import replace
from datetime import date
from decimal import Decimal

from pipelines.payouts import holds as H
from pipelines.payouts.fx import FxRates
from pipelines.payouts.model import AccountFacts, CreatorBalance, InstantRequest, PlanInputs
from pipelines.payouts.plan import build_plan, plan_problems, whole_units
from pipelines.payouts.plan_io import read_plan_lines, write_plan
from pipelines.payouts.schedule import PayoutSchedule
from pipelines.payouts.warehouse import Warehouse, write_plan_tables
from pipelines.payouts.warehouse import read_plan_lines as read_table_lines

DAY = date(2026, 11, 27)
FX = FxRates(DAY, "EUR", {"USD": Decimal("1.0850"), "HUF": Decimal("395.00"),
                          "TWD": Decimal("35.00")})


def plan_for(balances, requests=()):
    creators = {b.creator for b in balances}
    accounts = {c: AccountFacts(c, PayoutSchedule("daily"), True,
                                destinations={"HUF": f"ba_{c[5:]}huf", "TWD": f"ba_{c[5:]}twd"})
                for c in creators}
    return build_plan(PlanInputs(day=DAY, balances=tuple(balances), accounts=accounts, fx=FX,
                                 instant_requests=tuple(requests)))


def test_whole_units_rounds_down_only_huf_and_twd():
    assert whole_units(1_234_567, "HUF") == 1_234_500
    assert whole_units(80_699, "twd") == 80_600
    assert whole_units(80_700, "TWD") == 80_700
    assert whole_units(1_234_567, "EUR") == 1_234_567
    assert whole_units(3_735, "JPY") == 3_735


def test_standard_huf_payout_is_rounded_down_and_the_rest_stays():
    # 12,345.67 HUF available: 12,345 HUF is paid, 0.67 HUF stays in the balance
    plan = plan_for([CreatorBalance("acct_H", "HUF", 1_234_567)])
    (line,) = plan.lines
    assert (line.amount, line.fee, line.net, line.remainder) == (1_234_500, 0, 1_234_500, 67)
    assert line.remainder_reason == "HUF payouts must be whole units (Stripe): 0.67 HUF stays in the balance"
    (total,) = plan.totals
    assert (total.currency, total.amount, total.net) == ("HUF", 1_234_500, 1_234_500)


def test_twd_minimum_is_checked_after_rounding():
    # 806.99 TWD is above the 806.46 TWD minimum, but the whole 806 TWD payable is below it
    plan = plan_for([CreatorBalance("acct_T", "TWD", 80_699), CreatorBalance("acct_U", "TWD", 80_700)])
    [excluded] = plan.exclusions
    assert (excluded.creator, excluded.reason, excluded.detail) == (
        "acct_T", H.BELOW_MINIMUM, "80600 (whole units of 80699) below minimum 80646")
    [line] = plan.lines
    assert (line.creator, line.amount, line.remainder, line.remainder_reason) == ("acct_U", 80_700, 0, None)


def test_largest_instant_huf_payout_is_whole_forints_with_its_fee_on_top():
    # payable 50,000.50 HUF. Largest net with 1% fee: 49,505.45 HUF (fee 495.05, total 50,000.50);
    # whole forints: 49,505 HUF, fee 1% = 495.05 HUF (49,505 minor), drawn 50,000.05 HUF,
    # 0.45 HUF stays.
    plan = plan_for([CreatorBalance("acct_H", "HUF", 5_000_050)], [InstantRequest("acct_H", "HUF")])
    (line,) = plan.lines
    assert (line.method, line.net, line.fee, line.amount, line.remainder) == (
        "instant", 4_950_500, 49_505, 5_000_005, 45)
    assert line.remainder_reason == "HUF payouts must be whole units (Stripe): 0.45 HUF stays in the balance"


def test_requested_instant_huf_payout_is_rounded_down():
    # asked for 40,000.99 HUF: 40,000 HUF is sent, fee 400 HUF, 0.99 HUF stays
    plan = plan_for([CreatorBalance("acct_H", "HUF", 5_000_050)],
                    [InstantRequest("acct_H", "HUF", 4_000_099)])
    (line,) = plan.lines
    assert (line.net, line.fee, line.amount, line.remainder) == (4_000_000, 40_000, 4_040_000, 99)


def test_a_plan_with_a_fractional_huf_payout_is_refused():
    (line,) = plan_for([CreatorBalance("acct_H", "HUF", 1_234_567)]).lines
    bad = replace(line, amount=1_234_567, net=1_234_567, remainder=0)
    assert plan_problems([bad]) == [
        "acct_H HUF 2026-11-27: payout 1234567 is not a whole number of HUF"
        " (Stripe pays HUF and TWD in whole units)"]
    assert plan_problems([line]) == []


def test_remainder_survives_the_plan_file_and_table_and_old_files_still_read(tmp_path):
    plan = plan_for([CreatorBalance("acct_H", "HUF", 1_234_567)])
    path = write_plan(plan, tmp_path)["plan"]
    assert read_plan_lines(path) == plan.lines
    # a plan file written before the rule has neither column
    rows = [r.split(",") for r in path.read_text().splitlines()]
    keep = [i for i, name in enumerate(rows[0]) if name not in ("remainder", "remainder_reason")]
    path.write_text("\n".join(",".join(r[i] for i in keep) for r in rows) + "\n")
    assert read_plan_lines(path) == tuple(replace(l, remainder=0, remainder_reason=None)
                                          for l in plan.lines)
    with Warehouse(f"duckdb:///{tmp_path / 'wh.duckdb'}") as wh:
        # a plan table made before the rule gains the two columns
        wh.execute("CREATE SCHEMA finance")
        wh.execute("CREATE TABLE finance.payout_plan (plan_date DATE NOT NULL,"
                   " plan_version INTEGER NOT NULL, creator_account_id VARCHAR NOT NULL,"
                   " currency VARCHAR NOT NULL, method VARCHAR NOT NULL, amount BIGINT NOT NULL,"
                   " fee BIGINT NOT NULL, net BIGINT NOT NULL, available BIGINT NOT NULL,"
                   " in_flight BIGINT NOT NULL, reserved BIGINT NOT NULL, destination VARCHAR,"
                   " retry_of VARCHAR, failure_code VARCHAR, idempotency_key VARCHAR NOT NULL)")
        write_plan_tables(wh, plan)
        assert read_table_lines(wh, DAY) == plan.lines
