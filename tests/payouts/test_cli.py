"""`cashbook payouts plan|execute|reconcile` end to end against the sandbox, and the plan file."""
from __future__ import annotations

import csv
import json

import pytest

from pipelines.cli import main
from pipelines.payouts import cli as payouts_cli
from pipelines.payouts.plan_io import read_plan_lines, write_plan

from .test_sandbox import A, B, C, DAY, payouts_by_account, the_plan, world_objects


@pytest.fixture()
def env(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("STRIPE_API_KEY", sandbox.api_key)
    monkeypatch.setenv("STRIPE_API_BASE", sandbox.base_url)
    monkeypatch.setenv("CASHBOOK_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("WAREHOUSE_URL", f"duckdb:///{tmp_path / 'wh.duckdb'}")
    monkeypatch.setattr(payouts_cli, "LEGACY_JOURNAL", tmp_path / "payouts_journal.sqlite")
    return tmp_path


from .test_sandbox import sandbox  # noqa: E402,F401  (the running sandbox fixture)


def inputs_json(path):
    data = {
        "day": DAY.isoformat(),
        "accounts": [o for o in world_objects() if o["object"] == "account"],
        "balances": [{"creator": A, "currency": "USD", "available": 4210},
                     {"creator": B, "currency": "USD", "available": 20000},
                     {"creator": C, "currency": "JPY", "available": 5000}],
        "instant_requests": [{"creator": B, "currency": "USD", "amount": 12345}],
        "fx": {"base": "EUR", "rates": {"USD": "1.0850", "JPY": "162.06"}},
    }
    path.write_text(json.dumps(data))
    return path


def test_plan_file_round_trip(tmp_path):
    plan = the_plan()
    paths = write_plan(plan, tmp_path)
    assert read_plan_lines(paths["plan"]) == plan.lines
    with paths["totals"].open() as fh:
        assert list(csv.DictReader(fh)) == [
            {"currency": "JPY", "lines": "1", "amount": "5000", "fee": "0", "net": "5000"},
            {"currency": "USD", "lines": "2", "amount": "16678", "fee": "123", "net": "16555"}]


def test_bad_plan_file_names_row_and_column(tmp_path):
    path = write_plan(the_plan(), tmp_path)["plan"]
    text = path.read_text().replace(",4210,", ",42.10,", 1)
    path.write_text(text)
    with pytest.raises(ValueError, match=r"row 2, column amount: '42.10' is not a whole number"):
        read_plan_lines(path)


def test_plan_without_payout_marts_or_inputs_says_so(env, capsys):
    assert main(["payouts", "plan", "--date", "2026-11-27"]) == 2
    assert "the warehouse has no payout marts" in capsys.readouterr().err


def test_plan_dry_run_execute_twice_reconcile(env, sandbox, capsys):
    assert main(["payouts", "plan", "--date", "2026-11-27", "--inputs",
                 str(inputs_json(env / "inputs.json"))]) == 0
    out = capsys.readouterr().out
    assert "3 lines, 0 exclusions" in out
    assert "USD: 2 payouts, 165.55 USD to banks, fees 1.23 USD" in out

    assert main(["payouts", "execute", "--date", "2026-11-27", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "3 lines: 3 dry_run" in out and "123.45 USD, fee 1.23 USD" in out
    assert payouts_by_account(sandbox.world_path) == []

    assert main(["payouts", "execute", "--date", "2026-11-27"]) == 0
    assert "3 lines: 3 created" in capsys.readouterr().out
    assert main(["payouts", "execute", "--date", "2026-11-27"]) == 0
    assert "3 lines: 3 already_done" in capsys.readouterr().out
    assert payouts_by_account(sandbox.world_path) == [(A, 4210), (B, 12345), (C, 5000)]

    assert main(["payouts", "reconcile", "--date", "2026-11-27"]) == 0
    assert "3 lines reconciled, 0 listed with reasons" in capsys.readouterr().out
    with (env / "output" / "payouts" / "2026-11-27" / "itemized.csv").open() as fh:
        rows = [(r["creator"], r["currency"], r["in_flight"], r["fees"]) for r in csv.DictReader(fh)]
    assert rows == [(A, "USD", "4210", "0"), (B, "USD", "12345", "123"), (C, "JPY", "5000", "0")]


def test_execute_refuses_a_plan_for_another_day(env, capsys):
    path = write_plan(the_plan(), env / "p")["plan"]
    assert main(["payouts", "execute", "--date", "2026-11-28", "--plan-file", str(path)]) == 2
    assert "not 2026-11-28" in capsys.readouterr().err
