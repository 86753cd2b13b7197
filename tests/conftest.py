"""Session-wide hooks. They live at the top of tests/ because pytest-xdist's controlling process
(`make test` runs `-n 2`) loads only this conftest, and the drill count must print there."""
from __future__ import annotations

_OUTCOMES: dict[str, bool] = {}


def pytest_runtest_logreport(report):
    """Runs in the controlling process also under pytest-xdist (`make test` uses -n 2)."""
    if "tests/drills/" not in report.nodeid.replace("\\", "/"):
        return
    if report.when == "call" or (report.when == "setup" and report.failed):
        _OUTCOMES[report.nodeid] = report.passed


def pytest_terminal_summary(terminalreporter):
    if _OUTCOMES:
        passed = sum(_OUTCOMES.values())
        terminalreporter.write_line(f"drills: {len(_OUTCOMES)} run, {passed} passed")
