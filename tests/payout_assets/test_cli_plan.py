"""`cashbook payouts plan --date D` from the warehouse's payout marts: the same plan as the
finance/payout_plan asset, stored in finance.payout_plan where the payout_execute job reads it,
and the plan file the command's `execute` reads. Hand-worked in make_marts."""
from __future__ import annotations

from pipelines.cli import main
from pipelines.payouts import warehouse as W
from pipelines.payouts.plan_io import read_plan_lines

from .test_warehouse_payouts import A, DAY, make_marts


def test_plan_from_the_warehouse_marts(tmp_path, monkeypatch, capsys):
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.setenv("CASHBOOK_OUTPUT_DIR", str(tmp_path / "output"))
    with W.Warehouse(url) as wh:
        make_marts(wh)
    assert main(["payouts", "plan", "--date", DAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "1 lines, 3 exclusions" in out and "USD: 1 payouts, 65.00 USD to banks" in out
    with W.Warehouse(url) as wh:
        stored = W.read_plan_lines(wh, DAY)
    [line] = stored
    assert (line.creator, line.currency, line.amount, line.in_flight, line.reserved) == (A, "USD", 6_500, 2_000, 1_500)
    assert read_plan_lines(tmp_path / "output" / "payouts" / DAY.isoformat() / "plan.csv") == stored
