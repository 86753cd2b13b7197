"""`cashbook files`: what was produced for a month, a quarter and a year, with paths."""
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.files_cli import parse_period, produced_files


@pytest.fixture
def output(tmp_path) -> Path:
    for rel in ("reports/2026-10/monthly_report_2026-10.pdf", "reports/2026-10/monthly_report_2026-10.html",
                "reports/2026-11/monthly_report_2026-11.pdf", "reports/2026/annual_report_2026.pdf",
                "statements/2026-10/statement_acct_1_2026-10.pdf", "statements/2026-10/statement_acct_1_2026-10.csv",
                "tax/2026/1099k/summary.csv", "tax/2026-Q4/eu_oss_return.xml", "tax/2026-Q3/uk_vat_return.csv",
                "payouts/2026-10-05/plan.csv", "payouts/2026-11-02/plan.csv", "payouts/2025-12-31/plan.csv"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    return tmp_path


def _kinds(files):
    return sorted({(f.kind, f.period) for f in files})


def test_a_month_lists_its_report_statements_and_payout_plans(output):
    files = produced_files(output, parse_period("2026-10"))
    assert _kinds(files) == [("creator statements", "2026-10"), ("monthly report", "2026-10"),
                             ("payout plan", "2026-10-05")]
    assert len(files) == 5
    assert output / "statements/2026-10/statement_acct_1_2026-10.csv" in [f.path for f in files]


def test_a_quarter_adds_its_vat_folder_and_a_year_its_annual_report_and_1099s(output):
    assert _kinds(produced_files(output, parse_period("2026-Q4"))) == [
        ("VAT returns", "2026-Q4"), ("creator statements", "2026-10"), ("monthly report", "2026-10"),
        ("monthly report", "2026-11"), ("payout plan", "2026-10-05"), ("payout plan", "2026-11-02")]
    year = _kinds(produced_files(output, parse_period("2026")))
    assert ("annual report", "2026") in year and ("1099 files", "2026") in year
    assert ("VAT returns", "2026-Q3") in year and ("payout plan", "2025-12-31") not in year


def test_command_prints_paths_and_rejects_a_bad_period(output, capsys):
    assert main(["files", "--period", "2026-10", "--output-dir", str(output)]) == 0
    printed = capsys.readouterr().out
    assert str(output / "reports/2026-10/monthly_report_2026-10.pdf") in printed
    assert main(["files", "--period", "2026-13", "--output-dir", str(output)]) == 2
    assert main(["files", "--period", "2027", "--output-dir", str(output)]) == 0
    assert "Nothing produced for 2027" in capsys.readouterr().out
