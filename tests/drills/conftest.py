"""Fault drills: every test here is a drill. The short ones run in `make test`; the long ones
(`@pytest.mark.drill`: PostgreSQL restart mid-ingest, dbt killed mid-build) run with
`pytest -m drill tests/drills`. The session ends by printing `drills: N run, N passed`."""
from __future__ import annotations

import pytest

from tests.ingestion.conftest import small_world, tiny_clean, tiny_world  # noqa: F401  (shared worlds)

_OUTCOMES: dict[str, bool] = {}


def pytest_configure(config):
    config.addinivalue_line("markers", "drill: long fault drill (make drill), deselected by -m 'not drill'")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if "tests/drills/" not in str(item.fspath).replace("\\", "/"):
        return
    if report.when == "call" or (report.when == "setup" and report.failed):
        _OUTCOMES[item.nodeid] = report.passed


def pytest_terminal_summary(terminalreporter):
    if _OUTCOMES:
        passed = sum(_OUTCOMES.values())
        terminalreporter.write_line(f"drills: {len(_OUTCOMES)} run, {passed} passed")
